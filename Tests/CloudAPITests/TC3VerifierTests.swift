import CloudAPI
import Foundation
import XCTest

final class TC3VerifierTests: XCTestCase {
    private let verifier = TC3Verifier()

    private func request(
        _ vectorId: String = "api.tc3.post",
        authorization: String? = nil,
        body: String? = nil,
        replacing header: String? = nil,
        with value: String? = nil,
        extraHeaders: [(name: String, value: String)] = []
    ) throws -> (APIHTTPRequest, Date) {
        let vector = try TestVectors.named(vectorId)
        var request = vector.tc3Request(authorization: authorization)
        if let body { request.body = Array(body.utf8) }
        if let header {
            request.headers.fields.removeAll { $0.name.lowercased() == header.lowercased() }
            if let value { request.headers.add(name: header, value: value) }
        }
        for extra in extraHeaders { request.headers.add(name: extra.name, value: extra.value) }
        return (request, vector.now)
    }

    private func verify(_ request: APIHTTPRequest, now: Date) throws(APIError) -> String {
        try verifier.verify(request, now: now, secretKey: TestVectors.lookup)
    }

    func testWrongSecretKeyIsSignatureFailure() throws {
        let (request, now) = try request()
        XCTAssertAPIError({ () throws(APIError) in
            try verifier.verify(request, now: now, secretKey: { _ in "wrongsecretkey" })
        }, code: "AuthFailure.SignatureFailure", messageContains: "could not be validated")
    }

    func testStaleTimestampIsSignatureExpire() throws {
        let (request, now) = try request()
        XCTAssertAPIError({ () throws(APIError) in try verify(request, now: now + 301) },
                          code: "AuthFailure.SignatureExpire")
        XCTAssertAPIError({ () throws(APIError) in try verify(request, now: now - 301) },
                          code: "AuthFailure.SignatureExpire")
        // The window is inclusive: ±300 s still verifies.
        XCTAssertEqual(try verify(request, now: now + 300), "AKIDlocaltest")
        XCTAssertEqual(try verify(request, now: now - 300), "AKIDlocaltest")
    }

    func testUnknownSecretIdIsSecretIdNotFound() throws {
        let (request, now) = try request(
            authorization: "TC3-HMAC-SHA256 Credential=AKIDunknown/2023-11-14/iotcloud/tc3_request, SignedHeaders=content-type;host, Signature=f4eeba02d763741a6bda47ab04ad5c2bfee8c4cf7ee77276873711ab33b58d06"
        )
        XCTAssertAPIError({ () throws(APIError) in try verify(request, now: now) }, code: "AuthFailure.SecretIdNotFound")
    }

    func testSecretIdCheckedBeforeTimestamp() throws {
        let (request, now) = try request(
            authorization: "TC3-HMAC-SHA256 Credential=AKIDunknown/2023-11-14/iotcloud/tc3_request, SignedHeaders=content-type;host, Signature=f4eeba02d763741a6bda47ab04ad5c2bfee8c4cf7ee77276873711ab33b58d06"
        )
        XCTAssertAPIError({ () throws(APIError) in try verify(request, now: now + 10_000) },
                          code: "AuthFailure.SecretIdNotFound")
    }

    func testMalformedAuthorizationIsInvalidAuthorization() throws {
        let sig = "f4eeba02d763741a6bda47ab04ad5c2bfee8c4cf7ee77276873711ab33b58d06"
        let malformed = [
            "garbage",
            "HMAC-SHA256 Credential=AKIDlocaltest/2023-11-14/iotcloud/tc3_request, SignedHeaders=content-type;host, Signature=\(sig)",
            "TC3-HMAC-SHA256 Credential=AKIDlocaltest/2023-11-14/iotcloud, SignedHeaders=content-type;host, Signature=\(sig)",
            "TC3-HMAC-SHA256 Credential=AKIDlocaltest/2023-11-14/iotcloud/tc4_request, SignedHeaders=content-type;host, Signature=\(sig)",
            "TC3-HMAC-SHA256 Credential=AKIDlocaltest/2023-11-14/iotcloud/tc3_request, SignedHeaders=content-type, Signature=\(sig)",
            "TC3-HMAC-SHA256 Credential=AKIDlocaltest/2023-11-14/iotcloud/tc3_request, SignedHeaders=content-type;host, Signature=abc",
            "TC3-HMAC-SHA256 Credential=AKIDlocaltest/2023-11-14/iotcloud/tc3_request, SignedHeaders=content-type;host",
            "TC3-HMAC-SHA256 Credential=AKIDlocaltest/2023-11-14/iotcloud/tc3_request, SignedHeaders=content-type;host, Signature=\(String(repeating: "z", count: 64))",
        ]
        for header in malformed {
            let (request, now) = try request(authorization: header)
            XCTAssertAPIError({ () throws(APIError) in try verify(request, now: now) },
                              code: "AuthFailure.InvalidAuthorization")
        }
        let (missing, now) = try request(replacing: "Authorization", with: nil)
        XCTAssertAPIError({ () throws(APIError) in try verify(missing, now: now) }, code: "AuthFailure.InvalidAuthorization")
    }

