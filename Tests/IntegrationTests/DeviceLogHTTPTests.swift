import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import NIOCore
import Registry
import XCTest

/// Device log upload over HTTP (device-protocol.md §7.5): the exact requests of the C SDKs through a raw
/// socket, the exact replies, what is stored (read back with ListSDKLog) and the retention limit.
final class DeviceLogHTTPTests: XCTestCase {
    private let psk = "7WmFA/MEs+Fy+32QwJWtYw=="
    private let productHost = "ap-guangzhou.gateway.tencentdevices.com"

    private func startHub(configure: (inout HubConfiguration) -> Void = { _ in }) async throws -> (TestHub, String) {
        let hub = try await TestHub.start(configure: configure)
        var spec = NewProduct(name: "logger")
        spec.encryptionType = .psk
        let product = try await hub.hub.registry.createProduct(spec)
        _ = try await hub.hub.registry.createDevice(productId: product.id, name: "dev001", definedPSK: psk)
        return (hub, product.id)
    }

    /// What the C SDK 3.2 sends (§7.5.1): no `Connection` header, `Accept:` without a space.
    private func classicRequest(_ body: [UInt8]) -> [UInt8] {
        Array(
            "POST /cgi-bin/report-log HTTP/1.1\r\nHost: devicelog.iot.cloud.tencent.com\r\nAccept:application/json;*/*\r\nContent-Length: \(body.count)\r\nContent-Type: text/plain;charset=utf-8\r\n\r\n"
                .utf8
        ) + body
    }

    /// What the C SDK 3.3.0 sends (§7.5.2), signed over `host` unless `signature` is given.
    private func v2Request(
        _ body: [UInt8], key: String, host: String, algorithm: V2RegistrationSignature.Algorithm = .hmacSHA1, nonce: String = "1263079973",
        signature: String? = nil
    ) -> [UInt8] {
        let signed = signature ?? V2LogUploadSignature.sign(host: host, algorithm: algorithm, timestamp: "0", nonce: nonce, body: body, key: key)
        return Array(
            ("POST /device/reportlog HTTP/1.1\r\nHost: \(host)\r\nAccept: application/json;*/*\r\nX-TC-Algorithm: \(algorithm.headerValue)\r\n"
                + "X-TC-Timestamp: 0\r\nX-TC-Nonce: \(nonce)\r\nX-TC-Signature: \(signed)\r\nContent-Length: \(body.count)\r\n"
                + "Content-Type: application/json;charset=utf-8\r\n\r\n").utf8
        ) + body
    }

    /// Sends the bytes; returns status, header lines and body. The hub must close the connection after its
    /// reply (the C SDK sends no `Connection` header), well before the 5 s this waits.
    private func send(_ hub: TestHub, _ request: [UInt8]) async throws -> (status: Int, headers: [String], body: String) {
        let raw = try await RawHTTP.exchange(port: hub.httpPort, request: request, timeout: .seconds(5))
        let reply = try XCTUnwrap(RawHTTP.parse(raw), "no complete HTTP reply")
        // Header names other than Content-Length may be in any case (the C SDK looks only for `Content-Length`).
        XCTAssertTrue(reply.headerLines.contains { $0.lowercased() == "connection: close" }, "\(reply.headerLines)")
        XCTAssertTrue(reply.headerLines.contains("Content-Length: \(reply.body.count)"), "\(reply.headerLines)")
        XCTAssertTrue(reply.headerLines.contains("Content-Type: application/json"), "\(reply.headerLines)")
        XCTAssertLessThan(reply.body.count, 256)
        return (reply.status, reply.headerLines, String(decoding: reply.body, as: UTF8.self))
    }

    private func logs(_ hub: TestHub, _ productId: String, _ deviceName: String = "dev001", keywords extra: String = "") async throws -> [JSONValue] {
        let client = TestAPIClient(port: hub.apiPort, secretId: hub.credentials.secretId, secretKey: hub.credentials.secretKey)
        let response = try await client.call("ListSDKLog", [
            ("MinTime", .int(0)), ("MaxTime", .int(Int64(Date().timeIntervalSince1970 * 1000) + 60_000)),
            ("Keywords", .string("productid:\(productId) devicename:\(deviceName)" + extra)), ("MaxNum", .int(1000)),
        ])
        return response["Results"]?.arrayValue ?? []
    }

