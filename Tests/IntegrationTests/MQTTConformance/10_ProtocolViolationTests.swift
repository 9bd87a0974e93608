import HubServer
import HubTesting
import XCTest

/// 10: protocol violations. Each one closes the offending connection without a reply (MQTT-4.8.0-1), and
/// the broker keeps serving everyone else.
final class MQTTConformance10ProtocolViolationTests: MQTTConformanceCase {
    static let maxPacketSize = 2048

    /// Sends `bytes` (after a successful CONNECT unless `beforeConnect`) and expects the server to close the
    /// connection without sending anything; then checks that `bystander` is still served.
    func assertClosed(
        _ version: MQTTBytes.Version, _ what: String, beforeConnect: Bool = false, _ bytes: [UInt8], bystander: RawMQTTClient
    ) async throws {
        let client: RawMQTTClient
        if beforeConnect {
            client = try await open(what)
        } else {
            client = try await connected(version, uniqueId("violator"))
        }
        try await client.send(bytes)
        do {
            try await client.expectClose(timeout: .seconds(3), "\(version) \(what)")
        } catch {
            XCTFail("\(error)")
        }
        await client.close()
        try await bystander.ping("\(version): bystander after \(what)")
    }

    func testViolationsBeforeAndInConnect() async throws {
        _ = try await hub { $0.mqttMaxPacketSize = Self.maxPacketSize }
        try await forEachVersion { version in
            let bystander = try await connected(version, uniqueId("bystander"))
            let name = Array(version.protocolName.utf8)
            func connect(flags: UInt8, payload: [UInt8]) -> [UInt8] {
                MQTTBytes.packet(0x10, [0x00, UInt8(name.count)] + name + [version.level, flags, 0x00, 0x3C] + payload)
            }
            let cases: [(String, [UInt8])] = [
                ("PINGREQ before CONNECT", MQTTBytes.pingreq),
                ("PUBLISH before CONNECT", MQTTBytes.publish("a", "b")),
                ("SUBSCRIBE before CONNECT", MQTTBytes.subscribe(1, "a")),
                ("DISCONNECT before CONNECT", MQTTBytes.disconnect),
                ("reserved packet type 0", [0x00, 0x00]),
                ("CONNECT with fixed-header flags", [0x11] + Array(MQTTBytes.connect(version, clientId: "x").dropFirst())),
                ("CONNECT reserved flag", connect(flags: 0x03, payload: MQTTBytes.string("x"))),
                ("will QoS without will flag", connect(flags: 0x0A, payload: MQTTBytes.string("x"))),
                ("will retain without will flag", connect(flags: 0x22, payload: MQTTBytes.string("x"))),
                ("will QoS 3", connect(flags: 0x1E, payload: MQTTBytes.string("x") + MQTTBytes.string("w") + MQTTBytes.string("p"))),
                ("ClientId not UTF-8", connect(flags: 0x02, payload: [0x00, 0x02, 0xC0, 0xAF])),
                ("ClientId with U+0000", connect(flags: 0x02, payload: [0x00, 0x02, 0x61, 0x00])),
                ("CONNECT shorter than its fields", connect(flags: 0xC2, payload: MQTTBytes.string("x") + [0x00, 0x05, 0x61])),
                ("CONNECT with trailing bytes", connect(flags: 0x02, payload: MQTTBytes.string("x") + [0x00])),
                ("CONNECT larger than the maximum", connect(flags: 0x02, payload: MQTTBytes.string(String(repeating: "x", count: Self.maxPacketSize)))),
            ]
            for (what, bytes) in cases {
                try await assertClosed(version, what, beforeConnect: true, bytes, bystander: bystander)
            }
            if version == .v3_1_1 {
                // MQTT-3.1.2-22: a password needs a user name.
                let bytes = connect(flags: 0x42, payload: MQTTBytes.string("x") + MQTTBytes.string("secret"))
                try await assertClosed(version, "password without user name", beforeConnect: true, bytes, bystander: bystander)
            }
        }
    }

