import HubServer
import HubTesting
import XCTest

/// 02: SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK and topic matching.
final class MQTTConformance02SubscribePublishTests: MQTTConformanceCase {
    /// The literal bytes: SUBSCRIBE "a/b" QoS 0 → SUBACK; PUBLISH QoS 0 from another client → the same bytes.
    func testSubscribeAndReceiveExactBytes() async throws {
        try await forEachVersion { version in
            let subscriber = try await connected(version, uniqueId("sub"))
            let topic = "sp\(version.level)"  // 3 bytes: "sp4" / "sp3"
            let t = Array(topic.utf8)
            // SUBSCRIBE, packet id 0x1234, filter "spN", QoS 0.
            try await subscriber.send([0x82, 0x08, 0x12, 0x34, 0x00, 0x03] + t + [0x00])
            try await subscriber.expect([0x90, 0x03, 0x12, 0x34, 0x00], "SUBACK")

            let publisher = try await connected(version, uniqueId("pub"))
            // PUBLISH QoS 0, topic "spN", payload "hello".
            let publish: [UInt8] = [0x30, 0x0A, 0x00, 0x03] + t + Array("hello".utf8)
            try await publisher.send(publish)
            try await subscriber.expect(publish, "delivered PUBLISH")
            try await publisher.ping()
        }
    }

    /// The server reassembles packets from any split of the byte stream: a CONNECT sent a byte at a time, a
    /// remaining-length field cut in two, and several packets in one write with the last one cut off.
    func testPacketsSplitAndCoalescedAcrossReads() async throws {
        try await forEachVersion { version in
            let clientId = uniqueId("split")
            let client = try await open(clientId)
            for byte in MQTTBytes.connect(version, clientId: clientId) {
                try await client.send([byte])
                try await Task.sleep(for: .milliseconds(2))
            }
            try await client.expect(MQTTBytes.connack(version), "CONNACK after a byte-wise CONNECT")
            let topic = "split\(version.level)/t"
            // A 200-byte payload makes the remaining length two bytes long; cut between them.
            let big = MQTTBytes.publish(topic, String(repeating: "x", count: 200))
            let burst = MQTTBytes.subscribe(1, topic) + MQTTBytes.publish(topic, "one") + big
            try await client.send(Array(burst[..<(burst.count - big.count + 2)]))
            try await Task.sleep(for: .milliseconds(20))
            try await client.send(Array(burst[(burst.count - big.count + 2)...]))
            try await client.expect(MQTTBytes.suback(1, [0]), "SUBACK")
            try await client.expect(MQTTBytes.publish(topic, "one"), "first PUBLISH")
            try await client.expect(big, "PUBLISH reassembled from two writes")
            try await client.ping()
        }
    }

    /// One SUBSCRIBE with several filters gets one return code per filter, in order, each the requested QoS.
    func testSubscribeSeveralFiltersGrantsRequestedQoS() async throws {
        try await forEachVersion { version in
            let client = try await connected(version, uniqueId("multi"))
            let p = "m\(version.level)"
            try await client.send(MQTTBytes.subscribe(9, [("\(p)/0", 0), ("\(p)/1", 1), ("\(p)/2", 2), ("\(p)/+/x", 1), ("\(p)/#", 0)]))
            try await client.expect(MQTTBytes.suback(9, [0, 1, 2, 1, 0]))
        }
    }

    /// `+` matches exactly one (possibly empty) level, `#` the parent level and everything below; topics
    /// starting with `$` are not matched by a leading wildcard (MQTT-4.7.1-*, MQTT-4.7.2-1).
    func testWildcardMatching() async throws {
        try await forEachVersion { version in
            let p = "w\(version.level)"
            let plus = try await connected(version, uniqueId("plus"))
            try await subscribe(plus, "\(p)/+/c")
            let hash = try await connected(version, uniqueId("hash"))
            try await subscribe(hash, "\(p)/#")
            let all = try await connected(version, uniqueId("all"))
            try await subscribe(all, "#")
            let dollar = try await connected(version, uniqueId("dollar"))
            try await subscribe(dollar, "$W\(version.level)/#")

            let publisher = try await connected(version, uniqueId("pub"))
            let cases: [(topic: String, plus: Bool, hash: Bool, all: Bool, dollar: Bool)] = [
                ("\(p)/b/c", true, true, true, false),
                ("\(p)//c", true, true, true, false),  // empty level
                ("\(p)/b/c/d", false, true, true, false),
                ("\(p)", false, true, true, false),  // "#" matches the parent level
                ("\(p)/c", false, true, true, false),
                ("$W\(version.level)/x", false, false, false, true),
            ]
            for (index, item) in cases.enumerated() {
                // QoS 1 and wait for the PUBACK: routing happened before it, so the PINGRESPs below prove
                // that nothing else was delivered.
                let payload = "m\(index)"
                try await publisher.send(MQTTBytes.publish(item.topic, payload, qos: 1, packetId: UInt16(index + 1)))
                try await publisher.expect(MQTTBytes.puback(UInt16(index + 1)))
                let expected = MQTTBytes.publish(item.topic, payload)
                for (client, matches) in [(plus, item.plus), (hash, item.hash), (all, item.all), (dollar, item.dollar)] {
                    if matches { try await client.expect(expected, "\(item.topic) to \(client.name)") }
                    try await client.ping("nothing else for \(client.name) after \(item.topic)")
                }
            }
        }
    }

