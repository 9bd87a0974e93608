import MQTTCore
import NIOCore
import XCTest

/// Hand-written wire bytes for every packet type: decode to the packet, encode to the bytes.
final class GoldenBytesTests: XCTestCase {
    private struct Golden {
        var name: String
        var hex: String
        var packet: MQTTPacket
    }

    private static let v311: [Golden] = [
        Golden(name: "CONNECT minimal", hex: "10 0c 0004 4d515454 04 02 003c 0000", packet: .connect(MQTTConnect(clientId: ""))),
        Golden(
            name: "CONNECT with will, user name, password",
            hex: "10 19 0004 4d515454 04 ec 0000 0001 63 0001 77 0001 78 0001 75 0001 70",
            packet: .connect(
                MQTTConnect(
                    cleanSession: false,
                    keepAlive: 0,
                    clientId: "c",
                    will: MQTTWill(topic: "w", payload: ByteBuffer(string: "x"), qos: .atLeastOnce, retain: true),
                    username: "u",
                    password: Array("p".utf8)
                )
            )
        ),
        Golden(name: "CONNACK accepted", hex: "20 02 00 00", packet: .connack(MQTTConnAck(sessionPresent: false, returnCode: 0))),
        Golden(name: "CONNACK session present", hex: "20 02 01 00", packet: .connack(MQTTConnAck(sessionPresent: true, returnCode: 0))),
        Golden(name: "CONNACK refused 5", hex: "20 02 00 05", packet: .connack(MQTTConnAck(sessionPresent: false, returnCode: 5))),
        Golden(
            name: "PUBLISH QoS 0",
            hex: "30 07 0003 612f62 6869",
            packet: .publish(MQTTPublish(topic: "a/b", payload: ByteBuffer(string: "hi")))
        ),
        Golden(
            name: "PUBLISH QoS 1 DUP RETAIN",
            hex: "3b 09 0003 612f62 000a 6869",
            packet: .publish(
                MQTTPublish(topic: "a/b", payload: ByteBuffer(string: "hi"), qos: .atLeastOnce, retain: true, dup: true, packetId: 10)
            )
        ),
        Golden(
            name: "PUBLISH QoS 2 empty payload",
            hex: "34 05 0001 61 ffff",
            packet: .publish(MQTTPublish(topic: "a", payload: ByteBuffer(), qos: .exactlyOnce, packetId: 0xFFFF))
        ),
        Golden(name: "PUBACK", hex: "40 02 00 01", packet: .puback(MQTTAck(packetId: 1))),
        Golden(name: "PUBREC", hex: "50 02 00 02", packet: .pubrec(MQTTAck(packetId: 2))),
        Golden(name: "PUBREL", hex: "62 02 00 03", packet: .pubrel(MQTTAck(packetId: 3))),
        Golden(name: "PUBCOMP", hex: "70 02 01 00", packet: .pubcomp(MQTTAck(packetId: 256))),
        Golden(
            name: "SUBSCRIBE",
            hex: "82 0c 0001 0003 612f2b 01 0001 23 00",
            packet: .subscribe(
                MQTTSubscribe(
                    packetId: 1,
                    subscriptions: [MQTTSubscription(filter: "a/+", qos: .atLeastOnce), MQTTSubscription(filter: "#", qos: .atMostOnce)]
                )
            )
        ),
        Golden(name: "SUBACK", hex: "90 05 0001 01 00 80", packet: .suback(MQTTSubAck(packetId: 1, returnCodes: [1, 0, 0x80]))),
        Golden(
            name: "UNSUBSCRIBE",
            hex: "a2 07 0002 0003 612f2b",
            packet: .unsubscribe(MQTTUnsubscribe(packetId: 2, filters: ["a/+"]))
        ),
        Golden(name: "UNSUBACK", hex: "b0 02 00 02", packet: .unsuback(MQTTUnsubAck(packetId: 2))),
        Golden(name: "PINGREQ", hex: "c0 00", packet: .pingreq),
        Golden(name: "PINGRESP", hex: "d0 00", packet: .pingresp),
        Golden(name: "DISCONNECT", hex: "e0 00", packet: .disconnect(MQTTDisconnect())),
    ]

