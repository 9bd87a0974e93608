import CloudAPI
import Foundation
import HubServer
import HubTesting
import JSONCore
import Logging
import XCTest

/// Item 9 of issue #12 through the real management API: the official SDKs sign only `content-type;host`,
/// so a captured request must not be replayable as another action.
final class ManagementAPIReplayTests: XCTestCase {
    func testCapturedDescribeDeviceReplayedAsDeleteDeviceIsRefused() async throws {
        let logs = LogCapture()
        let hub = try await TestHub.start(logger: logs.logger(level: .info))
        defer { Task { await hub.stopAndRemove() } }
        let product = try await hub.api.call("CreateProduct", [("ProductName", .string("replay")), ("ProductProperties", .object(["EncryptionType": .string("2")]))])
        let productId = try XCTUnwrap(product["ProductId"]?.stringValue)
        try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string("victim"))])

        // The request an eavesdropper captures: DescribeDevice, signed as the official SDKs sign it.
        let body = Array(#"{"ProductId": "\#(productId)", "DeviceName": "victim"}"#.utf8)
        let signer = TC3Signer(secretId: hub.credentials.secretId, secretKey: hub.credentials.secretKey)
        let captured = signer.postJSONHeaders(
            action: "DescribeDevice", version: "2021-04-08", host: hub.apiEndpoint, body: body,
            timestamp: Int64(Date().timeIntervalSince1970), region: "ap-guangzhou"
        )
        func send(_ headers: [(name: String, value: String)]) async throws -> Result<JSONValue, APIError> {
            let raw = try await RawHTTP.exchange(port: hub.apiPort, request: RawHTTP.request(path: "/", headers: headers.map { ($0.name, $0.value) }, body: body))
            return try APIResponse.parse(try XCTUnwrap(RawHTTP.parse(raw)).body)
        }
        guard case .success(let described) = try await send(captured) else { return XCTFail("the original request failed") }
        XCTAssertEqual(described["DeviceName"]?.stringValue, "victim")

        // Replayed with another action (the signature does not cover X-TC-Action), later than the grace in
        // which the official clients' same-second pairs pass (--api-replay-grace, 2 s).
        try await Task.sleep(for: .seconds(3))
        let asDelete = captured.map { $0.name == "X-TC-Action" ? (name: $0.name, value: "DeleteDevice") : $0 }
        guard case .failure(let refused) = try await send(asDelete) else { return XCTFail("the replay as DeleteDevice was accepted") }
        XCTAssertEqual(refused.code, "AuthFailure.SignatureFailure")
        XCTAssertTrue(refused.message.contains("replay"), refused.message)
        // The device is still there.
        let after = try await hub.api.call("DescribeDevice", [("ProductId", .string(productId)), ("DeviceName", .string("victim"))])
        XCTAssertEqual(after["DeviceName"]?.stringValue, "victim")
        // The refusal was logged with its reason.
        let rejected = logs.records("management request rejected")
        XCTAssertTrue(
            rejected.contains { $0.metadata["hub.error_code"] == "AuthFailure.SignatureFailure" && ($0.metadata["hub.reason"] ?? "").contains("replay") },
            "\(rejected)"
        )

        // Replayed with another version or region: refused too.
        let asOtherRegion = captured.map { $0.name == "X-TC-Region" ? (name: $0.name, value: "ap-beijing") : $0 }
        guard case .failure(let regionRefused) = try await send(asOtherRegion) else { return XCTFail("the replay with another region was accepted") }
        XCTAssertEqual(regionRefused.code, "AuthFailure.SignatureFailure")

        // An identical retry of the original keeps working.
        guard case .success(let retried) = try await send(captured) else { return XCTFail("the identical retry failed") }
        XCTAssertEqual(retried["DeviceName"]?.stringValue, "victim")
    }

    func testReplayCheckCanBeTurnedOff() async throws {
        // With the cache off (0), the same replay goes through: this is what the check prevents.
        let hub = try await TestHub.start { $0.apiReplayCacheEntries = 0 }
        defer { Task { await hub.stopAndRemove() } }
        let product = try await hub.api.call("CreateProduct", [("ProductName", .string("replayoff")), ("ProductProperties", .object(["EncryptionType": .string("2")]))])
        let productId = try XCTUnwrap(product["ProductId"]?.stringValue)
        try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string("victim"))])
        let body = Array(#"{"ProductId": "\#(productId)", "DeviceName": "victim"}"#.utf8)
        let signer = TC3Signer(secretId: hub.credentials.secretId, secretKey: hub.credentials.secretKey)
        let captured = signer.postJSONHeaders(
            action: "DescribeDevice", version: "2021-04-08", host: hub.apiEndpoint, body: body, timestamp: Int64(Date().timeIntervalSince1970)
        )
        let asDelete = captured.map { $0.name == "X-TC-Action" ? (name: $0.name, value: "DeleteDevice") : $0 }
        for headers in [captured, asDelete] {
            if headers.contains(where: { $0.value == "DeleteDevice" }) { try await Task.sleep(for: .seconds(3)) }  // as in the test above
            let raw = try await RawHTTP.exchange(port: hub.apiPort, request: RawHTTP.request(path: "/", headers: headers.map { ($0.name, $0.value) }, body: body))
            guard case .success = try APIResponse.parse(try XCTUnwrap(RawHTTP.parse(raw)).body) else { return XCTFail("refused without the cache") }
        }
    }
}
