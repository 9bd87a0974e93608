import MQTTCore
import NIOCore
import XCTest

/// Every rule of MQTT 3.1.1 (and 3.1, 5) the decoder enforces, each with bytes that break it.
final class MalformedPacketTests: XCTestCase {
    /// MQTT-2.2.2-1, MQTT-2.2.2-2: reserved fixed-header flags must be exact.
    func testReservedFixedHeaderFlags() {
        let cases = [
            "11 0c 0004 4d515454 04 02 003c 0000",  // CONNECT 0001
            "21 02 00 00",  // CONNACK
            "41 02 00 01",  // PUBACK
            "58 02 00 01",  // PUBREC
            "60 02 00 01",  // PUBREL must be 0010 (MQTT-3.6.1-1)
            "63 02 00 01",
            "72 02 00 01",  // PUBCOMP
            "80 06 0001 0001 23 00",  // SUBSCRIBE must be 0010 (MQTT-3.8.1-1)
            "8a 06 0001 0001 23 00",
            "92 03 0001 00",  // SUBACK
            "a0 05 0001 0001 23",  // UNSUBSCRIBE must be 0010 (MQTT-3.10.1-1)
            "b2 02 0001",  // UNSUBACK
            "c1 00",  // PINGREQ
            "d8 00",  // PINGRESP
            "e2 00",  // DISCONNECT
        ]
        for text in cases {
            assertRejected(bytes(hex: text), .v3_1_1, .invalidFixedHeaderFlags)
            assertRejected(bytes(hex: text), .v5, .invalidFixedHeaderFlags)
        }
        assertRejected(bytes(hex: "f1 00"), .v5, .invalidFixedHeaderFlags)
    }

    /// MQTT 3.1 clients set DUP on retransmitted PUBREL, SUBSCRIBE and UNSUBSCRIBE (first bytes 0x6A, 0x8A,
    /// 0xAA; Tencent's Python SDK speaks 3.1): accepted for 3.1 only, and only with their QoS 1 bit.
    func testMQTT31DupOnPubrelSubscribeUnsubscribe() throws {
        let retransmitted = ["6a 02 00 01", "8a 06 0001 0001 23 00", "aa 05 0001 0001 23"]
        for text in retransmitted {
            XCTAssertNoThrow(try decodeOne(bytes(hex: text), .v3_1), text)
            assertRejected(bytes(hex: text), .v3_1_1, .invalidFixedHeaderFlags)
            assertRejected(bytes(hex: text), .v5, .invalidFixedHeaderFlags)
        }
        XCTAssertEqual(try decodeOne(bytes(hex: "6a 02 00 07"), .v3_1), .pubrel(MQTTAck(packetId: 7, reasonCode: 0, properties: MQTTProperties())))
        // Still exact otherwise: DUP without the QoS bit, or other flags, are refused in 3.1 too.
        for text in ["68 02 00 01", "88 06 0001 0001 23 00", "ae 05 0001 0001 23", "48 02 00 01"] {
            assertRejected(bytes(hex: text), .v3_1, .invalidFixedHeaderFlags)
        }
    }

    func testReservedPacketTypes() {
        assertRejected(bytes(hex: "00 00"), .v3_1_1, .malformedPacket)
        assertRejected(bytes(hex: "00 00"), .v5, .malformedPacket)
        // Type 15 is "Reserved, Forbidden" before MQTT 5.
        assertRejected(bytes(hex: "f0 00"), .v3_1_1, .malformedPacket)
        assertRejected(bytes(hex: "f0 00"), .v3_1, .malformedPacket)
    }

    /// MQTT-3.3.1-4.
    func testPublishQoS3() {
        assertRejected(bytes(hex: "36 05 0001 61 0001"), .v3_1_1, .invalidQoS)
        assertRejected(bytes(hex: "37 06 0001 61 0001 00"), .v5, .invalidQoS)
    }

