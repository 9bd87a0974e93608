import Foundation
import IoTHubDevice
import MQTTCore
import XCTest

/// The SDK's MQTT client against mosquitto 2 (a broker we did not write), and against mosquitto's own
/// command-line clients: 3.1.1 and 3.1, QoS 0/1/2 both ways, unsubscribe, and a persistent session.
final class DeviceSDKMosquittoTests: XCTestCase {
    var broker: MosquittoBroker!
    var clients: [MQTTClient] = []

    override func setUp() async throws {
        broker = try await MosquittoBroker.start()
    }

    override func tearDown() async throws {
        for client in clients { await client.disconnect() }
        await broker?.stop()
    }

    func client(_ clientId: String, version: MQTTProtocolVersion = .v3_1_1, cleanSession: Bool = true) async throws -> MQTTClient {
        let client = try MQTTClient(configuration: MQTTClientConfiguration(
            host: "127.0.0.1", port: broker.port, version: version, clientId: clientId, cleanSession: cleanSession, keepAlive: 5,
            reconnect: SDKFixture.fastReconnect
        ))
        clients.append(client)
        try await client.connect()
        return client
    }

    func testQoSLevelsBothWaysOnBothProtocolVersions() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v3_1] {
            let client = try await client("sdk-\(version.rawValue)", version: version)
            let messages = StreamCollector(client.messages)
            let granted = try await client.subscribe([("interop/\(version.rawValue)/#", .exactlyOnce)])
            XCTAssertEqual(granted, [2])
            for qos in MQTTQoS.allCases {
                try await client.publish("interop/\(version.rawValue)/q\(qos.rawValue)", "from-sdk-\(qos.rawValue)", qos: qos)
                let echoed = try await messages.next { $0.text == "from-sdk-\(qos.rawValue)" }
                XCTAssertEqual(echoed.qos, qos, "\(version)")
            }
            // mosquitto_pub → SDK, at each QoS.
            let pub = try ExternalTools.executable("mosquitto_pub")
            for qos in 0...2 {
                let result = try await ExternalTools.run(
                    pub, ["-h", "127.0.0.1", "-p", "\(broker.port)", "-q", "\(qos)", "-t", "interop/\(version.rawValue)/cli", "-m", "from-cli-\(qos)"]
                )
                XCTAssertEqual(result.status, 0, result.stderr)
                let received = try await messages.next { $0.text == "from-cli-\(qos)" }
                XCTAssertEqual(received.qos.rawValue, UInt8(qos))
            }
            try await client.unsubscribe(["interop/\(version.rawValue)/#"])
            await client.disconnect()
        }
    }

    func testSDKPublishesReachMosquittoSub() async throws {
        let sub = try ExternalTools.executable("mosquitto_sub")
        let client = try await client("sdk-pub")
        let port = broker.port
        let receiver = Task {
            try await ExternalTools.run(sub, ["-h", "127.0.0.1", "-p", "\(port)", "-q", "1", "-t", "to-cli", "-C", "3", "-W", "20"], timeout: 30)
        }
        // mosquitto_sub needs a moment to subscribe: keep publishing until it has received three.
        let publisher = Task {
            var count = 0
            while !Task.isCancelled {
                try await client.publish("to-cli", "m\(count)", qos: .atLeastOnce)
                count += 1
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        let result = try await receiver.value
        publisher.cancel()
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("m") }, result.stdout)
    }

    /// cleanSession = false: messages published while the client was away arrive when it comes back.
    func testPersistentSessionKeepsQoS1MessagesWhileAway() async throws {
        var client = try await client("sdk-persistent", cleanSession: false)
        try await client.subscribe([("persist/#", .atLeastOnce)])
        await client.disconnect()
        let publisher = try await self.client("sdk-publisher")
        try await publisher.publish("persist/a", "while-away", qos: .atLeastOnce)
        client = try await self.client("sdk-persistent", cleanSession: false)
        let messages = StreamCollector(client.messages)
        let message = try await messages.next { $0.topic == "persist/a" }
        XCTAssertEqual(message.text, "while-away")
    }
}
