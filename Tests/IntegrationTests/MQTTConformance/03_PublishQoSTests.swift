import HubServer
import HubTesting
import XCTest

/// 03: PUBLISH at QoS 0, 1 and 2 in both directions, downgrade to the granted QoS, DUP, and redelivery of
/// unacknowledged messages when a persistent session resumes (MQTT-4.4.0-1).
final class MQTTConformance03PublishQoSTests: MQTTConformanceCase {
    func testQoS1ExactBytes() async throws {
        try await forEachVersion { version in
            let topic = "q1\(version.level)"  // 3 bytes
            let t = Array(topic.utf8)
            let subscriber = try await connected(version, uniqueId("sub"))
            try await subscribe(subscriber, topic, qos: 1)
            let publisher = try await connected(version, uniqueId("pub"))
            // PUBLISH QoS 1, packet id 0x0042, payload "hi".
            try await publisher.send([0x32, 0x09, 0x00, 0x03] + t + [0x00, 0x42, 0x68, 0x69])
            try await publisher.expect([0x40, 0x02, 0x00, 0x42], "PUBACK")
            // Delivered with the subscriber's own packet id (the first one: 1).
            try await subscriber.expect([0x32, 0x09, 0x00, 0x03] + t + [0x00, 0x01, 0x68, 0x69], "delivered PUBLISH")
            try await subscriber.send([0x40, 0x02, 0x00, 0x01])
            try await subscriber.ping()
        }
    }

    /// The four-packet flow, both as receiver (PUBREC, PUBCOMP) and as sender (PUBREL).
    func testQoS2ExactBytes() async throws {
        try await forEachVersion { version in
            let topic = "q2\(version.level)"
            let t = Array(topic.utf8)
            let subscriber = try await connected(version, uniqueId("sub"))
            try await subscribe(subscriber, topic, qos: 2)
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send([0x34, 0x09, 0x00, 0x03] + t + [0x12, 0x34, 0x68, 0x69])
            try await publisher.expect([0x50, 0x02, 0x12, 0x34], "PUBREC")
            try await subscriber.expect([0x34, 0x09, 0x00, 0x03] + t + [0x00, 0x01, 0x68, 0x69], "delivered PUBLISH")
            try await publisher.send([0x62, 0x02, 0x12, 0x34])
            try await publisher.expect([0x70, 0x02, 0x12, 0x34], "PUBCOMP")
            try await subscriber.send([0x50, 0x02, 0x00, 0x01])
            try await subscriber.expect([0x62, 0x02, 0x00, 0x01], "PUBREL")
            try await subscriber.send([0x70, 0x02, 0x00, 0x01])
            try await subscriber.ping()
        }
    }