    private static let v5: [Golden] = [
        Golden(name: "CONNECT v5 minimal", hex: "10 0d 0004 4d515454 05 02 003c 00 0000", packet: .connect(MQTTConnect(version: .v5, clientId: ""))),
        Golden(name: "CONNACK v5", hex: "20 03 00 00 00", packet: .connack(MQTTConnAck())),
        Golden(
            name: "CONNACK v5 with properties",
            hex: "20 08 01 00 05 24 01 21 00 0a",
            packet: .connack(
                MQTTConnAck(
                    sessionPresent: true,
                    returnCode: 0,
                    properties: [(MQTTProperties.Identifier.maximumQoS, .byte(1)), (MQTTProperties.Identifier.receiveMaximum, .twoByteInt(10))]
                )
            )
        ),
        Golden(name: "PUBLISH v5", hex: "30 05 0001 61 00 78", packet: .publish(MQTTPublish(topic: "a", payload: ByteBuffer(string: "x")))),
        Golden(
            name: "PUBLISH v5 topic alias",
            hex: "30 07 0000 03 23 0001 78",
            packet: .publish(
                MQTTPublish(topic: "", payload: ByteBuffer(string: "x"), properties: [(MQTTProperties.Identifier.topicAlias, .twoByteInt(1))])
            )
        ),
        Golden(name: "PUBACK v5 success, short form", hex: "40 02 00 01", packet: .puback(MQTTAck(packetId: 1))),
        Golden(name: "PUBACK v5 reason code", hex: "40 03 00 01 10", packet: .puback(MQTTAck(packetId: 1, reasonCode: 0x10))),
        Golden(
            name: "PUBREC v5 reason string",
            hex: "50 08 0001 80 04 1f 0001 78",
            packet: .pubrec(MQTTAck(packetId: 1, reasonCode: 0x80, properties: [(MQTTProperties.Identifier.reasonString, .string("x"))]))
        ),
        Golden(
            name: "SUBSCRIBE v5 options",
            hex: "82 07 0001 00 0001 23 2e",
            packet: .subscribe(
                MQTTSubscribe(
                    packetId: 1,
                    subscriptions: [MQTTSubscription(filter: "#", qos: .exactlyOnce, noLocal: true, retainAsPublished: true, retainHandling: 2)]
                )
            )
        ),
        Golden(name: "SUBACK v5", hex: "90 05 0001 00 01 8f", packet: .suback(MQTTSubAck(packetId: 1, returnCodes: [1, 0x8F]))),
        Golden(name: "UNSUBACK v5", hex: "b0 05 0001 00 00 11", packet: .unsuback(MQTTUnsubAck(packetId: 1, reasonCodes: [0, 0x11]))),
        Golden(name: "DISCONNECT v5 short form", hex: "e0 00", packet: .disconnect(MQTTDisconnect())),
        Golden(name: "DISCONNECT v5 reason", hex: "e0 01 8e", packet: .disconnect(MQTTDisconnect(reasonCode: 0x8E))),
        Golden(
            name: "DISCONNECT v5 session expiry",
            hex: "e0 07 00 05 11 0000 0e10",
            packet: .disconnect(MQTTDisconnect(properties: [(MQTTProperties.Identifier.sessionExpiryInterval, .fourByteInt(3600))]))
        ),
        Golden(name: "AUTH v5 short form", hex: "f0 00", packet: .auth(MQTTAuth())),
        Golden(name: "AUTH v5 continue", hex: "f0 01 18", packet: .auth(MQTTAuth(reasonCode: 0x18))),
    ]

