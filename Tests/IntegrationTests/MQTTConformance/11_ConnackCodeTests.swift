import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import Registry
import XCTest

/// 11: the CONNACK return codes of device-protocol.md §5.8, each followed by the server closing the
/// connection; and a successful device login recorded in the registry.
final class MQTTConformance11ConnackCodeTests: MQTTConformanceCase {
    /// Sends `bytes` as the first packet and expects CONNACK `returnCode`, then the close.
    func assertRefused(_ bytes: [UInt8], _ returnCode: UInt8, _ what: String) async throws {
        let client = try await open(what)
        try await client.send(bytes)
        do {
            try await client.expectClose(allowing: [0x20, 0x02, 0x00, returnCode], what)
        } catch {
            XCTFail("\(error)")
        }
    }

    /// 1: a protocol name/level other than (MQIsdp, 3) and (MQTT, 4), including MQTT 5.
    func testUnacceptableProtocolVersionIs1() async throws {
        let cases: [(String, UInt8)] = [("MQTT", 3), ("MQTT", 6), ("MQTT", 2), ("MQIsdp", 4), ("MQIsdp", 5)]
        for (name, level) in cases {
            try await assertRefused(MQTTBytes.connect(protocolName: name, level: level, clientId: "x"), 0x01, "\(name)/\(level)")
        }
        // A well-formed MQTT 5 CONNECT (property length 0): the hub serves 3.1 and 3.1.1 only.
        let v5: [UInt8] = [0x10, 0x0E, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x05, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x01, 0x78]
        try await assertRefused(v5, 0x01, "MQTT 5")
        // A device's CONNECT with a bad level is refused the same way, before any authentication.
        let product = try await makeProduct()
        let device = try await registerDevice(product, "level")
        var bytes = try device.connect(.v3_1_1)
        let name = Array("MQTT".utf8)
        let levelIndex = try XCTUnwrap((0..<bytes.count - 4).first { Array(bytes[$0..<$0 + 4]) == name }) + 4
        XCTAssertEqual(bytes[levelIndex], 0x04)
        bytes[levelIndex] = 0x07
        try await assertRefused(bytes, 0x01, "device with level 7")
    }

    /// 2: a device username with a ClientId that is not `{10-char ProductId}{1–48-char DeviceName}`.
    func testBadClientIdIs2() async throws {
        let product = try await makeProduct()
        let device = try await registerDevice(product, "cid")
        try await forEachVersion { version in
            for clientId in ["short", product.id, product.id + String(repeating: "n", count: 49)] {
                let username = "\(clientId);21010406;abcde;\(DeviceUsername.Expiry.neverText)"
                let password = try MQTTPassword.make(username: username, devicePSK: device.psk, method: .hmacSHA1)
                let bytes = MQTTBytes.connect(version, clientId: clientId, username: username, password: Array(password.utf8))
                try await assertRefused(bytes, 0x02, "\(version) ClientId \(clientId)")
            }
        }
    }

    /// 4: a malformed username, or a missing, malformed or wrong password.
    func testBadUsernameOrPasswordIs4() async throws {
        let product = try await makeProduct()
        let device = try await registerDevice(product, "creds")
        let other = try await registerDevice(product, "creds-other")
        let clientId = device.clientId
        let never = DeviceUsername.Expiry.neverText
        let good = "\(clientId);21010406;abcde;\(never)"
        func password(_ username: String, psk: String? = nil, method: MQTTPassword.Method = .hmacSHA1) throws -> [UInt8] {
            Array(try MQTTPassword.make(username: username, devicePSK: psk ?? device.psk, method: method).utf8)
        }
        try await forEachVersion { version in
            let cases: [(String, String?, [UInt8]?)] = [
                ("three fields", "\(clientId);21010406;\(never)", try password("\(clientId);21010406;\(never)")),
                ("five fields", "\(good);x", try password("\(good);x")),
                ("field 1 is another ClientId", "\(other.clientId);21010406;abcde;\(never)", try password("\(other.clientId);21010406;abcde;\(never)")),
                ("expiry not numeric", "\(clientId);21010406;abcde;never", try password("\(clientId);21010406;abcde;never")),
                ("expiry of 21 digits", "\(clientId);21010406;abcde;123456789012345678901", try password("\(clientId);21010406;abcde;123456789012345678901")),
                ("empty connid", "\(clientId);21010406;;\(never)", try password("\(clientId);21010406;;\(never)")),
                ("no password", good, nil),
                ("empty password", good, []),
                ("wrong password", good, try password(good, psk: other.psk)),
                ("password of another username", good, try password("\(clientId);21010406;zzzzz;\(never)")),
                ("unknown method", good, Array((String(decoding: try password(good), as: UTF8.self).split(separator: ";")[0] + ";hmacmd5").utf8)),
                ("no method", good, Array(String(decoding: try password(good), as: UTF8.self).split(separator: ";")[0].utf8)),
                ("not hex", good, Array("zz;hmacsha1".utf8)),
            ]
            for (what, username, pass) in cases {
                let bytes = MQTTBytes.connect(version, clientId: clientId, username: username, password: pass)
                try await assertRefused(bytes, 0x04, "\(version) \(what)")
            }
        }
        let stored = try await hub().hub.registry.device(productId: product.id, name: device.name)
        XCTAssertFalse(stored.activated, "a refused login must not activate the device")
        XCTAssertFalse(stored.online)
    }