    /// A QoS 2 PUBLISH resent with DUP before PUBREL is acknowledged again but delivered once
    /// (MQTT-4.3.3-2); after PUBREL the packet id is free for a new message.
    func testQoS2DuplicateIsDeliveredOnce() async throws {
        try await forEachVersion { version in
            let topic = "dup2/\(version.level)"
            let subscriber = try await connected(version, uniqueId("sub"))
            try await subscribe(subscriber, topic, qos: 0)
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "once", qos: 2, packetId: 5))
            try await publisher.expect(MQTTBytes.pubrec(5))
            try await publisher.send(MQTTBytes.publish(topic, "once", qos: 2, dup: true, packetId: 5))
            try await publisher.expect(MQTTBytes.pubrec(5), "PUBREC for the duplicate")
            try await subscriber.expect(MQTTBytes.publish(topic, "once"))
            try await subscriber.ping("no second delivery")
            try await publisher.send(MQTTBytes.pubrel(5))
            try await publisher.expect(MQTTBytes.pubcomp(5))
            // Released: id 5 now starts a new message.
            try await publisher.send(MQTTBytes.publish(topic, "twice", qos: 2, packetId: 5))
            try await publisher.expect(MQTTBytes.pubrec(5))
            try await subscriber.expect(MQTTBytes.publish(topic, "twice"))
            try await publisher.send(MQTTBytes.pubrel(5))
            try await publisher.expect(MQTTBytes.pubcomp(5))
        }
    }

    /// A QoS 1 PUBLISH resent with DUP is acknowledged again (QoS 1 is "at least once").
    func testQoS1DuplicateIsAcknowledged() async throws {
        try await forEachVersion { version in
            let topic = "dup1/\(version.level)"
            let subscriber = try await connected(version, uniqueId("sub"))
            try await subscribe(subscriber, topic)
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "m", qos: 1, packetId: 9))
            try await publisher.expect(MQTTBytes.puback(9))
            try await publisher.send(MQTTBytes.publish(topic, "m", qos: 1, dup: true, packetId: 9))
            try await publisher.expect(MQTTBytes.puback(9))
            try await subscriber.expect(MQTTBytes.publish(topic, "m"))
        }
    }

    /// Deliveries use min(published QoS, granted QoS) (MQTT-3.8.4-6 / 3.3.5).
    func testDowngradeToGrantedQoS() async throws {
        try await forEachVersion { version in
            let p = "down/\(version.level)"
            let q0 = try await connected(version, uniqueId("q0"))
            try await subscribe(q0, "\(p)/#", qos: 0)
            let q1 = try await connected(version, uniqueId("q1"))
            try await subscribe(q1, "\(p)/#", qos: 1)
            let q2 = try await connected(version, uniqueId("q2"))
            try await subscribe(q2, "\(p)/#", qos: 2)
            let publisher = try await connected(version, uniqueId("pub"))

            try await publisher.send(MQTTBytes.publish("\(p)/two", "2", qos: 2, packetId: 1))
            try await publisher.expect(MQTTBytes.pubrec(1))
            try await q0.expect(MQTTBytes.publish("\(p)/two", "2"))
            try await q1.expect(MQTTBytes.publish("\(p)/two", "2", qos: 1, packetId: 1))
            try await q2.expect(MQTTBytes.publish("\(p)/two", "2", qos: 2, packetId: 1))

            try await publisher.send(MQTTBytes.publish("\(p)/one", "1", qos: 1, packetId: 2))
            try await publisher.expect(MQTTBytes.puback(2))
            try await q0.expect(MQTTBytes.publish("\(p)/one", "1"))
            try await q1.expect(MQTTBytes.publish("\(p)/one", "1", qos: 1, packetId: 2))
            try await q2.expect(MQTTBytes.publish("\(p)/one", "1", qos: 1, packetId: 2))

            try await publisher.send(MQTTBytes.publish("\(p)/zero", "0"))
            try await publisher.ping()
            for client in [q0, q1, q2] { try await client.expect(MQTTBytes.publish("\(p)/zero", "0")) }
        }
    }

    /// An unacknowledged QoS 1 delivery is sent again, with DUP and the same packet id, when the persistent
    /// session resumes; messages published while offline follow in order; once acknowledged nothing is
    /// sent again.
    func testQoS1RedeliveryOnSessionResumption() async throws {
        try await forEachVersion { version in
            let topic = "redeliver1/\(version.level)"
            let clientId = uniqueId("persist")
            let (first, probe) = try await connectedWithProbe(version, clientId)
            try await subscribe(first, topic, qos: 1)
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "a", qos: 1, packetId: 1))
            try await publisher.expect(MQTTBytes.puback(1))
            try await first.expect(MQTTBytes.publish(topic, "a", qos: 1, packetId: 1))
            try await probe.drop(first)  // no PUBACK

            try await publisher.send(MQTTBytes.publish(topic, "b", qos: 1, packetId: 2))
            try await publisher.expect(MQTTBytes.puback(2))

            let second = try await connected(version, clientId, clean: false, sessionPresent: true)
            try await second.expect(MQTTBytes.publish(topic, "a", qos: 1, dup: true, packetId: 1), "redelivery with DUP")
            try await second.expect(MQTTBytes.publish(topic, "b", qos: 1, packetId: 2), "queued while offline")
            try await second.send(MQTTBytes.puback(1) + MQTTBytes.puback(2))
            try await second.send(MQTTBytes.disconnect)
            try await second.expectClose()

            let third = try await connected(version, clientId, clean: false, sessionPresent: true)
            try await third.ping("nothing left to redeliver")
            try await third.send(MQTTBytes.disconnect)
        }
    }

    /// QoS 2 outbound state survives a reconnect: a message not yet PUBRECed is resent with DUP, one
    /// already PUBRECed gets its PUBREL again, in the original order.
    func testQoS2RedeliveryOnSessionResumption() async throws {
        try await forEachVersion { version in
            let topic = "redeliver2/\(version.level)"
            let clientId = uniqueId("persist2")
            let first = try await connected(version, clientId, clean: false)
            try await subscribe(first, topic, qos: 2)
            let publisher = try await connected(version, uniqueId("pub"))
            for (id, payload) in [(UInt16(1), "x"), (2, "y")] {
                try await publisher.send(MQTTBytes.publish(topic, payload, qos: 2, packetId: id))
                try await publisher.expect(MQTTBytes.pubrec(id))
                try await publisher.send(MQTTBytes.pubrel(id))
                try await publisher.expect(MQTTBytes.pubcomp(id))
            }
            try await first.expect(MQTTBytes.publish(topic, "x", qos: 2, packetId: 1))
            try await first.expect(MQTTBytes.publish(topic, "y", qos: 2, packetId: 2))
            try await first.send(MQTTBytes.pubrec(1))
            try await first.expect(MQTTBytes.pubrel(1))
            await first.drop()  // neither PUBCOMP 1 nor PUBREC 2
            try await first.expectClose()

            let second = try await connected(version, clientId, clean: false, sessionPresent: true)
            try await second.expect(MQTTBytes.pubrel(1), "PUBREL resent")
            try await second.expect(MQTTBytes.publish(topic, "y", qos: 2, dup: true, packetId: 2), "PUBLISH resent with DUP")
            try await second.send(MQTTBytes.pubcomp(1) + MQTTBytes.pubrec(2))
            try await second.expect(MQTTBytes.pubrel(2))
            try await second.send(MQTTBytes.pubcomp(2))
            try await second.ping()
            try await second.send(MQTTBytes.disconnect)
        }
    }

    /// Inbound QoS 2 state survives a reconnect too: a PUBLISH resent (DUP) after reconnecting, before the
    /// PUBREL, is not delivered a second time; the PUBREL on the new connection completes it.
    func testInboundQoS2StateSurvivesReconnect() async throws {
        try await forEachVersion { version in
            let topic = "inbound2/\(version.level)"
            let subscriber = try await connected(version, uniqueId("sub"))
            try await subscribe(subscriber, topic)
            let clientId = uniqueId("sender")
            let first = try await connected(version, clientId, clean: false)
            try await first.send(MQTTBytes.publish(topic, "only once", qos: 2, packetId: 77))
            try await first.expect(MQTTBytes.pubrec(77))
            await first.drop()
            try await first.expectClose()
            try await subscriber.expect(MQTTBytes.publish(topic, "only once"))

            let second = try await connected(version, clientId, clean: false, sessionPresent: true)
            try await second.send(MQTTBytes.publish(topic, "only once", qos: 2, dup: true, packetId: 77))
            try await second.expect(MQTTBytes.pubrec(77))
            try await second.send(MQTTBytes.pubrel(77))
            try await second.expect(MQTTBytes.pubcomp(77))
            try await subscriber.ping("not delivered twice")
            try await second.send(MQTTBytes.disconnect)
        }
    }

    /// The in-flight window: with more unacknowledged QoS 1 messages than it allows, the rest wait and
    /// follow as acknowledgements arrive, in order.
    func testInflightWindowQueuesInOrder() async throws {
        _ = try await hub { $0.mqttMaxInflight = 2 }
        try await forEachVersion { version in
            let topic = "window/\(version.level)"
            let subscriber = try await connected(version, uniqueId("sub"))
            try await subscribe(subscriber, topic, qos: 1)
            let publisher = try await connected(version, uniqueId("pub"))
            for index in 1...4 {
                try await publisher.send(MQTTBytes.publish(topic, "w\(index)", qos: 1, packetId: UInt16(index)))
                try await publisher.expect(MQTTBytes.puback(UInt16(index)))
            }
            try await subscriber.expect(MQTTBytes.publish(topic, "w1", qos: 1, packetId: 1))
            try await subscriber.expect(MQTTBytes.publish(topic, "w2", qos: 1, packetId: 2))
            try await subscriber.ping("window of 2 is full")
            try await subscriber.send(MQTTBytes.puback(1))
            try await subscriber.expect(MQTTBytes.publish(topic, "w3", qos: 1, packetId: 3))
            try await subscriber.send(MQTTBytes.puback(2) + MQTTBytes.puback(3))
            try await subscriber.expect(MQTTBytes.publish(topic, "w4", qos: 1, packetId: 4))
            try await subscriber.send(MQTTBytes.puback(4))
            try await subscriber.ping()
        }
    }
}
