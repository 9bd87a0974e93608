import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import XCTest

/// The base of the byte-level MQTT conformance suite (numbered by feature like mosquitto's `test/broker`):
/// every test starts a hub on ephemeral loopback ports, talks to it with ``RawMQTTClient`` and hand-built
/// ``MQTTBytes`` packets, and asserts the exact bytes it answers with. Generic MQTT behaviour runs as
/// anonymous clients (`allowAnonymous`), authentication and ACL as real devices that registered over HTTP.
class MQTTConformanceCase: XCTestCase {
    private var started: TestHub?
    private var clients: [RawMQTTClient] = []

    /// The hub of this test, started on first use with anonymous clients allowed (plus `configure`).
    func hub(_ configure: (inout HubConfiguration) -> Void = { _ in }) async throws -> TestHub {
        if let started { return started }
        let hub = try await TestHub.start { configuration in
            configuration.allowAnonymous = true
            configure(&configuration)
        }
        started = hub
        return hub
    }

    override func tearDown() async throws {
        for client in clients { await client.close() }
        clients.removeAll()
        if let started { await started.stopAndRemove() }
        started = nil
        try await super.tearDown()
    }

    /// A raw TCP connection to the hub's MQTT port (closed in tearDown).
    func open(_ name: String = "client") async throws -> RawMQTTClient {
        let port = try await hub().port(.mqtt)
        let client = try await RawMQTTClient.connect(port: port, name: name)
        clients.append(client)
        return client
    }

    /// An anonymous client that sent CONNECT and received CONNACK 0 (session present as given).
    func connected(
        _ version: MQTTBytes.Version, _ clientId: String, clean: Bool = true, keepAlive: UInt16 = 60, will: MQTTBytes.Will? = nil,
        sessionPresent: Bool = false
    ) async throws -> RawMQTTClient {
        let client = try await open(clientId)
        try await client.send(MQTTBytes.connect(version, clientId: clientId, clean: clean, keepAlive: keepAlive, will: will))
        try await client.expect(MQTTBytes.connack(version, sessionPresent: sessionPresent), "CONNACK of \(clientId) (\(version))")
        return client
    }

    /// Tells when the broker has processed the loss of a connection: the connection carries a will on a
    /// private topic that a watcher subscribes to. Tests that publish "while the client is offline" need
    /// this, or the message could still reach the dying connection.
    struct LossProbe {
        let watcher: RawMQTTClient
        let topic: String

        /// Closes `client` abruptly and returns once the broker published its will.
        func drop(_ client: RawMQTTClient) async throws {
            await client.drop()
            try await client.expectClose()
            try await watcher.expect(MQTTBytes.publish(topic, "lost"), "will of the dropped connection")
        }
    }

    /// A connected client (CONNACK 0, session present as given) with a ``LossProbe``.
    func connectedWithProbe(
        _ version: MQTTBytes.Version, _ clientId: String, clean: Bool = false, sessionPresent: Bool = false
    ) async throws -> (RawMQTTClient, LossProbe) {
        let topic = "probe/\(clientId)/\(UInt32.random(in: 0...UInt32.max))"
        let watcher = try await connected(version, uniqueId("watcher"))
        try await subscribe(watcher, topic)
        let client = try await connected(
            version, clientId, clean: clean, will: MQTTBytes.Will(topic: topic, payload: Array("lost".utf8)), sessionPresent: sessionPresent
        )
        return (client, LossProbe(watcher: watcher, topic: topic))
    }

    /// SUBSCRIBE one filter and expect the SUBACK with `granted` (default: the requested QoS).
    func subscribe(_ client: RawMQTTClient, _ filter: String, qos: UInt8 = 0, packetId: UInt16 = 1, granted: UInt8? = nil) async throws {
        try await client.send(MQTTBytes.subscribe(packetId, filter, qos: qos))
        try await client.expect(MQTTBytes.suback(packetId, [granted ?? qos]), "SUBACK for \(filter)")
    }

    /// Sends PINGREQ and returns every packet that arrives before the PINGRESP.
    func packetsBeforePong(_ client: RawMQTTClient) async throws -> [[UInt8]] {
        try await client.send(MQTTBytes.pingreq)
        var packets: [[UInt8]] = []
        while true {
            let packet = try await client.readPacket()
            if packet == MQTTBytes.pingresp { return packets }
            packets.append(packet)
        }
    }

