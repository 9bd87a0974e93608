import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import XCTest

final class HTTPSAndPolicyTests: XCTestCase {
    /// The optional HTTPS device listener serves a certificate from the hub CA that a client trusting
    /// only that CA accepts for 127.0.0.1 (checked with curl, a real TLS client).
    func testHTTPSListenerWithHubCACertificate() async throws {
        let hub = try await TestHub.start { $0.httpsPort = 0 }
        let port = await hub.hub.ports.port(.https)
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = [
            "-sS", "--cacert", hub.dataDirectory + "/ca/ca.cert.pem", "-o", "-", "-w", "\n%{http_code}",
            "https://127.0.0.1:\(port)/health",
        ]
        let output = Pipe()
        curl.standardOutput = output
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            await hub.stopAndRemove()
            // Never a skip: scripts/test installs curl.
            return XCTFail("curl is not installed; run scripts/test")
        }
        try curl.run()
        curl.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        await hub.stopAndRemove()
        XCTAssertEqual(curl.terminationStatus, 0, text)
        XCTAssertEqual(text, "{\"status\":\"ok\"}\n200")
    }

    /// Replay protection is off by default and switched per product with the hub action.
    func testReplayProtectionPolicyOverTheAPI() async throws {
        let hub = try await TestHub.start()
        do {
            let created = try await hub.api.call(
                "CreateProduct", [("ProductName", .string("replay")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
            )
            let id = try XCTUnwrap(created["ProductId"]?.stringValue)
            let dynreg = try await hub.api.call(
                "UpdateProductDynamicRegister", [("ProductId", .string(id)), ("RegisterType", .int(2)), ("RegisterLimit", .int(10))]
            )
            let secret = try XCTUnwrap(dynreg["ProductSecret"]?.stringValue)
            let request = Array(
                RegistrationWire.legacyRequestBody(productId: id, deviceName: "r1", nonce: 42, timestamp: 1_700_000_000, productSecret: secret).utf8
            )
            func register() async throws -> Int? {
                let raw = try await RawHTTP.exchange(port: hub.httpPort, request: RawHTTP.request(path: "/register/dev", headers: [("Host", "h")], body: request))
                let body = try XCTUnwrap(RawHTTP.parse(raw)).body
                return (try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["code"] as? Int
            }
            let policy = try await hub.api.call("UpdateProductRegistrationPolicy", [("ProductId", .string(id))])
            XCTAssertEqual(policy["ReplayProtection"], .bool(false))
            let first = try await register()
            let second = try await register()
            XCTAssertEqual(first, 0)
            XCTAssertEqual(second, 0, "the same request twice is fine while protection is off")
            let on = try await hub.api.call("UpdateProductRegistrationPolicy", [("ProductId", .string(id)), ("ReplayProtection", .bool(true))])
            XCTAssertEqual(on["ReplayProtection"], .bool(true))
            XCTAssertEqual(on["AutoCreatedDevices"], .int(1))
            let replayed = try await register()
            XCTAssertEqual(replayed, 1011, "a nonce seen within 24 h is refused once protection is on")
        } catch {
            await hub.stopAndRemove()
            throw error
        }
        await hub.stopAndRemove()
    }
}
