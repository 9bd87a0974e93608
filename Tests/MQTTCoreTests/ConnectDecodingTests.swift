import MQTTCore
import NIOCore
import XCTest

/// CONNECT specifics: unknown protocols still decode (the server answers CONNACK 1), the layout follows the level.
final class ConnectDecodingTests: XCTestCase {
    func testUnknownLevelDecodesForConnAck1() throws {
        let packet = try decodeOne(bytes(hex: "10 0e 0004 4d515454 06 c2 00f0 0002 6964"), .v3_1_1)
        guard case .connect(let connect) = packet else { return XCTFail("not a CONNECT") }
        XCTAssertEqual(connect.protocolName, "MQTT")
        XCTAssertEqual(connect.protocolLevel, 6)
        XCTAssertNil(connect.version)
        XCTAssertFalse(connect.isKnownProtocol)
        // The rest was readable in the 3.1.1 layout … except that flags 0xC2 announce a user name and password that
        // are not there, so everything after the level is left at its default.
        XCTAssertEqual(connect, MQTTConnect(protocolName: "MQTT", protocolLevel: 6, cleanSession: false, keepAlive: 0, clientId: ""))
    }

    func testUnknownLevelKeepsWhatIsReadable() throws {
        let packet = try decodeOne(bytes(hex: "10 0e 0004 4d515454 02 02 00f0 0002 6964"), .v3_1_1)
        XCTAssertEqual(packet, .connect(MQTTConnect(protocolName: "MQTT", protocolLevel: 2, keepAlive: 240, clientId: "id")))
    }

    func testUnknownLevelWithGarbageAfterTheLevel() throws {
        let packet = try decodeOne(bytes(hex: "10 09 0004 4d515454 07 ff ff"), .v3_1_1)
        XCTAssertEqual(packet, .connect(MQTTConnect(protocolName: "MQTT", protocolLevel: 7, cleanSession: false, keepAlive: 0, clientId: "")))
        // Nothing at all after the level.
        XCTAssertEqual(
            try decodeOne(bytes(hex: "10 07 0004 4d515454 00"), .v3_1_1),
            .connect(MQTTConnect(protocolName: "MQTT", protocolLevel: 0, cleanSession: false, keepAlive: 0, clientId: ""))
        )
    }

    func testWrongNameForTheLevelIsUnknownButDecodes() throws {
        // ("MQTT", 3) and ("MQIsdp", 4) are neither 3.1 nor 3.1.1.
        guard case .connect(let mqtt3) = try decodeOne(bytes(hex: "10 0e 0004 4d515454 03 02 003c 0002 6964"), .v3_1_1) else {
            return XCTFail("not a CONNECT")
        }
        XCTAssertFalse(mqtt3.isKnownProtocol)
        XCTAssertEqual(mqtt3.clientId, "id")
        guard case .connect(let other) = try decodeOne(bytes(hex: "10 0e 0004 41424344 04 02 003c 0002 6964"), .v3_1_1) else {
            return XCTFail("not a CONNECT")
        }
        XCTAssertEqual(other.protocolName, "ABCD")
        XCTAssertFalse(other.isKnownProtocol)
        XCTAssertEqual(other.clientId, "id")
    }

    func testTotallyMalformedConnectIsAnError() {
        assertRejected(bytes(hex: "10 00"), .v3_1_1, .malformedPacket)
        assertRejected(bytes(hex: "10 01 00"), .v3_1_1, .malformedPacket)
        assertRejected(bytes(hex: "10 04 0004 4d51"), .v3_1_1, .malformedPacket)
        assertRejected(bytes(hex: "10 06 0004 4d515454"), .v3_1_1, .malformedPacket, "no level")
    }

    func testConnectIsDecodedByItsOwnLevel() throws {
        let v5 = MQTTPacket.connect(
            MQTTConnect(version: .v5, clientId: "x", properties: [(MQTTProperties.Identifier.sessionExpiryInterval, .fourByteInt(1))])
        )
        let wire = encoded(v5, .v3_1_1)
        XCTAssertEqual(try decodeOne(wire, .v3_1_1), v5)
        XCTAssertEqual(try decodeOne(wire, .v5), v5)
    }

    func testProtocolVersionFromNameAndLevel() {
        XCTAssertEqual(MQTTProtocolVersion(protocolName: "MQTT", protocolLevel: 4), .v3_1_1)
        XCTAssertEqual(MQTTProtocolVersion(protocolName: "MQIsdp", protocolLevel: 3), .v3_1)
        XCTAssertEqual(MQTTProtocolVersion(protocolName: "MQTT", protocolLevel: 5), .v5)
        XCTAssertNil(MQTTProtocolVersion(protocolName: "MQTT", protocolLevel: 3))
        XCTAssertNil(MQTTProtocolVersion(protocolName: "MQIsdp", protocolLevel: 4))
        XCTAssertNil(MQTTProtocolVersion(protocolName: "mqtt", protocolLevel: 4))
        XCTAssertNil(MQTTProtocolVersion(protocolName: "MQTT", protocolLevel: 6))
        XCTAssertTrue(MQTTQoS.atMostOnce < .atLeastOnce && MQTTQoS.atLeastOnce < .exactlyOnce)
    }

    func testV31ClientIdLongerThan23Characters() throws {
        // device-protocol.md §4: the hub does not apply 3.1's 23-character limit.
        let packet = MQTTPacket.connect(MQTTConnect(version: .v3_1, clientId: String(repeating: "A", count: 58)))
        XCTAssertEqual(try decodeOne(encoded(packet, .v3_1), .v3_1), packet)
    }

    func testV5WillProperties() throws {
        let will = MQTTWill(
            topic: "w",
            payload: ByteBuffer(string: "x"),
            qos: .exactlyOnce,
            retain: true,
            properties: [(MQTTProperties.Identifier.willDelayInterval, .fourByteInt(5))]
        )
        let packet = MQTTPacket.connect(MQTTConnect(version: .v5, clientId: "c", will: will))
        XCTAssertEqual(
            hex(encoded(packet, .v5)),
            "101a" + "00044d51545405" + "36" + "003c" + "00" + "000163" + "05" + "1800000005" + "000177" + "000178"
        )
        XCTAssertEqual(try decodeOne(encoded(packet, .v5), .v5), packet)
        // Will properties that belong to other packets are refused.
        assertRejected(bytes(hex: "10 17 00044d51545405 06 003c 00 000163 02 2301 000177 000178"), .v5, .invalidProperty)
    }
}