    /// Overlapping subscriptions: one delivery per client, at the highest granted QoS.
    func testOverlappingSubscriptionsDeliverOnce() async throws {
        try await forEachVersion { version in
            let p = "o\(version.level)"
            let client = try await connected(version, uniqueId("overlap"))
            try await client.send(MQTTBytes.subscribe(1, [("\(p)/#", 0), ("\(p)/+", 1), ("\(p)/x", 0)]))
            try await client.expect(MQTTBytes.suback(1, [0, 1, 0]))
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish("\(p)/x", "once", qos: 1, packetId: 3))
            try await publisher.expect(MQTTBytes.puback(3))
            try await client.expect(MQTTBytes.publish("\(p)/x", "once", qos: 1, packetId: 1))
            try await client.send(MQTTBytes.puback(1))
            try await client.ping("a single delivery")
        }
    }

    /// A client receives its own publications on topics it subscribed to (no "no local" before MQTT 5).
    func testOwnMessagesAreDelivered() async throws {
        try await forEachVersion { version in
            let topic = "own/\(version.level)"
            let client = try await connected(version, uniqueId("self"))
            try await subscribe(client, topic)
            try await client.send(MQTTBytes.publish(topic, "echo"))
            try await client.expect(MQTTBytes.publish(topic, "echo"))
        }
    }

    /// UNSUBSCRIBE → UNSUBACK with the packet id; no more deliveries. Unsubscribing a filter the client
    /// does not hold is acknowledged too (MQTT-3.10.4-5).
    func testUnsubscribe() async throws {
        try await forEachVersion { version in
            let topic = "unsub/\(version.level)"
            let client = try await connected(version, uniqueId("unsub"))
            try await subscribe(client, topic)
            try await client.send(MQTTBytes.unsubscribe(0x0102, [topic, "never/subscribed"]))
            try await client.expect([0xB0, 0x02, 0x01, 0x02], "UNSUBACK")
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "gone", qos: 1, packetId: 1))
            try await publisher.expect(MQTTBytes.puback(1))
            try await client.ping("no delivery after UNSUBSCRIBE")
        }
    }

    /// Subscribing again to the same filter replaces the subscription (MQTT-3.8.4-3): the new QoS applies,
    /// and there is still one delivery.
    func testResubscribeReplacesQoS() async throws {
        try await forEachVersion { version in
            let topic = "resub/\(version.level)"
            let client = try await connected(version, uniqueId("resub"))
            try await subscribe(client, topic, qos: 1, packetId: 1)
            try await subscribe(client, topic, qos: 0, packetId: 2)
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "q", qos: 1, packetId: 5))
            try await publisher.expect(MQTTBytes.puback(5))
            try await client.expect(MQTTBytes.publish(topic, "q"), "QoS 0 after the second SUBSCRIBE")
            try await client.ping()
        }
    }

    /// Messages from one publisher arrive in the order they were sent (MQTT-4.6.0-5), across QoS levels.
    func testOrderIsKeptPerPublisher() async throws {
        try await forEachVersion { version in
            let topic = "order/\(version.level)"
            let subscriber = try await connected(version, uniqueId("sub"))
            try await subscribe(subscriber, topic, qos: 2)
            let publisher = try await connected(version, uniqueId("pub"))
            var sent: [UInt8] = []
            for index in 0..<30 {
                sent += MQTTBytes.publish(topic, "n\(index)", qos: UInt8(index % 3), packetId: index % 3 == 0 ? nil : UInt16(index + 1))
            }
            try await publisher.send(sent)
            var packetId: UInt16 = 0
            var acknowledgements: [UInt8] = []
            var releases: [UInt16] = []
            for index in 0..<30 {
                let qos = UInt8(index % 3)
                if qos > 0 { packetId += 1 }
                let packet = try await subscriber.readPacket("message \(index)")
                XCTAssertEqual(packet, MQTTBytes.publish(topic, "n\(index)", qos: qos, packetId: qos > 0 ? packetId : nil), "\(version) message \(index)")
                if qos == 1 { acknowledgements += MQTTBytes.puback(packetId) }
                if qos == 2 {
                    acknowledgements += MQTTBytes.pubrec(packetId)
                    releases.append(packetId)
                }
            }
            try await subscriber.send(acknowledgements)
            for id in releases {
                try await subscriber.expect(MQTTBytes.pubrel(id))
                try await subscriber.send(MQTTBytes.pubcomp(id))
            }
            try await subscriber.ping()
            try await publisher.send(MQTTBytes.disconnect)
        }
    }
    /// Topic names are UTF-8 (multi-byte characters, a BOM kept as is: MQTT-1.5.3-3); a leading `/` makes
    /// an empty first level, so "/a" and "a" are different topics.
    func testUTF8TopicsAndEmptyLevels() async throws {
        try await forEachVersion { version in
            let client = try await connected(version, uniqueId("utf8"))
            let snowman = "temp\u{00E9}rature/\u{2603}/\u{1F600}/\(version.level)"
            let bom = "\u{FEFF}bom/\(version.level)"
            try await client.send(MQTTBytes.subscribe(1, [("temp\u{00E9}rature/+/\u{1F600}/\(version.level)", 1), (bom, 0), ("+/a\(version.level)", 0)]))
            try await client.expect(MQTTBytes.suback(1, [1, 0, 0]))
            for topic in [snowman, bom, "/a\(version.level)", "a\(version.level)"] {
                try await client.send(MQTTBytes.publish(topic, "u"))
            }
            try await client.expect(MQTTBytes.publish(snowman, "u"), "multi-byte topic")
            try await client.expect(MQTTBytes.publish(bom, "u"), "BOM kept")
            try await client.expect(MQTTBytes.publish("/a\(version.level)", "u"), "\"/a\" matches +/a")
            try await client.ping("\"a\" has a single level and does not match +/a")
        }
    }

    /// Large packets need three remaining-length bytes; they are reassembled and sent whole.
    func testLargePayloadRoundTrip() async throws {
        try await forEachVersion { version in
            let topic = "large/\(version.level)"
            let client = try await connected(version, uniqueId("large"))
            try await subscribe(client, topic, qos: 1)
            let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let packet = MQTTBytes.publish(topic, payload, qos: 1, packetId: 3)
            XCTAssertEqual(Array(packet[1...3]), MQTTBytes.remainingLength(packet.count - 4))
            try await client.send(packet)
            try await client.expect(MQTTBytes.puback(3))
            try await client.expect(MQTTBytes.publish(topic, payload, qos: 1, packetId: 1), "100 kB back")
        }
    }

    /// Limits: subscriptions per client (`mqttMaxSubscriptions`: further filters get 0x80, replacing an
    /// existing one still works) and topic levels (`mqttMaxTopicLevels`: deeper filters get 0x80, deeper
    /// topics are dropped but acknowledged).
    func testSubscriptionAndTopicDepthLimits() async throws {
        _ = try await hub {
            $0.mqttMaxSubscriptions = 2
            $0.mqttMaxTopicLevels = 4
        }
        try await forEachVersion { version in
            let p = "lim\(version.level)"
            let client = try await connected(version, uniqueId("limits"))
            try await client.send(MQTTBytes.subscribe(1, [("\(p)/a", 0), ("\(p)/#", 0), ("\(p)/c", 0), ("\(p)/a", 1)]))
            try await client.expect(MQTTBytes.suback(1, [0, 0, 0x80, 1]))
            try await client.send(MQTTBytes.unsubscribe(2, ["\(p)/a"]))
            try await client.expect(MQTTBytes.unsuback(2))
            try await client.send(MQTTBytes.subscribe(3, [("\(p)/x/y/z", 0), ("\(p)/x/y/z/deep", 0)]))
            try await client.expect(MQTTBytes.suback(3, [0, 0x80]), "a free slot, then a filter of 5 levels")

            try await client.send(MQTTBytes.publish("\(p)/x/y/z/deep", "too deep", qos: 1, packetId: 4))
            try await client.expect(MQTTBytes.puback(4))
            try await client.send(MQTTBytes.publish("\(p)/x/y/z", "fits"))
            try await client.expect(MQTTBytes.publish("\(p)/x/y/z", "fits"), "once, although two filters match")
            try await client.ping("the 5-level topic was dropped")
        }
    }
}