    func testClassicUploadIsAcceptedAndStored() async throws {
        let (hub, productId) = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let body = ClassicLogUpload.make(
            productId: productId, deviceName: "dev001", timestamp: 0,
            entries: [
                "ERR|2026-12-07 01:31:03|HAL_TCP_linux.c|HAL_TCP_Connect(99): fail to connect with TCP server: 127.0.0.3:1883",
                "WRN|2026-12-07 01:31:04|mqtt_client.c|f(1): second",
            ],
            key: psk
        )
        let reply = try await send(hub, classicRequest(body))
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.body, #"{"Retcode":0,"Msg":"ok"}"#)
        let stored = try await logs(hub, productId)
        XCTAssertEqual(stored.count, 2)
        // Newest first.
        XCTAssertEqual(stored.first?["Level"]?.stringValue, "WRN")
        XCTAssertEqual(stored.last?["Level"]?.stringValue, "ERR")
        XCTAssertEqual(stored.last?["DateTime"]?.stringValue, "2026-12-07 01:31:03")
        XCTAssertEqual(stored.last?["Content"]?.stringValue, "HAL_TCP_linux.c|HAL_TCP_Connect(99): fail to connect with TCP server: 127.0.0.3:1883")
        XCTAssertEqual(stored.last?["ProductId"]?.stringValue, productId)
        XCTAssertEqual(stored.last?["DeviceName"]?.stringValue, "dev001")
        // Keyword filters: level and free text.
        let result1 = try await logs(hub, productId, keywords: " loglevel:ERR").count
        XCTAssertEqual(result1, 1)
        let result2 = try await logs(hub, productId, keywords: " second").count
        XCTAssertEqual(result2, 1)
        let result3 = try await logs(hub, productId, keywords: " absent").count
        XCTAssertEqual(result3, 0)
    }