    func testViolationsAfterConnect() async throws {
        _ = try await hub { $0.mqttMaxPacketSize = Self.maxPacketSize }
        try await forEachVersion { version in
            let bystander = try await connected(version, uniqueId("bystander"))
            let cases: [(String, [UInt8])] = [
                ("second CONNECT", MQTTBytes.connect(version, clientId: uniqueId("again"))),
                ("SUBSCRIBE with flags 0000", [0x80] + Array(MQTTBytes.subscribe(1, "a").dropFirst())),
                ("UNSUBSCRIBE with flags 0000", [0xA0] + Array(MQTTBytes.unsubscribe(1, ["a"]).dropFirst())),
                ("PUBREL with flags 0000", [0x60, 0x02, 0x00, 0x01]),
                ("PINGREQ with flags 0001", [0xC1, 0x00]),
                ("PUBACK with flags 0010", [0x42, 0x02, 0x00, 0x01]),
                ("reserved packet type 15", [0xF0, 0x00]),
                ("reserved packet type 0", [0x00, 0x00]),
                ("CONNACK from a client", [0x20, 0x02, 0x00, 0x00]),
                ("SUBACK from a client", [0x90, 0x03, 0x00, 0x01, 0x00]),
                ("PINGRESP from a client", [0xD0, 0x00]),
                ("remaining length of five bytes", [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
                ("PINGREQ with a body", [0xC0, 0x01, 0x00]),
                ("PUBACK too short", [0x40, 0x01, 0x00]),
                ("PUBLISH larger than the maximum", MQTTBytes.publish("big", [UInt8](repeating: 0x61, count: Self.maxPacketSize))),
                // Only the fixed header of a 100 MB packet: refused before any of the body arrives.
                ("header of a 100 MB PUBLISH", [0x30, 0x80, 0x80, 0x80, 0x30]),
                ("topic not UTF-8 (overlong)", MQTTBytes.packet(0x30, [0x00, 0x02, 0xC0, 0xAF, 0x78])),
                ("topic not UTF-8 (surrogate)", MQTTBytes.packet(0x30, [0x00, 0x03, 0xED, 0xA0, 0x80])),
                ("topic not UTF-8 (0xFF)", MQTTBytes.packet(0x30, [0x00, 0x01, 0xFF])),
                ("topic with U+0000", MQTTBytes.packet(0x30, [0x00, 0x03, 0x61, 0x00, 0x62])),
                ("empty topic", MQTTBytes.packet(0x30, [0x00, 0x00, 0x78])),
                ("topic string longer than the packet", MQTTBytes.packet(0x30, [0x00, 0x09, 0x61])),
                ("wildcard + in PUBLISH topic", MQTTBytes.publish("a/+/c", "x")),
                ("wildcard # in PUBLISH topic", MQTTBytes.publish("a/#", "x")),
                ("PUBLISH QoS 3", MQTTBytes.packet(0x36, MQTTBytes.string("a") + [0x00, 0x01])),
                ("PUBLISH QoS 1 packet id 0", MQTTBytes.packet(0x32, MQTTBytes.string("a") + [0x00, 0x00])),
                ("SUBSCRIBE without filters", [0x82, 0x02, 0x00, 0x01]),
                ("SUBSCRIBE packet id 0", MQTTBytes.subscribe(0, "a")),
                ("SUBSCRIBE requested QoS 3", MQTTBytes.subscribe(1, "a", qos: 3)),
                ("SUBSCRIBE reserved bits in QoS byte", MQTTBytes.subscribe(1, "a", qos: 0x10)),
                ("SUBSCRIBE filter a/#/b", MQTTBytes.subscribe(1, "a/#/b")),
                ("SUBSCRIBE filter a+", MQTTBytes.subscribe(1, "a+")),
                ("SUBSCRIBE empty filter", MQTTBytes.subscribe(1, "")),
                ("SUBSCRIBE filter not UTF-8", MQTTBytes.packet(0x82, [0x00, 0x01, 0x00, 0x01, 0xFF, 0x00])),
                ("UNSUBSCRIBE without filters", [0xA2, 0x02, 0x00, 0x01]),
                ("UNSUBSCRIBE invalid filter", MQTTBytes.unsubscribe(1, ["#/a"])),
            ]
            for (what, bytes) in cases {
                try await assertClosed(version, what, bytes, bystander: bystander)
            }
            // The broker still accepts new clients and routes between them.
            let subscriber = try await connected(version, uniqueId("after"))
            try await subscribe(subscriber, "violations/after")
            try await bystander.send(MQTTBytes.publish("violations/after", "fine"))
            try await subscriber.expect(MQTTBytes.publish("violations/after", "fine"))
        }
    }

    /// A packet exactly at the maximum size is accepted (the limit counts the whole packet).
    /// MQTT 3.1 clients set DUP on a retransmitted SUBSCRIBE, UNSUBSCRIBE and PUBREL (0x8A, 0xAA, 0x6A): a 3.1
    /// connection gets its SUBACK, UNSUBACK and PUBCOMP and stays; a 3.1.1 connection sending 0x8A is closed.
    func testMQTT31RetransmissionsWithDupAreAccepted() async throws {
        let old = try await open("mqtt31")
        try await old.send(MQTTBytes.connect(.v3_1, clientId: "dup31"))
        try await old.expect(MQTTBytes.connack(.v3_1), "MQTT 3.1: CONNACK")
        var subscribe = MQTTBytes.subscribe(3, [("d/+", 1)])
        subscribe[0] = 0x8A
        try await old.send(subscribe)
        try await old.expect(MQTTBytes.suback(3, [1]), "MQTT 3.1: SUBACK to a SUBSCRIBE with DUP")
        var unsubscribe = MQTTBytes.unsubscribe(4, ["d/+"])
        unsubscribe[0] = 0xAA
        try await old.send(unsubscribe)
        try await old.expect(MQTTBytes.unsuback(4), "MQTT 3.1: UNSUBACK to an UNSUBSCRIBE with DUP")
        try await old.send(MQTTBytes.publish("d/x", "q2", qos: 2, packetId: 9))
        try await old.expect(MQTTBytes.pubrec(9), "MQTT 3.1: PUBREC")
        try await old.send([0x6A, 0x02, 0x00, 0x09])
        try await old.expect(MQTTBytes.pubcomp(9), "MQTT 3.1: PUBCOMP to a PUBREL with DUP")
        try await old.ping("MQTT 3.1: still connected")

        let current = try await open("mqtt311")
        try await current.send(MQTTBytes.connect(.v3_1_1, clientId: "dup311"))
        try await current.expect(MQTTBytes.connack(.v3_1_1), "MQTT 3.1.1: CONNACK")
        try await current.send(subscribe)
        try await current.expectClose("MQTT 3.1.1: reserved flags must be exact (MQTT-3.8.1-1)")
    }

    func testPacketAtTheMaximumSizeIsAccepted() async throws {
        _ = try await hub { $0.mqttMaxPacketSize = Self.maxPacketSize }
        try await forEachVersion { version in
            let client = try await connected(version, uniqueId("max"))
            let topic = "max/\(version.level)"
            try await subscribe(client, topic)
            // 1 byte type + 2 bytes remaining length + 2 + topic + payload = maximum.
            let payload = [UInt8](repeating: 0x62, count: Self.maxPacketSize - 3 - 2 - topic.utf8.count)
            let packet = MQTTBytes.publish(topic, payload)
            XCTAssertEqual(packet.count, Self.maxPacketSize)
            try await client.send(packet)
            try await client.expect(packet, "own message at the maximum size")
        }
    }
    /// Nothing a client sends after the packet that ends its connection is processed, even when it arrives
    /// in the same TCP segment: after DISCONNECT (MQTT-3.14.4-1), after a second CONNECT, after a malformed
    /// packet.
    func testNothingIsProcessedAfterTheEnd() async throws {
        try await forEachVersion { version in
            let topic = "after/end/\(version.level)"
            let watcher = try await connected(version, uniqueId("watcher"))
            try await subscribe(watcher, "\(topic)/#")
            let enders: [(String, [UInt8])] = [
                ("DISCONNECT", MQTTBytes.disconnect),
                ("second CONNECT", MQTTBytes.connect(version, clientId: uniqueId("again"))),
                ("malformed PUBLISH", MQTTBytes.publish("bad/#", "x")),
                ("reserved flags", [0xC1, 0x00]),
            ]
            for (index, (what, ender)) in enders.enumerated() {
                let client = try await connected(version, uniqueId("ender"))
                try await client.send(ender + MQTTBytes.publish("\(topic)/\(index)", "after \(what)", retain: true) + MQTTBytes.pingreq)
                try await client.expectClose(what)
                try await watcher.ping("nothing routed after \(what)")
            }
            let late = try await connected(version, uniqueId("late"))
            try await subscribe(late, "\(topic)/#")
            try await late.ping("nothing retained after the end of a connection")
        }
    }
}
