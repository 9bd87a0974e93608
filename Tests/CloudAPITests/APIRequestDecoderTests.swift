import CloudAPI
import Foundation
import JSONCore
import XCTest

final class APIRequestDecoderTests: XCTestCase {
    private let decoder = APIRequestDecoder()
    private let timestamp: Int64 = 1_700_000_000
    private var now: Date { Date(timeIntervalSince1970: TimeInterval(timestamp)) }
    private let signer = TC3Signer(secretId: TestVectors.secretId, secretKey: TestVectors.secretKey)

    private func post(_ action: String, version: String = "2021-04-08", body: String) -> APIHTTPRequest {
        let bytes = Array(body.utf8)
        let headers = signer.postJSONHeaders(
            action: action, version: version, host: "127.0.0.1:8080", body: bytes, timestamp: timestamp,
            region: "ap-guangzhou", language: "en-US", requestClient: "SDK_PYTHON_3.1.195"
        )
        return APIHTTPRequest(method: "POST", headers: headers, body: bytes)
    }

    private func get(_ action: String, version: String = "2021-04-08", query: String) -> APIHTTPRequest {
        let contentType = "application/x-www-form-urlencoded"
        let signature = signer.sign(
            method: "GET", host: "127.0.0.1:8080", canonicalQueryString: query, contentType: contentType,
            body: [], timestamp: timestamp
        )
        return APIHTTPRequest(method: "GET", rawQuery: query, headers: [
            ("Host", "127.0.0.1:8080"), ("Content-Type", contentType), ("X-TC-Action", action),
            ("X-TC-Version", version), ("X-TC-Timestamp", String(timestamp)),
            ("Authorization", signature.authorization),
        ])
    }

    private func decode(_ request: APIHTTPRequest) throws(APIError) -> APIRequest {
        try decoder.decode(request, now: now, secretKey: TestVectors.lookup)
    }

    // MARK: - Vectors through the decoder

    func testCreateDeviceVectorDecodes() throws {
        let vector = try TestVectors.named("api.tc3.post.create_device")
        let decoded = try decoder.decode(vector.tc3Request(), now: vector.now, secretKey: TestVectors.lookup)
        XCTAssertEqual(decoded.action, "CreateDevice")
        XCTAssertEqual(decoded.version, .v20210408)
        XCTAssertEqual(decoded.region, "ap-guangzhou")
        XCTAssertEqual(decoded.language, "en-US")
        XCTAssertEqual(decoded.signatureMethod, .tc3HMACSHA256)
        XCTAssertEqual(decoded.timestamp, 1_795_908_421)
        let expected: JSONValue = [
            "ProductId": "ABCDEFGHIJ", "DeviceName": "dev-001",
            "Attribute": ["Tags": [["Tag": "note", "Type": 2, "Value": "温度"]]],
        ]
        XCTAssertEqual(decoded.parameters, expected)
        XCTAssertEqual(decoded.parameters["Attribute"]?["Tags"]?[0]?["Type"], .int(2))
    }

