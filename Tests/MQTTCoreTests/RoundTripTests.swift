import MQTTCore
import NIOCore
import XCTest

/// encode → decode gives the packet back, for every packet type in 3.1.1, 3.1 and 5.
final class RoundTripTests: XCTestCase {
    func testV311() throws {
        for packet in SamplePackets.v311 {
            XCTAssertEqual(try decodeOne(encoded(packet, .v3_1_1), .v3_1_1), packet, "\(packet.type)")
        }
    }

    func testV31() throws {
        for packet in SamplePackets.v311 {
            XCTAssertEqual(try decodeOne(encoded(packet, .v3_1), .v3_1), packet, "\(packet.type)")
        }
    }

    func testV5() throws {
        for packet in SamplePackets.v5 {
            XCTAssertEqual(try decodeOne(encoded(packet, .v5), .v5), packet, "\(packet.type)")
        }
        // The 3.1.1 samples are valid MQTT 5 packets too (a 3.1.1 CONNECT keeps its own level).
        for packet in SamplePackets.v311 {
            XCTAssertEqual(try decodeOne(encoded(packet, .v5), .v5), packet, "\(packet.type)")
        }
    }

    func testEveryPacketTypeIsSampled() {
        XCTAssertEqual(Set(SamplePackets.v5.map(\.type)), Set(MQTTPacketType.allCases))
        XCTAssertEqual(Set(SamplePackets.v311.map(\.type)), Set(MQTTPacketType.allCases.filter { $0 != .auth }))
    }

    func testPayloadIsASliceOfTheReceivedBuffer() throws {
        let wire = encoded(.publish(MQTTPublish(topic: "t", payload: ByteBuffer(repeating: 0xAB, count: 1000))), .v3_1_1)
        var buffer = ByteBuffer(bytes: wire)
        let frame = try XCTUnwrap(try MQTTFrameDecoder(maxPacketSize: 4096).decodeFrame(&buffer))
        guard case .publish(let publish) = try MQTTPacketDecoder.decode(frame, version: .v3_1_1) else {
            return XCTFail("not a PUBLISH")
        }
        // Same storage: the payload's bytes live inside the frame body's bytes.
        frame.body.withUnsafeReadableBytes { body in
            publish.payload.withUnsafeReadableBytes { payload in
                XCTAssertEqual(payload.baseAddress, body.baseAddress! + (body.count - payload.count))
            }
        }
    }

    func testSeveralPacketsInOneStreamKeepTheirOrder() throws {
        var stream = ByteBuffer()
        for packet in SamplePackets.v5 {
            MQTTPacketEncoder.encode(packet, version: .v5, into: &stream)
        }
        let decoder = MQTTFrameDecoder(maxPacketSize: 4096)
        var decoded: [MQTTPacket] = []
        while let frame = try decoder.decodeFrame(&stream) {
            decoded.append(try MQTTPacketDecoder.decode(frame, version: .v5))
        }
        XCTAssertEqual(decoded, SamplePackets.v5)
        XCTAssertEqual(stream.readableBytes, 0)
    }
}