    func testWrongScopeDateIsInvalidAuthorization() throws {
        // 2023-11-15 is the UTC+8 date of 1700000000: a server using local time would accept it.
        let (request, now) = try request(
            authorization: "TC3-HMAC-SHA256 Credential=AKIDlocaltest/2023-11-15/iotcloud/tc3_request, SignedHeaders=content-type;host, Signature=f4eeba02d763741a6bda47ab04ad5c2bfee8c4cf7ee77276873711ab33b58d06"
        )
        XCTAssertAPIError({ () throws(APIError) in try verify(request, now: now) },
                          code: "AuthFailure.InvalidAuthorization", messageContains: "2023-11-14")
    }

    func testWrongScopeServiceIsInvalidAuthorization() throws {
        let (request, now) = try request(
            authorization: "TC3-HMAC-SHA256 Credential=AKIDlocaltest/2023-11-14/cvm/tc3_request, SignedHeaders=content-type;host, Signature=f4eeba02d763741a6bda47ab04ad5c2bfee8c4cf7ee77276873711ab33b58d06"
        )
        XCTAssertAPIError({ () throws(APIError) in try verify(request, now: now) }, code: "AuthFailure.InvalidAuthorization")
    }

    func testMissingTimestampIsInvalidAuthorization() throws {
        let (request, now) = try request(replacing: "X-TC-Timestamp", with: nil)
        XCTAssertAPIError({ () throws(APIError) in try verify(request, now: now) }, code: "AuthFailure.InvalidAuthorization")
        let (bad, _) = try self.request(replacing: "X-TC-Timestamp", with: "17e8")
        XCTAssertAPIError({ () throws(APIError) in try verify(bad, now: now) }, code: "AuthFailure.InvalidAuthorization")
    }

    func testTimestampHeaderDifferentFromSignedOneIsSignatureFailure() throws {
        let (request, now) = try request(replacing: "X-TC-Timestamp", with: "1700000001")
        XCTAssertAPIError({ () throws(APIError) in try verify(request, now: now) }, code: "AuthFailure.SignatureFailure")
    }