    /// MQTT-3.3.1-2 (DUP 0 for QoS 0) binds the sender; the receiver keeps what was sent.
    func testDupOnQoS0IsAccepted() throws {
        XCTAssertEqual(
            try decodeOne(bytes(hex: "38 03 0001 61"), .v3_1_1),
            .publish(MQTTPublish(topic: "a", payload: ByteBuffer(), dup: true))
        )
    }

    /// MQTT-2.3.1-1: non-zero packet identifiers.
    func testPacketIdentifierZero() {
        let cases = [
            "32 05 0001 61 0000",  // PUBLISH QoS 1
            "34 05 0001 61 0000",  // PUBLISH QoS 2
            "40 02 0000", "50 02 0000", "62 02 0000", "70 02 0000",
            "82 06 0000 0001 23 00",
            "90 03 0000 00",
            "a2 05 0000 0001 23",
            "b0 02 0000",
        ]
        for text in cases {
            assertRejected(bytes(hex: text), .v3_1_1, .invalidPacketIdentifier)
        }
        assertRejected(bytes(hex: "32 06 0001 61 0000 00"), .v5, .invalidPacketIdentifier)
    }

    /// MQTT-3.1.2-3: the CONNECT reserved flag.
    func testConnectReservedFlag() {
        assertRejected(bytes(hex: "10 0c 0004 4d515454 04 03 003c 0000"), .v3_1_1, .malformedPacket)
        assertRejected(bytes(hex: "10 0d 0004 4d515454 05 03 003c 00 0000"), .v5, .malformedPacket)
    }

    /// MQTT-3.1.2-11, -13, -15: no will QoS or will retain without the will flag; MQTT-3.1.2-14: will QoS ≤ 2.
    func testWillFlags() {
        assertRejected(bytes(hex: "10 0c 0004 4d515454 04 0a 003c 0000"), .v3_1_1, .malformedPacket, "will QoS 1, no will")
        assertRejected(bytes(hex: "10 0c 0004 4d515454 04 12 003c 0000"), .v3_1_1, .malformedPacket, "will QoS 2, no will")
        assertRejected(bytes(hex: "10 0c 0004 4d515454 04 22 003c 0000"), .v3_1_1, .malformedPacket, "will retain, no will")
        assertRejected(bytes(hex: "10 11 0004 4d515454 04 1e 003c 0000 0001 77 0000"), .v3_1_1, .invalidQoS, "will QoS 3")
        // The same CONNECT with will QoS 2 is fine.
        XCTAssertNoThrow(try decodeOne(bytes(hex: "10 11 0004 4d515454 04 16 003c 0000 0001 77 0000"), .v3_1_1))
    }

    /// MQTT-3.1.2-22 (3.1.1 and 3.1); MQTT 5 allows a password alone.
    func testPasswordWithoutUserName() throws {
        assertRejected(bytes(hex: "10 0f 0004 4d515454 04 42 003c 0000 0001 70"), .v3_1_1, .protocolViolation)
        assertRejected(bytes(hex: "10 11 0006 4d5149736470 03 42 003c 0000 0001 70"), .v3_1, .protocolViolation)
        let v5 = try decodeOne(bytes(hex: "10 10 0004 4d515454 05 42 003c 00 0000 0001 70"), .v5)
        XCTAssertEqual(v5, .connect(MQTTConnect(version: .v5, clientId: "", password: [0x70])))
    }

