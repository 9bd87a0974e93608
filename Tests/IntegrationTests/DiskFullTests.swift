import CloudAPI
import DeviceAuth
import Foundation
import HubTesting
import JSONCore
import MQTTCore
import XCTest

/// Issue 13 item 3: a full disk hurts only what needs the disk. A real hub on a small tmpfs: once the
/// filesystem is full and a registration fails for lack of space, activated devices still log in, a wrong
/// signature is still answered with its own code, an existing session keeps working; when space returns,
/// registrations succeed again without a restart.
final class DiskFullTests: XCTestCase {
    /// A v2 registration: the PSK, or the error code.
    private func register(port: Int, productId: String, secret: String, name: String, nonce: Int) async throws -> (psk: String?, code: String?) {
        let body = Array(RegistrationWire.v2RequestBody(productId: productId, deviceName: name).utf8)
        let headers = V2RegistrationHeaders(
            signing: body, host: "127.0.0.1", algorithm: .hmacSHA256, timestamp: String(Int(Date().timeIntervalSince1970)), nonce: "\(nonce)",
            productSecret: secret
        )
        let request = RawHTTP.request(
            path: "/device/register", headers: [("Host", "127.0.0.1:\(port)")] + headers.fields.map { ($0.name, $0.value) }, body: body
        )
        let raw = try await RawHTTP.exchange(port: port, request: request)
        let response = try XCTUnwrap(RawHTTP.parse(raw))
        switch try RegistrationWire.parseV2Response(response.body) {
        case .success(let encrypted):
            guard case .psk(let psk) = try encrypted.decrypt(productSecret: secret) else { return (nil, "not a PSK") }
            return (psk, nil)
        case .failure(let error):
            guard case .v2(let code) = error.code else { return (nil, "\(error.code)") }
            return (nil, code)
        }
    }

    func testAFullDiskHurtsOnlyWhatNeedsTheDisk() async throws {
        let mountPoint = NSTemporaryDirectory() + "iothub-diskfull-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try await ExternalTools.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint])
        XCTAssertEqual(mounted.status, 0, "mount a 6 MiB tmpfs (the test needs root): \(mounted.stderr)")
        guard mounted.status == 0 else { return }
        addTeardownBlock {
            _ = try? await ExternalTools.run("/usr/bin/umount", ["-l", mountPoint])
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        let directory = mountPoint + "/hub"
        let hub = try HubProcess(dataDirectory: directory)
        try hub.start()
        defer { hub.kill9() }
        let credentials = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/credentials.json")))
        let api = TestAPIClient(port: hub.apiPort, secretId: credentials["SecretId"]!, secretKey: credentials["SecretKey"]!)
        let created = try await api.call(
            "CreateProduct", [("ProductName", .string("full")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        let productId = try XCTUnwrap(created["ProductId"]?.stringValue)
        let dynreg = try await api.call(
            "UpdateProductDynamicRegister", [("ProductId", .string(productId)), ("RegisterType", .int(2)), ("RegisterLimit", .int(100_000))]
        )
        let secret = try XCTUnwrap(dynreg["ProductSecret"]?.stringValue)

        // Ten devices registered and activated (first login) while there is room; one stays connected.
        var psks: [String: String] = [:]
        for i in 0..<10 {
            let name = "active-\(i)"
            let (psk, code) = try await register(port: hub.httpPort, productId: productId, secret: secret, name: name, nonce: i + 1)
            psks[name] = try XCTUnwrap(psk, "registered while there is room: \(code ?? "")")
            let (client, ack) = try await TestMQTTClient.device(port: hub.mqttPort, productId: productId, deviceName: name, psk: psks[name]!)
            XCTAssertEqual(ack?.returnCode, 0)
            await client.close()
        }
        let (session, sessionAck) = try await TestMQTTClient.device(port: hub.mqttPort, productId: productId, deviceName: "active-0", psk: psks["active-0"]!)
        XCTAssertEqual(sessionAck?.returnCode, 0)
        defer { Task { await session.close() } }

        // Fill the filesystem.
        let filler = mountPoint + "/filler"
        let descriptor = open(filler, O_CREAT | O_WRONLY, 0o600)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        let chunk = [UInt8](repeating: 0x5A, count: 16 * 1024)
        while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        close(descriptor)

        // New registrations until one fails for lack of space (SQLite may still fit a few in its files).
        var internalErrors = 0
        var other: [String] = []
        for i in 0..<3_000 where internalErrors == 0 {
            let (psk, code) = try await register(port: hub.httpPort, productId: productId, secret: secret, name: "new-\(i)", nonce: 1_000 + i)
            if code == "InternalError" { internalErrors += 1 } else if psk == nil { other.append(code ?? "?") }
        }
        XCTAssertEqual(internalErrors, 1, "a registration failed for lack of space")
        XCTAssertEqual(other, [], "no other error than the internal one")

        // With the disk full: activated devices log in, every time.
        for round in 0..<3 {
            for (name, psk) in psks.sorted(by: { $0.key < $1.key }).dropFirst() {
                let (client, ack) = try await TestMQTTClient.device(port: hub.mqttPort, productId: productId, deviceName: name, psk: psk)
                XCTAssertEqual(ack?.returnCode, 0, "round \(round): \(name) logs in with the disk full")
                await client.close()
            }
            // A wrong signature is answered with its own code, not an internal error.
            let (_, code) = try await register(port: hub.httpPort, productId: productId, secret: "wrong" + secret, name: "intruder-\(round)", nonce: 90_000 + round)
            XCTAssertEqual(code, "AuthFailure.SignatureFailure", "round \(round)")
        }
        // The session open all along still works.
        try await session.send(.pingreq)
        _ = try await session.next { if case .pingresp = $0 { true } else { false } }

        // Space returns: registrations succeed again, without a restart.
        try FileManager.default.removeItem(atPath: filler)
        var recovered: String?
        for attempt in 0..<50 where recovered == nil {
            let (psk, _) = try await register(port: hub.httpPort, productId: productId, secret: secret, name: "after-\(attempt)", nonce: 50_000 + attempt)
            recovered = psk
            if psk == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertNotNil(recovered, "a registration succeeds once there is space again")
    }
}
