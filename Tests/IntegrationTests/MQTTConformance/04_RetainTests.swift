import HubTesting
import XCTest

/// 04: retained messages (MQTT-3.3.1-5 … -12).
final class MQTTConformance04RetainTests: MQTTConformanceCase {
    /// A retained message goes to current subscribers with RETAIN 0 and to later subscribers with RETAIN 1.
    func testRetainedMessageExactBytes() async throws {
        try await forEachVersion { version in
            let topic = "rt\(version.level)"  // 3 bytes
            let t = Array(topic.utf8)
            let early = try await connected(version, uniqueId("early"))
            try await subscribe(early, topic)
            let publisher = try await connected(version, uniqueId("pub"))
            // PUBLISH QoS 0 RETAIN 1, payload "on".
            try await publisher.send([0x31, 0x07, 0x00, 0x03] + t + [0x6F, 0x6E])
            try await early.expect([0x30, 0x07, 0x00, 0x03] + t + [0x6F, 0x6E], "RETAIN 0 to an established subscription")
            try await publisher.ping()

            let late = try await connected(version, uniqueId("late"))
            try await late.send(MQTTBytes.subscribe(1, topic))
            try await late.expect(MQTTBytes.suback(1, [0]))
            try await late.expect([0x31, 0x07, 0x00, 0x03] + t + [0x6F, 0x6E], "RETAIN 1 to a new subscription")
        }
    }

    /// A newer retained message replaces the older one; an empty retained payload deletes it (and is still
    /// delivered to current subscribers).
    func testReplaceAndDelete() async throws {
        try await forEachVersion { version in
            let topic = "retain/replace/\(version.level)"
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "old", retain: true) + MQTTBytes.publish(topic, "new", retain: true))
            try await publisher.ping()
            let reader = try await connected(version, uniqueId("reader"))
            try await subscribe(reader, topic)
            try await reader.expect(MQTTBytes.publish(topic, "new", retain: true))
            try await reader.ping("only the newest is kept")
            // MQTT-3.3.1-12: a message without RETAIN neither replaces nor removes the retained one.
            try await publisher.send(MQTTBytes.publish(topic, "live"))
            try await reader.expect(MQTTBytes.publish(topic, "live"))
            let second = try await connected(version, uniqueId("second"))
            try await subscribe(second, topic)
            try await second.expect(MQTTBytes.publish(topic, "new", retain: true), "still the retained one")

            try await publisher.send(MQTTBytes.publish(topic, [], retain: true))
            try await publisher.ping()
            try await reader.expect(MQTTBytes.publish(topic, []), "the empty message reaches current subscribers")
            let after = try await connected(version, uniqueId("after"))
            try await subscribe(after, topic)
            try await after.ping("deleted: nothing retained")
        }
    }

    /// The retained copy is sent at min(stored QoS, granted QoS); a QoS 1 one carries a packet id.
    func testRetainedQoS() async throws {
        try await forEachVersion { version in
            let topic = "retain/qos/\(version.level)"
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "r", qos: 1, retain: true, packetId: 3))
            try await publisher.expect(MQTTBytes.puback(3))

            let q0 = try await connected(version, uniqueId("q0"))
            try await subscribe(q0, topic, qos: 0)
            try await q0.expect(MQTTBytes.publish(topic, "r", retain: true))

            let q2 = try await connected(version, uniqueId("q2"))
            try await subscribe(q2, topic, qos: 2)
            try await q2.expect(MQTTBytes.publish(topic, "r", qos: 1, retain: true, packetId: 1))
            try await q2.send(MQTTBytes.puback(1))
            try await q2.ping()
        }
    }

    /// A wildcard subscription receives every matching retained message; `$` topics only through a filter
    /// that names the `$` level.
    func testWildcardsAndDollarTopics() async throws {
        try await forEachVersion { version in
            let p = "rw\(version.level)"
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(
                MQTTBytes.publish("\(p)/a", "1", retain: true) + MQTTBytes.publish("\(p)/b/c", "2", retain: true)
                    + MQTTBytes.publish("$R\(version.level)/x", "3", retain: true)
            )
            try await publisher.ping()

            let hash = try await connected(version, uniqueId("hash"))
            try await subscribe(hash, "\(p)/#")
            var received: [[UInt8]] = []
            for _ in 0..<2 { received.append(try await hash.readPacket()) }
            XCTAssertEqual(
                Set(received), [MQTTBytes.publish("\(p)/a", "1", retain: true), MQTTBytes.publish("\(p)/b/c", "2", retain: true)],
                "\(version)"
            )
            try await hash.ping()

            let all = try await connected(version, uniqueId("all"))
            try await subscribe(all, "#")
            let everything = try await packetsBeforePong(all)
            XCTAssertTrue(everything.contains(MQTTBytes.publish("\(p)/a", "1", retain: true)), "\(version)")
            XCTAssertFalse(everything.contains { $0.count > 4 && $0[4] == UInt8(ascii: "$") }, "\(version): a $ topic matched #")

            let dollar = try await connected(version, uniqueId("dollar"))
            try await subscribe(dollar, "$R\(version.level)/+")
            try await dollar.expect(MQTTBytes.publish("$R\(version.level)/x", "3", retain: true))
        }
    }

    /// Subscribing again to the same filter sends the retained messages again (MQTT-3.8.4-3).
    func testResubscribeResendsRetained() async throws {
        try await forEachVersion { version in
            let topic = "retain/again/\(version.level)"
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "again", retain: true))
            try await publisher.ping()
            let client = try await connected(version, uniqueId("sub"))
            try await subscribe(client, topic, packetId: 1)
            try await client.expect(MQTTBytes.publish(topic, "again", retain: true))
            try await subscribe(client, topic, packetId: 2)
            try await client.expect(MQTTBytes.publish(topic, "again", retain: true))
        }
    }

    /// Retained messages outlive their publisher's connection.
    func testRetainedOutlivesPublisher() async throws {
        try await forEachVersion { version in
            let topic = "retain/outlive/\(version.level)"
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "still here", qos: 2, retain: true, packetId: 1))
            try await publisher.expect(MQTTBytes.pubrec(1))
            try await publisher.send(MQTTBytes.pubrel(1))
            try await publisher.expect(MQTTBytes.pubcomp(1))
            try await publisher.send(MQTTBytes.disconnect)
            try await publisher.expectClose()
            let reader = try await connected(version, uniqueId("reader"))
            try await subscribe(reader, topic, qos: 2)
            try await reader.expect(MQTTBytes.publish(topic, "still here", qos: 2, retain: true, packetId: 1))
        }
    }
}