    func testV2UploadIsAcceptedAndStored() async throws {
        let (hub, productId) = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let c33 = V2LogUploadBody(
            productId: productId, deviceName: "dev001",
            messages: ["ERR|2026-12-07 01:31:03|mqtt_sample.c|main(314): MQTT Construct failed!", "INF|2026-12-07 01:31:04|a/b.c|g(2): two"]
        ).cSDKBody()
        // Signed over the production host (the name resolved to the hub), and over another Host header.
        var reply = try await send(hub, v2Request(c33, key: psk, host: productHost))
        XCTAssertEqual(reply.status, 200)
        XCTAssertTrue(reply.body.hasPrefix(#"{"Response":{"RequestId":""#) && !reply.body.contains("Error"), reply.body)
        reply = try await send(hub, v2Request(c33, key: psk, host: "logs.hub.example", nonce: "5"))
        XCTAssertFalse(reply.body.contains("Error"), reply.body)
        // Java: hmacsha256, one element with \n\f-terminated lines.
        let java = Array("{\"ProductId\":\"\(productId)\",\"DeviceName\":\"dev001\",\"Message\":[\"ERR|2026-12-07 01:31:05|TAG|java one\\n\\fDBG|2026-12-07 01:31:06|TAG|java two\\n\\f\"]}".utf8)
        reply = try await send(hub, v2Request(java, key: psk, host: productHost, algorithm: .hmacSHA256))
        XCTAssertFalse(reply.body.contains("Error"), reply.body)
        let stored = try await logs(hub, productId)
        XCTAssertEqual(stored.map { $0["Content"]?.stringValue ?? "" }, [
            "TAG|java two", "TAG|java one", "a/b.c|g(2): two", "mqtt_sample.c|main(314): MQTT Construct failed!",
            "a/b.c|g(2): two", "mqtt_sample.c|main(314): MQTT Construct failed!",
        ])
    }

    func testWrongSignatureIsRefusedAndNothingStored() async throws {
        let (hub, productId) = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let wrongKey = "8WmFA/MEs+Fy+32QwJWtYw=="
        let classic = ClassicLogUpload.make(productId: productId, deviceName: "dev001", timestamp: 0, entries: ["ERR|x|y|z"], key: wrongKey)
        var reply = try await send(hub, classicRequest(classic))
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.body, #"{"Retcode":3,"Msg":"check signature failed"}"#)
        // A right signature over altered entries.
        var altered = ClassicLogUpload.make(productId: productId, deviceName: "dev001", timestamp: 0, entries: ["ERR|x|y|z"], key: psk)
        altered[altered.count - 3] ^= 0x01
        reply = try await send(hub, classicRequest(altered))
        XCTAssertEqual(reply.body, #"{"Retcode":3,"Msg":"check signature failed"}"#)

        let body = V2LogUploadBody(productId: productId, deviceName: "dev001", messages: ["ERR|x|y|z"]).cSDKBody()
        reply = try await send(hub, v2Request(body, key: wrongKey, host: productHost))
        XCTAssertEqual(reply.status, 200)
        XCTAssertTrue(reply.body.hasPrefix(#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure""#), reply.body)
        // Signed over a host the hub does not accept.
        let otherHost = V2LogUploadSignature.sign(host: "elsewhere.example", algorithm: .hmacSHA1, timestamp: "0", nonce: "1263079973", body: body, key: psk)
        reply = try await send(hub, v2Request(body, key: psk, host: productHost, signature: otherHost))
        XCTAssertTrue(reply.body.contains("AuthFailure.SignatureFailure"), reply.body)
        let result4 = try await logs(hub, productId).count
        XCTAssertEqual(result4, 0)
    }

    func testUnknownDisabledAndMalformedUploadsAreRefused() async throws {
        let (hub, productId) = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        for (product, device) in [(productId, "nobody"), ("ZZZZZZZZZZ", "dev001")] {
            let classic = ClassicLogUpload.make(productId: product, deviceName: device, timestamp: 0, entries: ["ERR|x|y|z"], key: psk)
            var reply = try await send(hub, classicRequest(classic))
            XCTAssertEqual(reply.body, #"{"Retcode":2,"Msg":"device not found"}"#)
            let body = V2LogUploadBody(productId: product, deviceName: device, messages: ["ERR|x|y|z"]).cSDKBody()
            reply = try await send(hub, v2Request(body, key: psk, host: productHost))
            XCTAssertTrue(reply.body.hasPrefix(#"{"Response":{"Error":{"Code":"ResourceNotFound.DeviceNotExist""#), reply.body)
        }
        var reply = try await send(hub, classicRequest(Array("too short".utf8)))
        XCTAssertEqual(reply.body, #"{"Retcode":1,"Msg":"bad request"}"#)
        reply = try await send(hub, v2Request(Array("[1]".utf8), key: psk, host: productHost))
        XCTAssertTrue(reply.body.contains(#""Code":"InvalidParameter""#), reply.body)

        try await hub.hub.registry.setDevicesEnabled(productId: productId, names: ["dev001"], enabled: false)
        let classic = ClassicLogUpload.make(productId: productId, deviceName: "dev001", timestamp: 0, entries: ["ERR|x|y|z"], key: psk)
        reply = try await send(hub, classicRequest(classic))
        XCTAssertEqual(reply.body, #"{"Retcode":4,"Msg":"device disabled"}"#)
        let result5 = try await logs(hub, productId).count
        XCTAssertEqual(result5, 0)
    }

    func testRetentionKeepsTheNewestEntriesPerDevice() async throws {
        let (hub, productId) = try await startHub { $0.deviceLogMaxEntries = 3 }
        defer { Task { await hub.stopAndRemove() } }
        _ = try await hub.hub.registry.createDevice(productId: productId, name: "dev002", definedPSK: psk)
        for batch in [["a1", "a2"], ["b1", "b2"]] {
            let body = ClassicLogUpload.make(productId: productId, deviceName: "dev001", timestamp: 0, entries: batch.map { "ERR|t|f|\($0)" }, key: psk)
            let reply = try await send(hub, classicRequest(body))
            XCTAssertEqual(reply.body, #"{"Retcode":0,"Msg":"ok"}"#)
        }
        let result6 = try await logs(hub, productId).map { $0["Content"]?.stringValue ?? "" }
        XCTAssertEqual(result6, ["f|b2", "f|b1", "f|a2"])
        let other = ClassicLogUpload.make(productId: productId, deviceName: "dev002", timestamp: 0, entries: ["ERR|t|f|c1"], key: psk)
        _ = try await send(hub, classicRequest(other))
        // One upload larger than the limit keeps its newest entries; the other device keeps its own.
        let big = ClassicLogUpload.make(productId: productId, deviceName: "dev001", timestamp: 0, entries: (1...5).map { "ERR|t|f|d\($0)" }, key: psk)
        _ = try await send(hub, classicRequest(big))
        let result7 = try await logs(hub, productId).map { $0["Content"]?.stringValue ?? "" }
        XCTAssertEqual(result7, ["f|d5", "f|d4", "f|d3"])
        let result8 = try await logs(hub, productId, "dev002").map { $0["Content"]?.stringValue ?? "" }
        XCTAssertEqual(result8, ["f|c1"])
    }

    /// Hostile sources: wrong signatures count towards an automatic ban like failed logins, a banned source is
    /// refused before its body is read, and a source over its rate is refused (loopback is normally exempt).
    func testWrongSignaturesBanTheSourceAndTheRateIsLimited() async throws {
        let (hub, productId) = try await startHub {
            $0.abuse.exemptSources = []
            $0.abuse.banAfterFailures = 3
            $0.abuse.logUploadPerSource = RateLimit(rate: 0.001, burst: 5)
        }
        defer { Task { await hub.stopAndRemove() } }
        let good = ClassicLogUpload.make(productId: productId, deviceName: "dev001", timestamp: 0, entries: ["ERR|ok|f|g"], key: psk)
        var reply = try await send(hub, classicRequest(good))
        XCTAssertEqual(reply.body, #"{"Retcode":0,"Msg":"ok"}"#)
        let wrong = ClassicLogUpload.make(productId: productId, deviceName: "dev001", timestamp: 0, entries: ["ERR|x|y|z"], key: "8WmFA/MEs+Fy+32QwJWtYw==")
        for _ in 0..<3 {
            reply = try await send(hub, classicRequest(wrong))
            XCTAssertEqual(reply.body, #"{"Retcode":3,"Msg":"check signature failed"}"#)
        }
        reply = try await send(hub, classicRequest(good))
        XCTAssertEqual(reply.body, #"{"Retcode":7,"Msg":"source address banned"}"#, "banned after 3 wrong signatures")
        let body = V2LogUploadBody(productId: productId, deviceName: "dev001", messages: ["ERR|x|y|z"]).cSDKBody()
        reply = try await send(hub, v2Request(body, key: psk, host: productHost))
        XCTAssertTrue(reply.body.contains("UnauthorizedOperation.SourceBanned"), reply.body)
        let stored = try await logs(hub, productId)
        XCTAssertEqual(stored.count, 1, "only the upload before the ban")

        // Rate: after the burst (5 tokens, 4 spent above; banned requests spend none) the source is refused with Retcode 6.
        _ = try await hub.hub.abuse.unban("127.0.0.1")
        reply = try await send(hub, classicRequest(good))
        XCTAssertEqual(reply.body, #"{"Retcode":0,"Msg":"ok"}"#)
        reply = try await send(hub, classicRequest(good))
        XCTAssertEqual(reply.body, #"{"Retcode":6,"Msg":"request limit exceeded"}"#)
    }

    /// One device cannot fill the disk: its entries are kept within a byte budget, and deleting the device
    /// deletes its entries (a device created again under the name starts empty).
    func testByteBudgetAndDeletingTheDeviceDeletesItsLogs() async throws {
        let (hub, productId) = try await startHub { $0.deviceLogMaxBytes = 4_000 }
        defer { Task { await hub.stopAndRemove() } }
        let line = String(repeating: "x", count: 900)
        for round in 0..<3 {
            let upload = ClassicLogUpload.make(
                productId: productId, deviceName: "dev001", timestamp: 0, entries: (0..<3).map { "ERR|2026-12-07 10:00:0\(round)|f.c|g(\($0)): \(line)" }, key: psk
            )
            let reply = try await send(hub, classicRequest(upload))
            XCTAssertEqual(reply.body, #"{"Retcode":0,"Msg":"ok"}"#)
        }
        let kept = try await logs(hub, productId)
        XCTAssertEqual(kept.count, 4, "9 entries of about 930 bytes within 4,000 bytes: the newest 4")
        XCTAssertTrue(kept.first?["Content"]?.stringValue?.contains("g(2)") == true, "\(String(describing: kept.first))")

        let client = TestAPIClient(port: hub.apiPort, secretId: hub.credentials.secretId, secretKey: hub.credentials.secretKey)
        try await client.call("DeleteDevice", [("ProductId", .string(productId)), ("DeviceName", .string("dev001"))])
        _ = try await hub.hub.registry.createDevice(productId: productId, name: "dev001", definedPSK: psk)
        let after = try await logs(hub, productId)
        XCTAssertEqual(after.count, 0, "the deleted device's entries went with it")
    }

    /// The total budget over all devices is applied at start (and every 10 minutes): the oldest go first.
    func testTotalByteBudgetIsAppliedAtStart() async throws {
        let (hub, productId) = try await startHub()
        let line = String(repeating: "y", count: 900)
        for round in 0..<3 {
            let upload = ClassicLogUpload.make(
                productId: productId, deviceName: "dev001", timestamp: 0, entries: ["ERR|2026-12-07 10:00:0\(round)|f.c|g(\(round)): \(line)"], key: psk
            )
            let reply = try await send(hub, classicRequest(upload))
            XCTAssertEqual(reply.body, #"{"Retcode":0,"Msg":"ok"}"#)
        }
        let all = try await logs(hub, productId)
        XCTAssertEqual(all.count, 3)
        let directory = hub.dataDirectory
        await hub.stop()
        let again = try await TestHub.start(dataDirectory: directory) { $0.deviceLogMaxTotalBytes = 2_000 }
        defer { Task { await again.stopAndRemove() } }
        var kept: [JSONValue] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            kept = try await logs(again, productId)
            if kept.count == 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        } while Date() < deadline
        XCTAssertEqual(kept.count, 2, "about 930 bytes each: the newest 2 fit in 2,000")
        XCTAssertTrue(kept.first?["Content"]?.stringValue?.contains("g(2)") == true, "\(String(describing: kept.first))")
    }
}