    func testGETVectorDecodesFlattenedListToTypedJSON() throws {
        let vector = try TestVectors.named("api.tc3.get.reset_device_state")
        let decoded = try decoder.decode(vector.tc3Request(), now: vector.now, secretKey: TestVectors.lookup)
        XCTAssertEqual(decoded.action, "ResetDeviceState")
        XCTAssertEqual(decoded.parameters.serializedString(), #"{"ProductId":"ABCDEFGHIJ","DeviceNames":["a","b"]}"#)
    }

    func testHostWithSchemeVectorDecodes() throws {
        let vector = try TestVectors.named("api.tc3.post.host_with_scheme")
        var request = vector.tc3Request()
        request.headers.add(name: "X-TC-Action", value: "DescribeDevice")
        request.headers.add(name: "X-TC-Version", value: "2021-04-08")
        request.headers.add(name: "X-TC-RequestClient", value: "SDK_PYTHON_3.1.195; _CLI_3.1.189.1")
        let decoded = try decoder.decode(request, now: vector.now, secretKey: TestVectors.lookup)
        XCTAssertEqual(decoded.parameters, ["ProductId": "ABCDEFGHIJ", "DeviceName": "dev-001"])
        XCTAssertEqual(decoded.requestClient, "SDK_PYTHON_3.1.195; _CLI_3.1.189.1")
    }

    // MARK: - GET / flattened parameters

    func testGETIntegersAndNestedStructs() throws {
        let devices = try decode(get("DescribeDevices", query: "ProductId=ABCDEFGHIJ&Offset=0&Limit=10&EnableState=1"))
        XCTAssertEqual(devices.parameters.serializedString(),
                       #"{"ProductId":"ABCDEFGHIJ","Offset":0,"Limit":10,"EnableState":1}"#)

        let product = try decode(get(
            "CreateProduct",
            query: "ProductName=p%201&ProductProperties.EncryptionType=2&ProductProperties.RegisterType=1"
        ))
        XCTAssertEqual(product.parameters.serializedString(),
                       #"{"ProductName":"p 1","ProductProperties":{"EncryptionType":"2","RegisterType":1}}"#)

        let device = try decode(get(
            "CreateDevice",
            query: "ProductId=P&DeviceName=d&Attribute.Tags.1.Tag=y&Attribute.Tags.1.Type=1&Attribute.Tags.1.Value=2"
                + "&Attribute.Tags.0.Tag=x&Attribute.Tags.0.Type=2&Attribute.Tags.0.Value=v"
        ))
        XCTAssertEqual(
            device.parameters["Attribute"],
            ["Tags": [["Tag": "x", "Type": 2, "Value": "v"], ["Tag": "y", "Type": 1, "Value": "2"]]]
        )
    }

    func testGETBadIntegerIsInvalidParameter() {
        XCTAssertAPIError({ () throws(APIError) in
            try decode(get("DescribeDevices", query: "ProductId=A&Offset=zero&Limit=10"))
        }, code: "InvalidParameter", messageContains: "Offset")
    }

    func testGETUnknownFlattenedFieldIsUnknownParameter() {
        XCTAssertAPIError({ () throws(APIError) in
            try decode(get("CreateProduct", query: "ProductName=p&ProductProperties.Colour=red"))
        }, code: "UnknownParameter", messageContains: "ProductProperties.Colour")
    }

    func testGETCanBeDisabled() {
        var strict = decoder
        strict.allowsGET = false
        XCTAssertAPIError({ () throws(APIError) in
            try strict.decode(get("DescribeProduct", query: "ProductId=A"), now: now, secretKey: TestVectors.lookup)
        }, code: "UnsupportedProtocol")
    }

    // MARK: - Error order and codes

    func testUnsupportedMethod() {
        var request = post("DescribeProduct", body: #"{"ProductId":"A"}"#)
        request.method = "PUT"
        XCTAssertAPIError({ () throws(APIError) in try decode(request) }, code: "UnsupportedProtocol")
    }

    func testUnknownVersionIsNoSuchVersion() {
        XCTAssertAPIError({ () throws(APIError) in
            try decode(post("DescribeProduct", version: "2019-01-01", body: #"{"ProductId":"A"}"#))
        }, code: "NoSuchVersion", messageContains: "2019-01-01")
    }

    func testMissingVersionAndAction() {
        var request = post("DescribeProduct", body: #"{"ProductId":"A"}"#)
        request.headers.fields.removeAll { $0.name == "X-TC-Version" }
        XCTAssertAPIError({ () throws(APIError) in try decode(request) }, code: "MissingParameter", messageContains: "X-TC-Version")
        var noAction = post("DescribeProduct", body: #"{"ProductId":"A"}"#)
        noAction.headers.fields.removeAll { $0.name == "X-TC-Action" }
        XCTAssertAPIError({ () throws(APIError) in try decode(noAction) }, code: "MissingParameter", messageContains: "X-TC-Action")
    }

    func testSignatureCheckedBeforeVersion() {
        var request = post("DescribeProduct", version: "2019-01-01", body: #"{"ProductId":"A"}"#)
        request.body = Array(#"{"ProductId":"B"}"#.utf8)
        XCTAssertAPIError({ () throws(APIError) in try decode(request) }, code: "AuthFailure.SignatureFailure")
    }

    func testUnknownActionIsInvalidAction() {
        XCTAssertAPIError({ () throws(APIError) in try decode(post("DescribeWidgets", body: "{}")) }, code: "InvalidAction")
        // Exists only in 2018.
        XCTAssertAPIError({ () throws(APIError) in try decode(post("CreateMultiDevice", body: "{}")) }, code: "InvalidAction")
        // Exists only in 2021.
        XCTAssertAPIError({ () throws(APIError) in
            try decode(post("UpdateDevicePSK", version: "2018-06-14", body: "{}"))
        }, code: "InvalidAction")
    }

    func testKnownUnimplementedActionIsUnsupportedOperation() {
        XCTAssertAPIError({ () throws(APIError) in
            try decode(post("CreateMultiDevicesTask", body: #"{"ProductId":"A"}"#))
        }, code: "UnsupportedOperation", messageContains: "CreateMultiDevicesTask")
        XCTAssertAPIError({ () throws(APIError) in
            try decode(post("CreateMultiDevice", version: "2018-06-14", body: "{}"))
        }, code: "UnsupportedOperation")
    }

    func testBodyMustBeJSONObject() {
        XCTAssertAPIError({ () throws(APIError) in try decode(post("DescribeProduct", body: "[]")) }, code: "InvalidParameter")
        XCTAssertAPIError({ () throws(APIError) in try decode(post("DescribeProduct", body: "{\"ProductId\":")) },
                          code: "InvalidParameter")
        // An empty body is `{}`: the required field is then missing.
        XCTAssertAPIError({ () throws(APIError) in try decode(post("DescribeProduct", body: "")) },
                          code: "MissingParameter", messageContains: "ProductId")
    }

    func test2018ProductIDIsMappedToInternalName() throws {
        let decoded = try decode(post(
            "DescribeDevice", version: "2018-06-14", body: #"{"ProductID": "ABCDEFGHIJ", "DeviceName": "d"}"#
        ))
        XCTAssertEqual(decoded.version, .v20180614)
        XCTAssertEqual(decoded.parameters, ["ProductId": "ABCDEFGHIJ", "DeviceName": "d"])
        XCTAssertAPIError({ () throws(APIError) in
            try decode(post("DescribeDevice", version: "2018-06-14", body: #"{"ProductId": "ABCDEFGHIJ", "DeviceName": "d"}"#))
        }, code: "UnknownParameter", messageContains: "ProductId")
        XCTAssertAPIError({ () throws(APIError) in
            try decode(post("DescribeDevice", body: #"{"ProductID": "ABCDEFGHIJ", "DeviceName": "d"}"#))
        }, code: "UnknownParameter", messageContains: "ProductID")
    }

    func testNoAuthorizationAtAll() {
        let request = APIHTTPRequest(method: "POST", headers: [("Host", "h"), ("Content-Type", "application/json")], body: Array("{}".utf8))
        XCTAssertAPIError({ () throws(APIError) in try decode(request) }, code: "AuthFailure.InvalidAuthorization")
    }

    func testAsyncDecode() async throws {
        let request = post("DescribeProduct", body: #"{"ProductId":"ABCDEFGHIJ"}"#)
        let decoded = try await decoder.decode(request, now: now) { (id: String) async throws -> String? in
            TestVectors.lookup(id)
        }
        XCTAssertEqual(decoded.parameters, ["ProductId": "ABCDEFGHIJ"])
        XCTAssertEqual(decoded.secretId, "AKIDlocaltest")
    }

    func testRegisteringASchemaEnablesAnAction() throws {
        var catalog = ActionCatalog.standard
        catalog.register(contentsOf: ActionCatalog.messagingSchemas(.v20210408))
        let custom = APIRequestDecoder(catalog: catalog)
        let request = post("PublishMessage", body: #"{"Topic":"A/d/data","Payload":"hi","ProductId":"A","DeviceName":"d","Qos":1}"#)
        let decoded = try custom.decode(request, now: now, secretKey: TestVectors.lookup)
        XCTAssertEqual(decoded.parameters["Qos"], .int(1))
    }
}
