import HubTesting
import XCTest

/// 06: will messages (MQTT-3.1.2-8 … -17, MQTT-3.14.4-3).
final class MQTTConformance06WillTests: MQTTConformanceCase {
    /// The exact CONNECT with a will, closed without DISCONNECT: the will is published as sent.
    func testWillOnAbruptCloseExactBytes() async throws {
        try await forEachVersion { version in
            let topic = "wl\(version.level)"  // 3 bytes
            let t = Array(topic.utf8)
            let watcher = try await connected(version, uniqueId("watcher"))
            try await subscribe(watcher, topic)

            let client = try await open("dying")
            let name = Array(version.protocolName.utf8)
            // Flags 0x06: will flag, clean session; will QoS 0, no retain; ClientId "w"; will "wlN" / "bye".
            let body: [UInt8] = [0x00, UInt8(name.count)] + name + [version.level, 0x06, 0x00, 0x3C, 0x00, 0x01, 0x77]
                + [0x00, 0x03] + t + [0x00, 0x03, 0x62, 0x79, 0x65]
            try await client.send([0x10, UInt8(body.count)] + body)
            try await client.expect([0x20, 0x02, 0x00, 0x00])
            await client.drop()
            try await watcher.expect([0x30, 0x08, 0x00, 0x03] + t + [0x62, 0x79, 0x65], "the will")
        }
    }

    /// DISCONNECT discards the will.
    func testNoWillAfterDisconnect() async throws {
        try await forEachVersion { version in
            let topic = "will/none/\(version.level)"
            let watcher = try await connected(version, uniqueId("watcher"))
            try await subscribe(watcher, topic)
            let client = try await connected(version, uniqueId("polite"), will: MQTTBytes.Will(topic: topic, payload: Array("bye".utf8)))
            try await client.send(MQTTBytes.disconnect)
            try await client.expectClose()
            // A second client whose will does fire proves the broker got that far.
            let marker = try await connected(version, uniqueId("marker"), will: MQTTBytes.Will(topic: topic, payload: Array("marker".utf8)))
            await marker.drop()
            try await watcher.expect(MQTTBytes.publish(topic, "marker"), "only the marker's will")
        }
    }

    /// Will QoS and RETAIN are honoured: a retained QoS 1 will reaches a QoS 1 subscriber and is kept for later
    /// subscribers.
    func testWillQoSAndRetain() async throws {
        try await forEachVersion { version in
            let topic = "will/retained/\(version.level)"
            let watcher = try await connected(version, uniqueId("watcher"))
            try await subscribe(watcher, topic, qos: 2)
            let client = try await connected(
                version, uniqueId("dying"), will: MQTTBytes.Will(topic: topic, payload: Array("offline".utf8), qos: 1, retain: true)
            )
            await client.drop()
            try await watcher.expect(MQTTBytes.publish(topic, "offline", qos: 1, packetId: 1))
            try await watcher.send(MQTTBytes.puback(1))
            let late = try await connected(version, uniqueId("late"))
            try await subscribe(late, topic, qos: 1)
            try await late.expect(MQTTBytes.publish(topic, "offline", qos: 1, retain: true, packetId: 1))
        }
    }

    /// The server closing the connection because of a protocol error publishes the will too.
    func testWillOnProtocolViolation() async throws {
        try await forEachVersion { version in
            let topic = "will/violation/\(version.level)"
            let watcher = try await connected(version, uniqueId("watcher"))
            try await subscribe(watcher, topic)
            let client = try await connected(version, uniqueId("rogue"), will: MQTTBytes.Will(topic: topic, payload: Array("x".utf8)))
            try await client.send(MQTTBytes.publish("bad/+", "wildcard"))
            try await client.expectClose()
            try await watcher.expect(MQTTBytes.publish(topic, "x"))
        }
    }

    /// A will to a topic with a wildcard makes the CONNECT malformed (MQTT-3.1.3-10 with MQTT-3.3.2-2):
    /// no CONNACK, connection closed.
    func testWillTopicWithWildcardIsRefused() async throws {
        try await forEachVersion { version in
            let client = try await open("wild-will")
            try await client.send(MQTTBytes.connect(version, clientId: uniqueId("w"), will: MQTTBytes.Will(topic: "a/#", payload: [1])))
            try await client.expectClose()
        }
    }
}