    func testV311EveryPacketType() throws {
        try check(Self.v311, .v3_1_1)
        XCTAssertEqual(
            Set(Self.v311.map(\.packet.type)),
            Set(MQTTPacketType.allCases.filter { $0 != .auth }),
            "every 3.1.1 packet type has golden bytes"
        )
    }

    func testV311PacketsAreTheSameInV31() throws {
        try check(Self.v311.filter { $0.packet.type != .connect }, .v3_1)
    }

    func testV5() throws {
        try check(Self.v5, .v5)
    }

    func testV5LongFormsDecodeToTheShortForm() throws {
        // Reason code 0 and an empty property list spelled out.
        XCTAssertEqual(try decodeOne(bytes(hex: "40 04 0001 00 00"), .v5), .puback(MQTTAck(packetId: 1)))
        XCTAssertEqual(try decodeOne(bytes(hex: "40 03 0001 00"), .v5), .puback(MQTTAck(packetId: 1)))
        XCTAssertEqual(try decodeOne(bytes(hex: "e0 02 00 00"), .v5), .disconnect(MQTTDisconnect()))
        XCTAssertEqual(try decodeOne(bytes(hex: "f0 02 00 00"), .v5), .auth(MQTTAuth()))
    }

    func testV5OnlyFieldsAreLeftOutForV311() {
        let puback = MQTTPacket.puback(MQTTAck(packetId: 1, reasonCode: 0x10, properties: [(0x1F, .string("x"))]))
        XCTAssertEqual(hex(encoded(puback, .v3_1_1)), "40020001")
        let subscribe = MQTTPacket.subscribe(
            MQTTSubscribe(packetId: 1, subscriptions: [MQTTSubscription(filter: "#", qos: .atLeastOnce, noLocal: true, retainHandling: 2)])
        )
        XCTAssertEqual(hex(encoded(subscribe, .v3_1_1)), "820600010001" + "2301")
        XCTAssertEqual(hex(encoded(.disconnect(MQTTDisconnect(reasonCode: 0x8B)), .v3_1_1)), "e000")
        XCTAssertEqual(hex(encoded(.unsuback(MQTTUnsubAck(packetId: 2, reasonCodes: [0])), .v3_1_1)), "b0020002")
    }

    func testEncodedSizeMatchesTheBytes() {
        for (packets, version) in [(SamplePackets.v311, MQTTProtocolVersion.v3_1_1), (SamplePackets.v5, .v5)] {
            for packet in packets {
                XCTAssertEqual(MQTTPacketEncoder.encodedSize(packet, version: version), encoded(packet, version).count, "\(packet.type)")
            }
        }
    }

    func testRemainingLengthBoundaries() throws {
        // 127 → one byte, 128 → two bytes, 16,383 → two bytes, 16,384 → three bytes.
        for (payloadSize, header) in [(122, "307f"), (123, "308001"), (16_378, "30ff7f"), (16_379, "30808001")] {
            let packet = MQTTPacket.publish(MQTTPublish(topic: "abc", payload: ByteBuffer(repeating: 1, count: payloadSize)))
            let wire = encoded(packet, .v3_1_1)
            XCTAssertEqual(hex(wire.prefix(header.count / 2)), header)
            XCTAssertEqual(try decodeOne(wire, .v3_1_1), packet)
        }
    }

    private func check(_ goldens: [Golden], _ version: MQTTProtocolVersion, file: StaticString = #filePath, line: UInt = #line) throws {
        for golden in goldens {
            let wire = bytes(hex: golden.hex)
            XCTAssertEqual(hex(encoded(golden.packet, version)), hex(wire), "encode \(golden.name)", file: file, line: line)
            do {
                let decoded = try decodeOne(wire, version)
                XCTAssertEqual(decoded, golden.packet, "decode \(golden.name)", file: file, line: line)
            } catch {
                XCTFail("decode \(golden.name): \(error)", file: file, line: line)
            }
        }
    }
}
