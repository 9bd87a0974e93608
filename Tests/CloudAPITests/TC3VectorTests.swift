import CloudAPI
import Foundation
import XCTest

/// Every `api.tc3.*` vector: intermediate values, signature, Authorization header and verification.
final class TC3VectorTests: XCTestCase {
    private func check(_ id: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let vector = try TestVectors.named(id)
        let signer = TC3Signer(
            secretId: try XCTUnwrap(vector.input("secretId")),
            secretKey: try XCTUnwrap(vector.input("secretKey")),
            service: try XCTUnwrap(vector.input("service"))
        )
        let signature = signer.sign(
            method: try XCTUnwrap(vector.input("httpMethod")),
            host: try XCTUnwrap(vector.input("hostHeader")),
            canonicalQueryString: vector.input("canonicalQueryString") ?? "",
            contentType: try XCTUnwrap(vector.input("contentType")),
            body: vector.body,
            timestamp: vector.timestamp
        )
        XCTAssertEqual(signature.date, vector.intermediateValue("date"), file: file, line: line)
        XCTAssertEqual(signature.hashedPayload, vector.intermediateValue("hashedPayload"), file: file, line: line)
        XCTAssertEqual(signature.canonicalRequest, vector.intermediateValue("canonicalRequest"), file: file, line: line)
        XCTAssertEqual(
            signature.canonicalRequestHash, vector.intermediateValue("canonicalRequestHash"), file: file, line: line
        )
        XCTAssertEqual(signature.credentialScope, vector.intermediateValue("credentialScope"), file: file, line: line)
        XCTAssertEqual(signature.stringToSign, vector.intermediateValue("stringToSign"), file: file, line: line)
        XCTAssertEqual(signature.signature, vector.expectedValue("signature"), file: file, line: line)
        XCTAssertEqual(signature.authorization, vector.expectedValue("authorization"), file: file, line: line)

        let keys = TC3Signer.signingKey(
            secretKey: try XCTUnwrap(vector.input("secretKey")),
            date: try XCTUnwrap(vector.intermediateValue("date")),
            service: "iotcloud"
        )
        XCTAssertEqual(hex(keys.date), vector.intermediateValue("kDateHex"), file: file, line: line)
        XCTAssertEqual(hex(keys.service), vector.intermediateValue("kServiceHex"), file: file, line: line)
        XCTAssertEqual(hex(keys.signing), vector.intermediateValue("kSigningHex"), file: file, line: line)

        // Full verification of the request as received, with `now` = the vector's timestamp.
        let secretId = try TC3Verifier().verify(vector.tc3Request(), now: vector.now, secretKey: TestVectors.lookup)
        XCTAssertEqual(secretId, "AKIDlocaltest", file: file, line: line)
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    func testVectorTC3Post() throws {
        try check("api.tc3.post")
    }

    func testVectorTC3PostCreateDevice() throws {
        try check("api.tc3.post.create_device")
    }

    func testVectorTC3GetResetDeviceState() throws {
        try check("api.tc3.get.reset_device_state")
    }

    func testVectorTC3PostHostWithScheme() throws {
        try check("api.tc3.post.host_with_scheme")
    }

    /// Guards against a vector being added to the fixture without a test here or in LegacyVectorTests.
    func testEveryAPIVectorIsCovered() throws {
        let covered: Set<String> = [
            "api.tc3.post", "api.tc3.post.create_device", "api.tc3.get.reset_device_state",
            "api.tc3.post.host_with_scheme", "api.legacy.hmacsha256", "api.legacy.hmacsha1",
            "api.legacy.hmacsha256.form_post",
        ]
        let present = Set(try TestVectors.all().map(\.id).filter { $0.hasPrefix("api.") })
        XCTAssertEqual(present, covered)
    }

    func testUTCDateNotLocalTime() {
        // 1700000000 is 2023-11-15 in UTC+8 but 2023-11-14 in UTC.
        XCTAssertEqual(TC3Signer.utcDate(timestamp: 1_700_000_000), "2023-11-14")
        XCTAssertEqual(TC3Signer.utcDate(timestamp: 0), "1970-01-01")
        XCTAssertEqual(TC3Signer.utcDate(timestamp: 951_782_400), "2000-02-29")
        XCTAssertEqual(TC3Signer.utcDate(timestamp: 1_795_908_421), "2026-11-28")
        XCTAssertEqual(TC3Signer.utcDate(timestamp: -1), "1969-12-31")
    }

    func testPostJSONHeadersVerify() throws {
        let signer = TC3Signer(secretId: TestVectors.secretId, secretKey: TestVectors.secretKey)
        let body = Array(#"{"ProductId": "ABCDEFGHIJ", "DeviceName": "dev-001"}"#.utf8)
        let headers = signer.postJSONHeaders(
            action: "DescribeDevice", version: .v20210408, host: "127.0.0.1:8080", body: body,
            timestamp: 1_700_000_000, region: "ap-guangzhou"
        )
        XCTAssertEqual(headers.map(\.name), [
            "Content-Type", "Host", "X-TC-Action", "X-TC-Timestamp", "X-TC-Version", "X-TC-Region", "Authorization",
        ])
        XCTAssertEqual(headers.first { $0.name == "Content-Type" }?.value, "application/json")
        XCTAssertEqual(
            headers.last?.value,
            "TC3-HMAC-SHA256 Credential=AKIDlocaltest/2023-11-14/iotcloud/tc3_request, SignedHeaders=content-type;host, Signature=f4eeba02d763741a6bda47ab04ad5c2bfee8c4cf7ee77276873711ab33b58d06"
        )
        let request = APIHTTPRequest(method: "POST", headers: headers, body: body)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        XCTAssertEqual(try TC3Verifier().verify(request, now: now, secretKey: TestVectors.lookup), "AKIDlocaltest")
    }
}
