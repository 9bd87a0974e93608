import MQTTCore
import NIOCore
import XCTest

/// The CONNECT vectors of `vectors.json` (device-protocol.md §5): decode every field, re-encode to the same bytes.
final class ConnectVectorTests: XCTestCase {
    func testV311ConnectFromTheCSDK() throws {
        let vector = try TestVectors.vector("mqtt.connect.v311")
        let inputs = try vector.section("inputs")
        let expected = try vector.section("expected")
        let packetBytes = bytes(hex: try expected.string("packetHex"))
        XCTAssertEqual(packetBytes.count, try expected.int("packetLength"))
        XCTAssertEqual(packetBytes.count, 125)
        XCTAssertEqual(packetBytes[0], 0x10)
        XCTAssertEqual(packetBytes[9], 0xC2, "connect flags")

        let connect = try connectPacket(packetBytes, .v3_1_1)
        XCTAssertEqual(connect.protocolName, try inputs.string("protocolName"))
        XCTAssertEqual(connect.protocolName, "MQTT")
        XCTAssertEqual(Int(connect.protocolLevel), try inputs.int("protocolLevel"))
        XCTAssertEqual(connect.version, .v3_1_1)
        XCTAssertTrue(connect.isKnownProtocol)
        XCTAssertTrue(connect.cleanSession)
        XCTAssertEqual(Int(connect.keepAlive), try inputs.int("keepAlive"))
        XCTAssertEqual(connect.keepAlive, 240)
        XCTAssertEqual(connect.clientId, try inputs.string("clientId"))
        XCTAssertNil(connect.will)
        XCTAssertEqual(connect.username, try inputs.string("username"))
        XCTAssertEqual(connect.password, Array(try inputs.string("password").utf8))
        XCTAssertTrue(connect.properties.isEmpty)

        XCTAssertEqual(hex(encoded(.connect(connect), .v3_1_1)), hex(packetBytes))
        // The version argument does not matter for CONNECT: the packet carries its own level.
        XCTAssertEqual(try decodeOne(packetBytes, .v5), .connect(connect))
        XCTAssertEqual(hex(encoded(.connect(connect), .v5)), hex(packetBytes))
    }

    func testV31ConnectFromThePythonSDK() throws {
        let vector = try TestVectors.vector("mqtt.connect.v31")
        let inputs = try vector.section("inputs")
        let expected = try vector.section("expected")
        let packetBytes = bytes(hex: try expected.string("packetHex"))
        XCTAssertEqual(packetBytes.count, try expected.int("packetLength"))
        XCTAssertEqual(Array(packetBytes[0..<3]), [0x10, 0x80, 0x01], "two-byte remaining length 128")

        let connect = try connectPacket(packetBytes, .v3_1)
        XCTAssertEqual(connect.protocolName, "MQIsdp")
        XCTAssertEqual(connect.protocolName, try inputs.string("protocolName"))
        XCTAssertEqual(connect.protocolLevel, 3)
        XCTAssertEqual(connect.version, .v3_1)
        XCTAssertTrue(connect.isKnownProtocol)
        XCTAssertTrue(connect.cleanSession)
        XCTAssertEqual(connect.keepAlive, 60)
        XCTAssertEqual(Int(connect.keepAlive), try inputs.int("keepAlive"))
        XCTAssertEqual(connect.clientId, try inputs.string("clientId"))
        XCTAssertNil(connect.will)
        XCTAssertEqual(connect.username, try inputs.string("username"))
        XCTAssertEqual(connect.password, Array(try expected.string("password").utf8))
        XCTAssertTrue(connect.properties.isEmpty)

        XCTAssertEqual(hex(encoded(.connect(connect), .v3_1)), hex(packetBytes))
    }

    func testTLSPSKConnectHasNoPassword() throws {
        let vector = try TestVectors.vector("mqtt.connect.tls_psk")
        let inputs = try vector.section("inputs")
        let expected = try vector.section("expected")
        let packetBytes = bytes(hex: try expected.string("packetHex"))
        XCTAssertEqual(packetBytes.count, try expected.int("packetLength"))
        XCTAssertEqual(packetBytes[9], 0x82, "connect flags: user name, clean session")

        let connect = try connectPacket(packetBytes, .v3_1_1)
        XCTAssertEqual(connect.protocolName, "MQTT")
        XCTAssertEqual(connect.protocolLevel, 4)
        XCTAssertTrue(connect.cleanSession)
        XCTAssertEqual(Int(connect.keepAlive), try inputs.int("keepAlive"))
        XCTAssertEqual(connect.clientId, try inputs.string("clientId"))
        XCTAssertEqual(connect.clientId, try expected.string("tlsPskIdentity"))
        XCTAssertNil(connect.will)
        XCTAssertEqual(connect.username, try inputs.string("username"))
        XCTAssertNil(connect.password)
        XCTAssertTrue(connect.properties.isEmpty)

        XCTAssertEqual(hex(encoded(.connect(connect), .v3_1_1)), hex(packetBytes))
    }

    func testVectorsThroughTheStreamDecoderInOneBuffer() throws {
        var stream: [UInt8] = []
        var expected: [MQTTPacket] = []
        for id in ["mqtt.connect.v311", "mqtt.connect.v31", "mqtt.connect.tls_psk"] {
            let packetBytes = bytes(hex: try TestVectors.vector(id).section("expected").string("packetHex"))
            stream += packetBytes
            expected.append(try decodeOne(packetBytes, .v3_1_1))
        }
        let processor = NIOSingleStepByteToMessageProcessor(MQTTFrameDecoder(maxPacketSize: 256))
        var decoded: [MQTTPacket] = []
        try processor.process(buffer: ByteBuffer(bytes: stream)) { frame in
            decoded.append(try MQTTPacketDecoder.decode(frame, version: .v3_1_1))
        }
        XCTAssertEqual(decoded, expected)
    }

    private func connectPacket(
        _ bytes: [UInt8],
        _ version: MQTTProtocolVersion,
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> MQTTConnect {
        guard case .connect(let connect) = try decodeOne(bytes, version) else {
            XCTFail("not a CONNECT", file: file, line: line)
            throw MQTTCodecError(.malformedPacket, "not a CONNECT")
        }
        return connect
    }
}