    /// MQTT-1.5.3-1, MQTT-1.5.3-2: well-formed UTF-8 without U+0000, in every string field.
    func testStrings() {
        let invalidTopics = [
            "ff",  // not UTF-8
            "eda080",  // encoded surrogate U+D800
            "c0af",  // overlong "/"
            "e282",  // truncated sequence
            "f4908080",  // above U+10FFFF
            "610062",  // U+0000
            "00",
        ]
        for topic in invalidTopics {
            let length = topic.count / 2
            let body = String(format2(length + 2)) + String(format4(length)) + topic
            assertRejected(bytes(hex: "30" + body), .v3_1_1, .invalidUTF8, topic)
        }
        // Client identifier, user name, will topic, protocol name, topic filters.
        assertRejected(bytes(hex: "10 0d 0004 4d515454 04 02 003c 0001 00"), .v3_1_1, .invalidUTF8, "client id")
        assertRejected(bytes(hex: "10 0f 0004 4d515454 04 82 003c 0000 0001 ff"), .v3_1_1, .invalidUTF8, "user name")
        assertRejected(bytes(hex: "10 11 0004 4d515454 04 06 003c 0000 0001 00 0000"), .v3_1_1, .invalidUTF8, "will topic")
        assertRejected(bytes(hex: "10 0c 0004 4d51ff54 04 02 003c 0000"), .v3_1_1, .invalidUTF8, "protocol name")
        assertRejected(bytes(hex: "82 06 0001 0001 00 00"), .v3_1_1, .invalidUTF8, "subscribe filter")
        assertRejected(bytes(hex: "a2 05 0001 0001 ff"), .v3_1_1, .invalidUTF8, "unsubscribe filter")
        assertRejected(bytes(hex: "40 08 0001 80 04 1f 0001 ff"), .v5, .invalidUTF8, "reason string")
    }

    func testValidUTF8IsAccepted() throws {
        // "é", "€", "𝄞" and a BOM (kept, MQTT-1.5.3-3).
        let topic = "é€𝄞\u{FEFF}"
        let packet = MQTTPacket.publish(MQTTPublish(topic: topic, payload: ByteBuffer()))
        XCTAssertEqual(try decodeOne(encoded(packet, .v3_1_1), .v3_1_1), packet)
    }

    /// MQTT-3.3.2-2, MQTT-4.7.1-1, MQTT-4.7.3-1.
    func testPublishTopicNames() {
        assertRejected(bytes(hex: "30 05 0003 612f2b"), .v3_1_1, .invalidTopic, "a/+")
        assertRejected(bytes(hex: "30 03 0001 23"), .v3_1_1, .invalidTopic, "#")
        assertRejected(bytes(hex: "30 02 0000"), .v3_1_1, .invalidTopic, "empty")
        assertRejected(bytes(hex: "30 03 0000 00"), .v5, .invalidTopic, "empty without a topic alias")
        assertRejected(bytes(hex: "10 11 0004 4d515454 04 06 003c 0000 0001 2b 0000"), .v3_1_1, .invalidTopic, "will topic +")
    }

    /// MQTT-3.8.3-3, MQTT-3.10.3-2: at least one topic filter.
    func testEmptySubscribeAndUnsubscribe() {
        assertRejected(bytes(hex: "82 02 0001"), .v3_1_1, .protocolViolation)
        assertRejected(bytes(hex: "a2 02 0001"), .v3_1_1, .protocolViolation)
        assertRejected(bytes(hex: "82 03 0001 00"), .v5, .protocolViolation)
        assertRejected(bytes(hex: "a2 03 0001 00"), .v5, .protocolViolation)
    }

    /// MQTT-3-8.3-4 (3.1.1), MQTT-3.8.3-5 (5): subscription option reserved bits; QoS 3.
    func testSubscriptionOptions() {
        for options in ["04", "08", "10", "40", "80", "fc"] {
            assertRejected(bytes(hex: "82 06 0001 0001 23 " + options), .v3_1_1, .malformedPacket, options)
        }
        assertRejected(bytes(hex: "82 06 0001 0001 23 03"), .v3_1_1, .invalidQoS)
        assertRejected(bytes(hex: "82 07 0001 00 0001 23 40"), .v5, .malformedPacket)
        assertRejected(bytes(hex: "82 07 0001 00 0001 23 80"), .v5, .malformedPacket)
        assertRejected(bytes(hex: "82 07 0001 00 0001 23 03"), .v5, .invalidQoS)
        assertRejected(bytes(hex: "82 07 0001 00 0001 23 30"), .v5, .protocolViolation, "retain handling 3")
    }

