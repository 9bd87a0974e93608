import HubServer
import HubTesting
import XCTest

/// 05: clean and persistent sessions (MQTT-3.1.2-4 … -6, MQTT-3.2.2-1 … -3) and the bounded offline queue.
final class MQTTConformance05SessionTests: MQTTConformanceCase {
    /// CleanSession 0: the first CONNACK says "no session", the next one "session present" (3.1.1; the
    /// flag does not exist in 3.1, whose byte stays 0); the subscription survives.
    func testPersistentSessionKeepsSubscriptions() async throws {
        try await forEachVersion { version in
            let topic = "persist/\(version.level)"
            let clientId = uniqueId("persist")
            let first = try await open("first")
            try await first.send(MQTTBytes.connect(version, clientId: clientId, clean: false))
            try await first.expect([0x20, 0x02, 0x00, 0x00], "no session yet")
            try await subscribe(first, topic, qos: 1)
            try await first.send(MQTTBytes.disconnect)
            try await first.expectClose()

            let second = try await open("second")
            try await second.send(MQTTBytes.connect(version, clientId: clientId, clean: false))
            try await second.expect([0x20, 0x02, version == .v3_1_1 ? 0x01 : 0x00, 0x00], "session present")
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "kept", qos: 1, packetId: 1))
            try await publisher.expect(MQTTBytes.puback(1))
            try await second.expect(MQTTBytes.publish(topic, "kept", qos: 1, packetId: 1), "delivered without subscribing again")
            try await second.send(MQTTBytes.puback(1))
            try await second.send(MQTTBytes.disconnect)
        }
    }

    /// CleanSession 1 discards any previous session (MQTT-3.1.2-6), and its own session ends with the
    /// connection: a later CleanSession 0 connection starts fresh.
    func testCleanSessionDiscardsState() async throws {
        try await forEachVersion { version in
            let topic = "clean/\(version.level)"
            let clientId = uniqueId("clean")
            let first = try await connected(version, clientId, clean: false)
            try await subscribe(first, topic, qos: 1)
            try await first.send(MQTTBytes.disconnect)
            try await first.expectClose()

            let second = try await connected(version, clientId, clean: true, sessionPresent: false)
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "x", qos: 1, packetId: 1))
            try await publisher.expect(MQTTBytes.puback(1))
            try await second.ping("the old subscription is gone")
            try await second.send(MQTTBytes.disconnect)
            try await second.expectClose()

            let third = try await connected(version, clientId, clean: false, sessionPresent: false)
            try await third.ping()
            try await third.send(MQTTBytes.disconnect)
        }
    }

    /// Messages for an offline persistent session are queued at QoS 1 and 2 (not QoS 0) and delivered in
    /// order when it comes back.
    func testOfflineQueue() async throws {
        try await forEachVersion { version in
            let topic = "offline/\(version.level)"
            let clientId = uniqueId("offline")
            let (first, probe) = try await connectedWithProbe(version, clientId)
            try await subscribe(first, topic, qos: 2)
            try await probe.drop(first)

            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "q0"))
            try await publisher.send(MQTTBytes.publish(topic, "q1", qos: 1, packetId: 1))
            try await publisher.expect(MQTTBytes.puback(1))
            try await publisher.send(MQTTBytes.publish(topic, "q2", qos: 2, packetId: 2))
            try await publisher.expect(MQTTBytes.pubrec(2))
            try await publisher.send(MQTTBytes.pubrel(2))
            try await publisher.expect(MQTTBytes.pubcomp(2))

            let second = try await connected(version, clientId, clean: false, sessionPresent: true)
            try await second.expect(MQTTBytes.publish(topic, "q1", qos: 1, packetId: 1))
            try await second.expect(MQTTBytes.publish(topic, "q2", qos: 2, packetId: 2))
            try await second.send(MQTTBytes.puback(1) + MQTTBytes.pubrec(2))
            try await second.expect(MQTTBytes.pubrel(2))
            try await second.send(MQTTBytes.pubcomp(2))
            try await second.ping("the QoS 0 message was not queued")
            try await second.send(MQTTBytes.disconnect)
        }
    }

    /// The offline queue is bounded (`mqttMaxQueued`): the oldest messages are kept, later ones dropped.
    func testOfflineQueueBound() async throws {
        _ = try await hub { $0.mqttMaxQueued = 3 }
        try await forEachVersion { version in
            let topic = "bound/\(version.level)"
            let clientId = uniqueId("bound")
            let (first, probe) = try await connectedWithProbe(version, clientId)
            try await subscribe(first, topic, qos: 1)
            try await probe.drop(first)

            let publisher = try await connected(version, uniqueId("pub"))
            for index in 1...6 {
                try await publisher.send(MQTTBytes.publish(topic, "m\(index)", qos: 1, packetId: UInt16(index)))
                try await publisher.expect(MQTTBytes.puback(UInt16(index)), "PUBACK even when the subscriber's queue is full")
            }
            let second = try await connected(version, clientId, clean: false, sessionPresent: true)
            for index in 1...3 {
                try await second.expect(MQTTBytes.publish(topic, "m\(index)", qos: 1, packetId: UInt16(index)))
                try await second.send(MQTTBytes.puback(UInt16(index)))
            }
            try await second.ping("messages 4…6 were dropped")
            // The queue works again once drained.
            try await publisher.send(MQTTBytes.publish(topic, "m7", qos: 1, packetId: 7))
            try await publisher.expect(MQTTBytes.puback(7))
            try await second.expect(MQTTBytes.publish(topic, "m7", qos: 1, packetId: 4))
            try await second.send(MQTTBytes.puback(4))
            try await second.send(MQTTBytes.disconnect)
        }
    }

    /// A persistent session can be resumed with a different protocol version.
    func testResumeAcrossVersions() async throws {
        let topic = "across"
        let clientId = uniqueId("across")
        let (first, probe) = try await connectedWithProbe(.v3_1_1, clientId)
        try await subscribe(first, topic, qos: 1)
        try await probe.drop(first)
        let publisher = try await connected(.v3_1_1, uniqueId("pub"))
        try await publisher.send(MQTTBytes.publish(topic, "v", qos: 1, packetId: 1))
        try await publisher.expect(MQTTBytes.puback(1))
        let second = try await connected(.v3_1, clientId, clean: false, sessionPresent: true)
        try await second.expect(MQTTBytes.publish(topic, "v", qos: 1, packetId: 1))
        try await second.send(MQTTBytes.puback(1))
        try await second.ping()
    }
}
