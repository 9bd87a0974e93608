import CloudAPI
import Foundation
import HubServer
import HubTesting
import JSONCore
import XCTest

/// The client-compatibility checklist of cloud-api.md §1, on the bytes.
final class ManagementAPIHTTPTests: XCTestCase {
    func testErrorsAre200WithExactContentTypeAndRequestId() async throws {
        let hub = try await TestHub.start()
        defer { Task { await hub.stopAndRemove() } }
        let api = hub.api
        // A signed request for a missing product.
        let raw = try await api.rawCall("DescribeProduct", body: Array(#"{"ProductId": "ZZZZZZZZZZ"}"#.utf8))
        let response = try XCTUnwrap(RawHTTP.parse(raw))
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.headerLines.contains("Content-Type: application/json"), "\(response.headerLines)")
        XCTAssertFalse(response.headerLines.contains { $0.lowercased().contains("charset") })
        guard case .failure(let error) = try APIResponse.parse(response.body) else { return XCTFail("accepted") }
        XCTAssertEqual(error.code, "ResourceNotFound.ProductNotExist")
        XCTAssertNotNil(error.requestId)

        // Wrong key, stale timestamp, unknown SecretId, no Authorization at all.
        let wrongKey = RawHTTP.parse(try await api.rawCall("DescribeProducts", body: Array("{}".utf8), secretKey: "nope"))!
        XCTAssertEqual(try APIResponse.parse(wrongKey.body).failure?.code, "AuthFailure.SignatureFailure")
        let stale = RawHTTP.parse(try await api.rawCall("DescribeProducts", body: Array("{}".utf8), timestamp: Int64(Date().timeIntervalSince1970) - 301))!
        XCTAssertEqual(try APIResponse.parse(stale.body).failure?.code, "AuthFailure.SignatureExpire")
        var unknown = api
        unknown.secretId = "AKIDunknown"
        let unknownId = RawHTTP.parse(try await unknown.rawCall("DescribeProducts", body: Array("{}".utf8)))!
        XCTAssertEqual(try APIResponse.parse(unknownId.body).failure?.code, "AuthFailure.SecretIdNotFound")
        let unsigned = RawHTTP.parse(
            try await RawHTTP.exchange(port: hub.apiPort, request: RawHTTP.request(path: "/", headers: [("Host", "x")], body: Array("{}".utf8)))
        )!
        XCTAssertEqual(unsigned.status, 200)
        XCTAssertEqual(try APIResponse.parse(unsigned.body).failure?.code, "AuthFailure.InvalidAuthorization")
        // Unknown and known-but-unimplemented actions.
        do {
            try await api.call("NoSuchAction")
            XCTFail("accepted")
        } catch let failure as TestAPIClient.Failure {
            XCTAssertEqual(failure.code, "InvalidAction")
        }
    }

    func testSuccessEnvelopeAndTypes() async throws {
        let hub = try await TestHub.start()
        defer { Task { await hub.stopAndRemove() } }
        let created = try await hub.api.call(
            "CreateProduct", [("ProductName", .string("typed")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        XCTAssertNotNil(created["RequestId"]?.stringValue)
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        XCTAssertEqual(id.count, 10)
        XCTAssertTrue(id.allSatisfy { $0.isUppercase || $0.isNumber })
        XCTAssertEqual(created["ProductProperties"]?["EncryptionType"], .string("2"))
        XCTAssertEqual(created["ProductProperties"]?["RegisterType"], .int(0))
        XCTAssertEqual(created["ProductProperties"]?["RegisterLimit"], .int(10000))
        XCTAssertEqual(created["ProductProperties"]?["ProductSecret"], .string(""))
        let device = try await hub.api.call("CreateDevice", [("ProductId", .string(id)), ("DeviceName", .string("d1"))])
        let psk = try XCTUnwrap(device["DevicePsk"]?.stringValue)
        XCTAssertEqual(Data(base64Encoded: psk)?.count, 16)
        let described = try await hub.api.call("DescribeDevice", [("ProductId", .string(id)), ("DeviceName", .string("d1"))])
        XCTAssertEqual(described["Online"], .int(3))
        XCTAssertEqual(described["DevicePsk"], .string(psk))
        XCTAssertEqual(described["CertState"], .int(0))
        let list = try await hub.api.call("DescribeDevices", [("ProductId", .string(id)), ("Offset", .int(0)), ("Limit", .int(10))])
        XCTAssertEqual(list["TotalCount"], .int(1))
        XCTAssertEqual(list["Devices"]?[0]?["DevicePsk"], .string(""))
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