    /// MQTT-4.7.1-2, MQTT-4.7.1-3: topic filter syntax in SUBSCRIBE and UNSUBSCRIBE.
    func testTopicFilters() {
        for filter in ["a/#/b", "a+", "+a", "#a", "a#", "a/b#", ""] {
            let filterHex = hex(Array(filter.utf8))
            let length = filter.utf8.count
            assertRejected(
                bytes(hex: "82" + format2(2 + 2 + length + 1) + "0001" + format4(length) + filterHex + "00"),
                .v3_1_1,
                .invalidTopic,
                filter
            )
            assertRejected(
                bytes(hex: "a2" + format2(2 + 2 + length) + "0001" + format4(length) + filterHex),
                .v3_1_1,
                .invalidTopic,
                filter
            )
        }
    }

    /// 3.1.1 §2.2.3: the remaining length covers exactly the packet's fields.
    func testExtraBytes() {
        let cases = [
            "40 03 0001 00", "50 03 0001 00", "62 03 0001 00", "70 03 0001 00",
            "c0 01 00", "d0 01 00", "e0 01 00",
            "20 03 00 00 00",
            "b0 03 0001 00",
            "10 0d 0004 4d515454 04 02 003c 0000 ff",
            "10 10 0004 4d515454 04 82 003c 0000 0001 75 ff",
        ]
        for text in cases {
            assertRejected(bytes(hex: text), .v3_1_1, .malformedPacket, text)
        }
        assertRejected(bytes(hex: "20 04 00 00 00 ff"), .v5, .malformedPacket)
        assertRejected(bytes(hex: "40 05 0001 00 00 ff"), .v5, .malformedPacket)
    }

    /// 3.1.1 §2.2.3: fields running past the remaining length.
    func testMissingBytes() {
        let cases = [
            "40 01 00", "40 00",
            "20 01 00",
            "10 05 0004 4d5154",
            "10 06 0004 4d515454",
            "10 0a 0004 4d515454 04 02 003c",
            "10 0d 0004 4d515454 04 82 003c 0000 00",  // user name flag, no user name
            "10 0c 0004 4d515454 04 c2 003c 0000",  // user name and password flags, neither present
            "10 0f 0004 4d515454 04 06 003c 0000 0001 77",  // will flag, no will payload
            "32 03 0001 61",  // QoS 1 without packet identifier
            "30 01 00",
            "82 05 0001 0001 23",  // filter without options byte
            "82 04 0001 0005",
            "a2 04 0001 0005",
            "90 01 00",
        ]
        for text in cases {
            assertRejected(bytes(hex: text), .v3_1_1, .malformedPacket, text)
        }
        assertRejected(bytes(hex: "20 02 00 00"), .v5, .malformedPacket, "v5 CONNACK without property length")
        assertRejected(bytes(hex: "30 03 0001 61"), .v5, .malformedPacket, "v5 PUBLISH without property length")
    }

    func testConnAckReservedFlags() {
        assertRejected(bytes(hex: "20 02 02 00"), .v3_1_1, .malformedPacket)
        assertRejected(bytes(hex: "20 03 80 00 00"), .v5, .malformedPacket)
    }

    /// MQTT-3.9.3-2: reserved 3.1.1 SUBACK return codes; a SUBACK answers at least one filter.
    func testSubAckReturnCodes() {
        assertRejected(bytes(hex: "90 03 0001 03"), .v3_1_1, .protocolViolation)
        assertRejected(bytes(hex: "90 03 0001 81"), .v3_1_1, .protocolViolation)
        assertRejected(bytes(hex: "90 02 0001"), .v3_1_1, .protocolViolation)
        XCTAssertNoThrow(try decodeOne(bytes(hex: "90 04 0001 00 87"), .v5))
    }
}

/// Two hex digits of a one-byte length.
private func format2(_ value: Int) -> String {
    hex([UInt8(value)])
}

/// Four hex digits of a two-byte length.
private func format4(_ value: Int) -> String {
    hex([UInt8(value >> 8), UInt8(value & 0xFF)])
}
