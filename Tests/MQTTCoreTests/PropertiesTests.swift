import MQTTCore
import NIOCore
import XCTest

/// MQTT 5 properties: every type round-trips; unknown, misplaced, repeated and out-of-range properties are refused.
final class PropertiesTests: XCTestCase {
    func testEveryValueKindRoundTrips() throws {
        let properties: MQTTProperties = [
            (MQTTProperties.Identifier.payloadFormatIndicator, .byte(1)),
            (MQTTProperties.Identifier.topicAlias, .twoByteInt(65535)),
            (MQTTProperties.Identifier.messageExpiryInterval, .fourByteInt(UInt32.max)),
            (MQTTProperties.Identifier.subscriptionIdentifier, .varInt(16_384)),
            (MQTTProperties.Identifier.contentType, .string("application/json")),
            (MQTTProperties.Identifier.correlationData, .binary(ByteBuffer(bytes: [0, 255]))),
            (MQTTProperties.Identifier.userProperty, .stringPair("name", "välue")),
            (MQTTProperties.Identifier.userProperty, .stringPair("name", "again")),
        ]
        let packet = MQTTPacket.publish(MQTTPublish(topic: "t", payload: ByteBuffer(), properties: properties))
        XCTAssertEqual(try decodeOne(encoded(packet, .v5), .v5), packet)
        XCTAssertEqual(properties.count, 8)
        XCTAssertEqual(properties.first(MQTTProperties.Identifier.topicAlias), .twoByteInt(65535))
        XCTAssertEqual(properties.all(MQTTProperties.Identifier.userProperty).count, 2)
        XCTAssertNil(properties.first(MQTTProperties.Identifier.reasonString))
    }

    func testValueKinds() {
        XCTAssertEqual(MQTTProperties.Identifier.valueKind(of: 0x26), .stringPair)
        XCTAssertEqual(MQTTProperties.Identifier.valueKind(of: 0x0B), .varInt)
        XCTAssertNil(MQTTProperties.Identifier.valueKind(of: 0x00))
        XCTAssertNil(MQTTProperties.Identifier.valueKind(of: 0x04))
        XCTAssertNil(MQTTProperties.Identifier.valueKind(of: 0x2B))
    }

    func testPropertiesAreIgnoredBeforeV5() {
        let packet = MQTTPacket.connack(MQTTConnAck(properties: [(MQTTProperties.Identifier.maximumQoS, .byte(0))]))
        XCTAssertEqual(hex(encoded(packet, .v3_1_1)), "20020000")
    }

    func testUnknownIdentifier() {
        assertRejected(bytes(hex: "40 06 0001 00 02 04 00"), .v5, .invalidProperty)
        assertRejected(bytes(hex: "40 05 0001 00 01 ff"), .v5, .invalidProperty)
    }

    func testPropertyNotAllowedInThePacket() {
        assertRejected(bytes(hex: "40 07 0001 00 03 23 0001"), .v5, .invalidProperty, "topic alias in PUBACK")
        assertRejected(bytes(hex: "20 05 00 00 02 17 01"), .v5, .invalidProperty, "request problem information in CONNACK")
        assertRejected(bytes(hex: "30 09 0001 61 05 11 00000001"), .v5, .invalidProperty, "session expiry in PUBLISH")
        assertRejected(bytes(hex: "e0 04 00 02 24 01"), .v5, .invalidProperty, "maximum QoS in DISCONNECT")
    }

    func testRepeatedProperty() {
        assertRejected(bytes(hex: "20 07 00 00 04 24 00 24 00"), .v5, .invalidProperty, "maximum QoS twice")
        assertRejected(bytes(hex: "82 0b 0001 04 0b01 0b02 0001 23 00"), .v5, .invalidProperty, "subscription id twice in SUBSCRIBE")
        // Allowed: user properties, and several subscription identifiers in a PUBLISH.
        XCTAssertNoThrow(try decodeOne(bytes(hex: "30 08 0001 61 04 0b01 0b02"), .v5))
        XCTAssertNoThrow(try decodeOne(bytes(hex: "e0 0e 00 0c 26 0001 61 0000 26 0001 61 0000"), .v5))
    }

    func testOutOfRangeValues() {
        assertRejected(bytes(hex: "30 06 0001 61 02 01 02"), .v5, .invalidProperty, "payload format 2")
        assertRejected(bytes(hex: "30 06 0000 03 23 0000"), .v5, .invalidProperty, "topic alias 0")
        assertRejected(bytes(hex: "30 06 0001 61 02 0b 00"), .v5, .invalidProperty, "subscription identifier 0")
        assertRejected(bytes(hex: "20 06 00 00 03 21 0000"), .v5, .invalidProperty, "receive maximum 0")
        assertRejected(bytes(hex: "20 08 00 00 05 27 00000000"), .v5, .invalidProperty, "maximum packet size 0")
        assertRejected(bytes(hex: "20 05 00 00 02 24 02"), .v5, .invalidProperty, "maximum QoS 2")
    }

    func testTruncatedProperties() {
        assertRejected(bytes(hex: "40 05 0001 00 09 1f"), .v5, .malformedPacket, "length past the end")
        assertRejected(bytes(hex: "40 06 0001 00 02 1f 00"), .v5, .malformedPacket, "string length cut")
        assertRejected(bytes(hex: "40 07 0001 00 03 1f 0005"), .v5, .malformedPacket, "string past the property length")
        assertRejected(bytes(hex: "30 06 0001 61 02 0b 80"), .v5, .malformedPacket, "varint cut")
        assertRejected(bytes(hex: "30 0a 0001 61 06 0b 80808080 01"), .v5, .malformedPacket, "varint of 5 bytes")
        assertRejected(bytes(hex: "40 08 0001 00 ffffffff 0f"), .v5, .malformedPacket, "property length of 5 bytes")
    }
}
