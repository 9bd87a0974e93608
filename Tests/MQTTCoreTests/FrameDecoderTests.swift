import MQTTCore
import NIOCore
import NIOTestUtils
import XCTest

/// Stage 1: framing, partial input, the maximum packet size and the remaining-length encoding.
final class FrameDecoderTests: XCTestCase {
    private static func frames(_ packets: [MQTTPacket], _ version: MQTTProtocolVersion) -> [(ByteBuffer, [MQTTFrame])] {
        packets.map { packet in
            let wire = ByteBuffer(bytes: encoded(packet, version))
            var copy = wire
            let frame = try! MQTTFrameDecoder(maxPacketSize: 1 << 20).decodeFrame(&copy)!
            return (wire, [frame])
        }
    }

    func testDripFeedVerifier() throws {
        // Byte by byte, all at once, every message in one buffer, shuffled (NIOTestUtils).
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: Self.frames(SamplePackets.v311, .v3_1_1) + Self.frames(SamplePackets.v5, .v5),
            decoderFactory: { MQTTFrameDecoder(maxPacketSize: 4096) }
        )
    }

    func testRandomChunksThroughTheProcessorGiveTheSamePackets() throws {
        var stream: [UInt8] = []
        for packet in SamplePackets.v311 {
            stream += encoded(packet, .v3_1_1)
        }
        var random = SplitMix64(seed: 42)
        for round in 0..<200 {
            let processor = NIOSingleStepByteToMessageProcessor(MQTTFrameDecoder(maxPacketSize: 4096))
            var decoded: [MQTTPacket] = []
            var offset = 0
            while offset < stream.count {
                let chunk = round == 0 ? 1 : Int.random(in: 1...64, using: &random)
                let end = min(stream.count, offset + chunk)
                try processor.process(buffer: ByteBuffer(bytes: stream[offset..<end])) { frame in
                    decoded.append(try MQTTPacketDecoder.decode(frame, version: .v3_1_1))
                }
                offset = end
            }
            try processor.finishProcessing(seenEOF: true) { _ in XCTFail("nothing left") }
            XCTAssertEqual(decoded, SamplePackets.v311)
        }
    }

    func testIncompleteInputNeedsMoreData() throws {
        let wire = encoded(.publish(MQTTPublish(topic: "a/b", payload: ByteBuffer(repeating: 1, count: 200))), .v3_1_1)
        let decoder = MQTTFrameDecoder(maxPacketSize: 4096)
        for length in 0..<wire.count {
            var buffer = ByteBuffer(bytes: wire[0..<length])
            XCTAssertNil(try decoder.decodeFrame(&buffer), "prefix of \(length) bytes")
            XCTAssertEqual(buffer.readableBytes, length, "nothing consumed")
        }
        var buffer = ByteBuffer(bytes: wire)
        XCTAssertNotNil(try decoder.decodeFrame(&buffer))
    }

    func testMaximumPacketSizeIsCheckedBeforeTheBodyArrives() throws {
        // PUBLISH announcing 1,000,000 bytes; only the fixed header has arrived.
        let header = bytes(hex: "30 c0 84 3d")
        let processor = NIOSingleStepByteToMessageProcessor(MQTTFrameDecoder(maxPacketSize: 64 * 1024))
        XCTAssertThrowsError(try processor.process(buffer: ByteBuffer(bytes: header)) { _ in XCTFail("no frame") }) { error in
            XCTAssertEqual((error as? MQTTCodecError)?.code, .packetTooLarge)
        }
        // A 2-byte remaining length is enough to refuse.
        var partial = ByteBuffer(bytes: bytes(hex: "30 ff 7f"))
        XCTAssertThrowsError(try MQTTFrameDecoder(maxPacketSize: 1000).decodeFrame(&partial)) { error in
            XCTAssertEqual((error as? MQTTCodecError)?.code, .packetTooLarge)
        }
    }

    func testMaximumPacketSizeCountsTheWholePacket() throws {
        // 2-byte fixed header + 98-byte body = 100 bytes.
        let packet = MQTTPacket.publish(MQTTPublish(topic: "t", payload: ByteBuffer(repeating: 0, count: 95)))
        let wire = encoded(packet, .v3_1_1)
        XCTAssertEqual(wire.count, 100)
        var exact = ByteBuffer(bytes: wire)
        XCTAssertNotNil(try MQTTFrameDecoder(maxPacketSize: 100).decodeFrame(&exact))
        var tooBig = ByteBuffer(bytes: wire)
        XCTAssertThrowsError(try MQTTFrameDecoder(maxPacketSize: 99).decodeFrame(&tooBig)) { error in
            XCTAssertEqual((error as? MQTTCodecError)?.code, .packetTooLarge)
        }
    }

    func testRemainingLengthOfFiveBytesIsMalformed() throws {
        var buffer = ByteBuffer(bytes: bytes(hex: "30 ff ff ff ff 01"))
        XCTAssertThrowsError(try MQTTFrameDecoder(maxPacketSize: Int.max).decodeFrame(&buffer)) { error in
            XCTAssertEqual((error as? MQTTCodecError)?.code, .malformedPacket)
        }
        // Four continuation bytes are malformed even before a fifth byte arrives.
        var four = ByteBuffer(bytes: bytes(hex: "30 80 80 80 80"))
        XCTAssertThrowsError(try MQTTFrameDecoder(maxPacketSize: Int.max).decodeFrame(&four))
    }

    func testLargestRemainingLengthWaitsForData() throws {
        // 268,435,455 = ff ff ff 7f: legal, so the decoder waits (given a large enough maximum).
        var buffer = ByteBuffer(bytes: bytes(hex: "30 ff ff ff 7f 00"))
        XCTAssertNil(try MQTTFrameDecoder(maxPacketSize: Int.max).decodeFrame(&buffer))
    }

    func testNonMinimalRemainingLengthIsAccepted() throws {
        // 3.1.1 does not require the shortest form: 0x80 0x00 is a remaining length of 0.
        XCTAssertEqual(try decodeOne(bytes(hex: "c0 80 00"), .v3_1_1), .pingreq)
    }

    func testFrameFields() throws {
        var buffer = ByteBuffer(bytes: bytes(hex: "62 02 00 07 d0"))
        let frame = try XCTUnwrap(try MQTTFrameDecoder(maxPacketSize: 10).decodeFrame(&buffer))
        XCTAssertEqual(frame.packetType, .pubrel)
        XCTAssertEqual(frame.flags, 0b0010)
        XCTAssertEqual(frame.packetSize, 4)
        XCTAssertEqual(hex(frame.body), "0007")
        XCTAssertEqual(buffer.readableBytes, 1)
    }
}