    /// 5: unknown product or device, disabled device or product, expired username.
    func testNotAuthorizedIs5() async throws {
        let product = try await makeProduct()
        let device = try await registerDevice(product, "auth5")
        let disabled = try await registerDevice(product, "auth5-disabled")
        let hub = try await hub()
        try await hub.api.call(
            "UpdateDeviceAvailableState", [("ProductId", .string(product.id)), ("DeviceName", .string(disabled.name)), ("EnableState", .int(0))]
        )
        let forbiddenProduct = try await makeProduct()
        let inForbidden = try await registerDevice(forbiddenProduct, "auth5-forbidden")
        try await hub.api.call("SetProductsForbiddenStatus", [("ProductId", .array([.string(forbiddenProduct.id)])), ("Status", .int(1))])

        try await forEachVersion { version in
            var unknownDevice = device
            unknownDevice.name = "nobody"
            var unknownProduct = device
            unknownProduct.productId = "ZZZZZZZZZZ"
            let cases: [(String, [UInt8])] = [
                ("unknown device", try unknownDevice.connect(version)),
                ("unknown product", try unknownProduct.connect(version)),
                ("disabled device", try disabled.connect(version)),
                ("disabled product", try inForbidden.connect(version)),
                ("expired username", try device.connect(version, expiry: .at(1_000_000_000))),
            ]
            for (what, bytes) in cases {
                try await assertRefused(bytes, 0x05, "\(version) \(what)")
            }
        }
    }

    /// Without `allowAnonymous`, a client without credentials (or with a user name that is no device's or
    /// application's) is refused with 4.
    func testAnonymousRefusedUnlessAllowed() async throws {
        _ = try await hub { $0.allowAnonymous = false }
        try await forEachVersion { version in
            try await assertRefused(MQTTBytes.connect(version, clientId: "anon"), 0x04, "\(version) no credentials")
            try await assertRefused(MQTTBytes.connect(version, clientId: "anon", username: "bob"), 0x04, "\(version) plain user name")
            try await assertRefused(
                MQTTBytes.connect(version, clientId: "anon", username: "bob", password: Array("pw".utf8)), 0x04, "\(version) user and password"
            )
        }
    }

    /// 0: the SDKs' exact CONNECT (both HMAC methods, both versions, every expiry form of §5.4); the login
    /// is recorded (online, activation) and the logout too.
    func testDeviceLoginIsAcceptedAndRecorded() async throws {
        let product = try await makeProduct()
        let device = try await registerDevice(product, "login")
        let hub = try await hub()
        let nowMillis = UInt64(Date().timeIntervalSince1970 * 1000)
        let forms: [(MQTTPassword.Method, DeviceUsername.Expiry)] = [
            (.hmacSHA1, .never), (.hmacSHA256, .at(2_147_483_647)), (.hmacSHA1, .at(92_233_720_368_547_758)), (.hmacSHA1, .at(nowMillis)),
        ]
        try await forEachVersion { version in
            for (method, expiry) in forms {
                let client = try await open("login")
                try await client.send(try device.connect(version, keepAlive: 240, expiry: expiry, method: method))
                try await client.expect(MQTTBytes.connack(version), "\(version) \(method) \(expiry)")
                let online = try await hub.hub.registry.device(productId: product.id, name: device.name)
                XCTAssertTrue(online.online)
                XCTAssertTrue(online.activated)
                try await client.send(MQTTBytes.disconnect)
                try await client.expectClose()
                let offline = try await eventually { try await !hub.hub.registry.device(productId: product.id, name: device.name).online }
                XCTAssertTrue(offline, "\(version): offline after DISCONNECT")
            }
        }
    }
}
