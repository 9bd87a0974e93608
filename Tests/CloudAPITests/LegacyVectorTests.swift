import CloudAPI
import Foundation
import JSONCore
import XCTest

/// `api.legacy.*` vectors: sign source, signature, verification.
final class LegacyVectorTests: XCTestCase {
    private func checkSigning(_ id: String, method: LegacySignatureMethod) throws {
        let vector = try TestVectors.named(id)
        let parameters = try XCTUnwrap(vector.inputs["parameters"] as? [String: String])
            .map { (name: $0.key, value: $0.value) }
        let host = try XCTUnwrap(vector.input("hostHeader"))
        let source = LegacySigner.signSource(
            httpMethod: try XCTUnwrap(vector.input("httpMethod")), host: host, parameters: parameters
        )
        XCTAssertEqual(source, vector.intermediateValue("signSource"))
        let signature = LegacySigner.signature(
            secretKey: try XCTUnwrap(vector.input("secretKey")), signSource: source, method: method
        )
        XCTAssertEqual(signature, vector.expectedValue("Signature"))
        XCTAssertEqual(FormURLEncoding.encode(signature), vector.expectedValue("SignatureUrlEncoded"))

        // Verification of the same parameters sent as a form body (Signature URL-encoded).
        let form = FormURLEncoding.encode(parameters + [(name: "Signature", value: signature)])
        let request = APIHTTPRequest(
            method: "POST",
            headers: [("Host", host), ("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(form.utf8)
        )
        XCTAssertEqual(
            try LegacyVerifier().verify(request, now: vector.now, secretKey: TestVectors.lookup), "AKIDlocaltest"
        )
        XCTAssertAPIError({ () throws(APIError) in
            try LegacyVerifier().verify(request, now: vector.now, secretKey: { _ in "wrong" })
        }, code: "AuthFailure.SignatureFailure")
    }

    func testVectorLegacyHmacSHA256() throws {
        try checkSigning("api.legacy.hmacsha256", method: .hmacSHA256)
    }

    func testVectorLegacyHmacSHA1() throws {
        try checkSigning("api.legacy.hmacsha1", method: .hmacSHA1)
    }

    private func formPostRequest() throws -> (APIHTTPRequest, TestVector) {
        let vector = try TestVectors.named("api.legacy.hmacsha256.form_post")
        let request = APIHTTPRequest(
            method: try XCTUnwrap(vector.input("httpMethod")),
            headers: [
                ("Host", try XCTUnwrap(vector.input("hostHeader"))),
                ("Content-Type", try XCTUnwrap(vector.input("contentType"))),
                ("X-TC-TraceId", "334cbccf-0a34-444d-aa31-59e8df22ce1a"),
            ],
            body: vector.body
        )
        return (request, vector)
    }

    func testVectorLegacyFormPostVerifies() throws {
        let (request, vector) = try formPostRequest()
        let authorization = try LegacyVerifier().authorization(of: request)
        XCTAssertEqual(authorization.signature, vector.expectedValue("Signature"))
        XCTAssertEqual(authorization.method, .hmacSHA256)
        XCTAssertEqual(
            LegacySigner.signSource(
                httpMethod: "POST", host: "127.0.0.1:18080",
                parameters: authorization.parameters.map { (name: $0.name, value: $0.value) }
            ),
            vector.intermediateValue("signSource")
        )
        XCTAssertEqual(vector.expected["valid"] as? Bool, true)
        XCTAssertEqual(try LegacyVerifier().verify(request, now: vector.now, secretKey: TestVectors.lookup), "AKIDlocaltest")
    }

    func testVectorLegacyFormPostDecodes() throws {
        let (request, vector) = try formPostRequest()
        let decoded = try APIRequestDecoder().decode(request, now: vector.now, secretKey: TestVectors.lookup)
        XCTAssertEqual(decoded.action, "ResetDeviceState")
        XCTAssertEqual(decoded.version, .v20210408)
        XCTAssertEqual(decoded.secretId, "AKIDlocaltest")
        XCTAssertEqual(decoded.region, "ap-guangzhou")
        XCTAssertEqual(decoded.language, "zh-CN")
        XCTAssertEqual(decoded.requestClient, "SDK_PYTHON_3.0.1459")
        XCTAssertEqual(decoded.traceId, "334cbccf-0a34-444d-aa31-59e8df22ce1a")
        XCTAssertEqual(decoded.timestamp, 1_795_908_322)
        XCTAssertEqual(decoded.signatureMethod, .hmacSHA256)
        // Common fields removed, flattened list rebuilt.
        XCTAssertEqual(decoded.parameters.serializedString(), #"{"ProductId":"ABCDEFGHIJ","DeviceNames":["a","b"]}"#)
    }

    func testLegacyNegatives() throws {
        let (request, vector) = try formPostRequest()
        let verifier = LegacyVerifier()
        XCTAssertAPIError({ () throws(APIError) in
            try verifier.verify(request, now: vector.now + 301, secretKey: TestVectors.lookup)
        }, code: "AuthFailure.SignatureExpire")
        XCTAssertAPIError({ () throws(APIError) in
            try verifier.verify(request, now: vector.now, secretKey: { _ in nil })
        }, code: "AuthFailure.SecretIdNotFound")

        var tampered = request
        tampered.body = Array(String(decoding: request.body, as: UTF8.self)
            .replacingOccurrences(of: "DeviceNames.1=b", with: "DeviceNames.1=c").utf8)
        XCTAssertAPIError({ () throws(APIError) in
            try verifier.verify(tampered, now: vector.now, secretKey: TestVectors.lookup)
        }, code: "AuthFailure.SignatureFailure")

        var badMethod = request
        badMethod.body = Array(String(decoding: request.body, as: UTF8.self)
            .replacingOccurrences(of: "SignatureMethod=HmacSHA256", with: "SignatureMethod=HmacMD5").utf8)
        XCTAssertAPIError({ () throws(APIError) in
            try verifier.verify(badMethod, now: vector.now, secretKey: TestVectors.lookup)
        }, code: "AuthFailure.InvalidAuthorization")

        var otherHost = request
        otherHost.headers = ["Host": "127.0.0.1:18081", "Content-Type": "application/x-www-form-urlencoded"]
        XCTAssertAPIError({ () throws(APIError) in
            try verifier.verify(otherHost, now: vector.now, secretKey: TestVectors.lookup)
        }, code: "AuthFailure.SignatureFailure")
    }

    func testSignedParametersRoundTripOverGET() throws {
        let signer = LegacySigner(secretId: TestVectors.secretId, secretKey: TestVectors.secretKey, method: .hmacSHA1)
        let parameters = signer.signedParameters(
            action: "DescribeDevice", version: "2018-06-14",
            parameters: [("ProductID", "ABCDEFGHIJ"), ("DeviceName", "dev 001")],
            httpMethod: "GET", host: "127.0.0.1:8080", timestamp: 1_700_000_000, nonce: 42,
            region: "ap-guangzhou", language: "en-US", requestClient: "iothub-cli"
        )
        XCTAssertEqual(parameters.last?.name, "Signature")
        let query = FormURLEncoding.encode(parameters)
        XCTAssertTrue(query.contains("DeviceName=dev+001"))
        let request = APIHTTPRequest(method: "GET", rawQuery: query, headers: [("Host", "127.0.0.1:8080")])
        let decoded = try APIRequestDecoder().decode(
            request, now: Date(timeIntervalSince1970: 1_700_000_000), secretKey: TestVectors.lookup
        )
        XCTAssertEqual(decoded.signatureMethod, .hmacSHA1)
        XCTAssertEqual(decoded.version, .v20180614)
        XCTAssertEqual(decoded.parameters, ["ProductId": "ABCDEFGHIJ", "DeviceName": "dev 001"])
    }
}