    func testTamperedBodyIsSignatureFailure() throws {
        // Same JSON value, different bytes: the hash covers the raw bytes.
        let (reserialised, now) = try request(body: #"{"ProductId":"ABCDEFGHIJ","DeviceName":"dev-001"}"#)
        XCTAssertAPIError({ () throws(APIError) in try verify(reserialised, now: now) }, code: "AuthFailure.SignatureFailure")
        let (tampered, _) = try request(body: #"{"ProductId": "ABCDEFGHIJ", "DeviceName": "dev-002"}"#)
        XCTAssertAPIError({ () throws(APIError) in try verify(tampered, now: now) }, code: "AuthFailure.SignatureFailure")
    }

    func testTamperedHostIsSignatureFailure() throws {
        let (request, now) = try request(replacing: "Host", with: "127.0.0.1:8081")
        XCTAssertAPIError({ () throws(APIError) in try verify(request, now: now) }, code: "AuthFailure.SignatureFailure")
    }

    func testHostWithSchemeAccepted() throws {
        let (request, now) = try request("api.tc3.post.host_with_scheme")
        XCTAssertEqual(request.headers["host"], "http://127.0.0.1:8080")
        XCTAssertEqual(try verify(request, now: now), "AKIDlocaltest")
        // The scheme is signed: stripping it breaks the signature.
        let (stripped, _) = try self.request("api.tc3.post.host_with_scheme", replacing: "Host", with: "127.0.0.1:8080")
        XCTAssertAPIError({ () throws(APIError) in try verify(stripped, now: now) }, code: "AuthFailure.SignatureFailure")
    }

    func testHeaderNamesAreCaseInsensitiveAndValuesTrimmed() throws {
        let vector = try TestVectors.named("api.tc3.post")
        let request = APIHTTPRequest(
            method: "POST",
            headers: [
                ("host", " 127.0.0.1:8080 "),
                ("CONTENT-TYPE", "application/json"),
                ("x-tc-timestamp", "1700000000"),
                ("authorization", try XCTUnwrap(vector.expectedValue("authorization"))),
            ],
            body: vector.body
        )
        XCTAssertEqual(try verify(request, now: vector.now), "AKIDlocaltest")
    }

    func testLowerCasedHeaderValueVariantAccepted() throws {
        // A client that lower-cases signed values (vendor docs) while sending the original case.
        let signer = TC3Signer(secretId: TestVectors.secretId, secretKey: TestVectors.secretKey)
        let body = Array("{}".utf8)
        let signature = signer.sign(
            method: "POST", host: "localhost:8080", contentType: "application/json", body: body, timestamp: 1_700_000_000
        )
        let request = APIHTTPRequest(
            method: "POST",
            headers: [
                ("Host", "LocalHost:8080"),
                ("Content-Type", "application/json"),
                ("X-TC-Timestamp", "1700000000"),
                ("Authorization", signature.authorization),
            ],
            body: body
        )
        XCTAssertEqual(try verify(request, now: Date(timeIntervalSince1970: 1_700_000_000)), "AKIDlocaltest")
    }

    func testAdditionalSignedHeader() throws {
        let signer = TC3Signer(secretId: TestVectors.secretId, secretKey: TestVectors.secretKey)
        let body = Array("{}".utf8)
        let signature = signer.sign(
            method: "POST", host: "127.0.0.1:8080", contentType: "application/json", body: body,
            timestamp: 1_700_000_000, additionalSignedHeaders: [("X-TC-Action", "describeproducts")]
        )
        XCTAssertEqual(signature.signedHeaders, "content-type;host;x-tc-action")
        var headers: HTTPHeaderList = [
            "Host": "127.0.0.1:8080", "Content-Type": "application/json", "X-TC-Timestamp": "1700000000",
            "X-TC-Action": "describeproducts", "Authorization": signature.authorization,
        ]
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        XCTAssertEqual(try verify(APIHTTPRequest(method: "POST", headers: headers, body: body), now: now), "AKIDlocaltest")
        headers.fields.removeAll { $0.name == "X-TC-Action" }
        headers.add(name: "X-TC-Action", value: "DescribeProduct")
        XCTAssertAPIError({ () throws(APIError) in
            try verify(APIHTTPRequest(method: "POST", headers: headers, body: body), now: now)
        }, code: "AuthFailure.SignatureFailure")
    }

    func testUnsignedPayload() throws {
        let signer = TC3Signer(secretId: TestVectors.secretId, secretKey: TestVectors.secretKey)
        let body = Array(#"{"ProductId": "ABCDEFGHIJ"}"#.utf8)
        let signature = signer.sign(
            method: "POST", host: "127.0.0.1:8080", contentType: "application/json", body: body,
            timestamp: 1_700_000_000, unsignedPayload: true
        )
        XCTAssertEqual(signature.hashedPayload, "438d4109ef0d676b8c2c7ed13cdfcb418e494d53b843d4634ce3b1085f07bb96")
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        var request = APIHTTPRequest(
            method: "POST",
            headers: [
                ("Host", "127.0.0.1:8080"), ("Content-Type", "application/json"), ("X-TC-Timestamp", "1700000000"),
                ("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD"), ("Authorization", signature.authorization),
            ],
            body: body
        )
        XCTAssertEqual(try verify(request, now: now), "AKIDlocaltest")
        // The body is not covered in this mode…
        request.body = Array(#"{"ProductId": "OTHER"}"#.utf8)
        XCTAssertEqual(try verify(request, now: now), "AKIDlocaltest")
        // …but without the header the real body hash is used.
        request.headers.fields.removeAll { $0.name == "X-TC-Content-SHA256" }
        XCTAssertAPIError({ () throws(APIError) in try verify(request, now: now) }, code: "AuthFailure.SignatureFailure")
    }

    func testAsyncLookup() async throws {
        let (request, now) = try request()
        let secretId = try await verifier.verify(request, now: now) { (id: String) async throws -> String? in
            TestVectors.lookup(id)
        }
        XCTAssertEqual(secretId, "AKIDlocaltest")
        struct StoreDown: Error {}
        do {
            _ = try await verifier.verify(request, now: now) { (_: String) async throws -> String? in throw StoreDown() }
            XCTFail("expected InternalError")
        } catch {
            XCTAssertEqual(error.code, "InternalError")
        }
    }

    func testParseAuthorization() throws {
        let authorization = try TC3Authorization.parse(
            "TC3-HMAC-SHA256 Credential=AKIDlocaltest/2023-11-14/iotcloud/tc3_request, SignedHeaders=content-type;host, Signature=F4EEBA02D763741A6BDA47AB04AD5C2BFEE8C4CF7EE77276873711AB33B58D06"
        )
        XCTAssertEqual(authorization.secretId, "AKIDlocaltest")
        XCTAssertEqual(authorization.date, "2023-11-14")
        XCTAssertEqual(authorization.service, "iotcloud")
        XCTAssertEqual(authorization.signedHeaderNames, ["content-type", "host"])
        XCTAssertEqual(authorization.signature, "f4eeba02d763741a6bda47ab04ad5c2bfee8c4cf7ee77276873711ab33b58d06")
    }
}