    /// Polls `condition` for up to 5 s (registry updates happen after a connection closed).
    func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// A client id unique to this test run (stray sessions of other tests can never collide).
    func uniqueId(_ prefix: String) -> String { "\(prefix)-\(UInt32.random(in: 0...UInt32.max))" }

    // MARK: devices

    struct TestDevice {
        var productId: String
        var name: String
        var psk: String
        var clientId: String { productId + name }

        /// A CONNECT exactly as the Tencent SDKs build it (§5.1): clean session, user + password.
        func connect(
            _ version: MQTTBytes.Version, keepAlive: UInt16 = 60, clean: Bool = true, expiry: DeviceUsername.Expiry = .never,
            method: MQTTPassword.Method = .hmacSHA1, will: MQTTBytes.Will? = nil
        ) throws -> [UInt8] {
            let username = DeviceUsername.make(productId: productId, deviceName: name, expiry: expiry)
            let password = try MQTTPassword.make(username: username, devicePSK: psk, method: method)
            return MQTTBytes.connect(
                version, clientId: clientId, clean: clean, keepAlive: keepAlive, will: will, username: username, password: Array(password.utf8)
            )
        }
    }

    /// A key product with dynamic registration (mode 2, auto-create); returns (ProductId, ProductSecret).
    func makeProduct() async throws -> (id: String, secret: String) {
        let hub = try await hub()
        let created = try await hub.api.call(
            "CreateProduct",
            [("ProductName", .string("p\(UInt32.random(in: 0...UInt32.max))")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        let dynreg = try await hub.api.call(
            "UpdateProductDynamicRegister", [("ProductId", .string(id)), ("RegisterType", .int(2)), ("RegisterLimit", .int(100))]
        )
        return (id, try XCTUnwrap(dynreg["ProductSecret"]?.stringValue))
    }

    /// Registers a device through real dynamic registration over HTTP (v2, as the Python SDK does) and
    /// returns its decrypted PSK.
    func registerDevice(_ product: (id: String, secret: String), _ name: String) async throws -> TestDevice {
        let hub = try await hub()
        let body = Array(RegistrationWire.v2RequestBody(productId: product.id, deviceName: name).utf8)
        let signed = V2RegistrationHeaders(
            signing: body, host: "127.0.0.1", algorithm: .hmacSHA256, timestamp: "\(Int(Date().timeIntervalSince1970))",
            nonce: "\(UInt32.random(in: 1...UInt32.max))", productSecret: product.secret
        )
        let headers = [("Host", "127.0.0.1:\(hub.httpPort)"), ("Content-Type", "application/json; charset=utf-8")]
            + signed.fields.map { ($0.name, $0.value) }
        let raw = try await RawHTTP.exchange(port: hub.httpPort, request: RawHTTP.request(path: "/device/register", headers: headers, body: body))
        let response = try XCTUnwrap(RawHTTP.parse(raw), "unparseable registration response")
        guard case .success(let encrypted) = try RegistrationWire.parseV2Response(response.body),
            case .psk(let psk) = try encrypted.decrypt(productSecret: product.secret)
        else {
            throw RawMQTTClient.Failure(description: "registration of \(name) failed: \(String(decoding: response.body, as: UTF8.self))")
        }
        return TestDevice(productId: product.id, name: name, psk: psk)
    }

    /// A device connection that received CONNACK 0.
    func connectedDevice(_ device: TestDevice, _ version: MQTTBytes.Version, keepAlive: UInt16 = 60, will: MQTTBytes.Will? = nil) async throws -> RawMQTTClient {
        let client = try await open(device.name)
        try await client.send(try device.connect(version, keepAlive: keepAlive, will: will))
        try await client.expect(MQTTBytes.connack(version), "CONNACK of device \(device.name) (\(version))")
        return client
    }

    /// Runs `body` once per protocol version (3.1.1, then 3.1), naming the version in failures.
    func forEachVersion(_ body: (MQTTBytes.Version) async throws -> Void) async throws {
        for version in MQTTBytes.Version.allCases {
            do {
                try await body(version)
            } catch {
                XCTFail("\(version): \(error)")
            }
        }
    }
}
