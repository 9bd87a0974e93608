import MQTTCore
import NIOCore
import XCTest

/// Seeded mutation fuzzing of both decoder stages: valid encodings with bit flips, byte changes, truncation,
/// length-field changes, insertions and deletions. Every input must decode or throw ``MQTTCodecError`` (never
/// crash or hang), and every decoded packet must re-encode to bytes that decode to the same packet.
final class FuzzTests: XCTestCase {
    /// Override with `MQTT_FUZZ_ITERATIONS` and `MQTT_FUZZ_SEED`.
    private static let iterations = Int(ProcessInfoEnvironment.value("MQTT_FUZZ_ITERATIONS") ?? "") ?? 120_000
    private static let seed = UInt64(ProcessInfoEnvironment.value("MQTT_FUZZ_SEED") ?? "") ?? 0x4D51_5454_5F46_555A

    private struct Stats {
        var packets = 0
        var errors = 0
        var incomplete = 0
    }

    func testMutatedEncodingsNeverCrashAndRoundTrip() throws {
        let corpora: [(MQTTProtocolVersion, [[UInt8]])] = [
            (.v3_1_1, SamplePackets.v311.map { encoded($0, .v3_1_1) } + Self.vectorPackets()),
            (.v3_1, SamplePackets.v311.map { encoded($0, .v3_1) }),
            (.v5, SamplePackets.v5.map { encoded($0, .v5) }),
        ]
        var random = SplitMix64(seed: Self.seed)
        var stats = Stats()
        for iteration in 0..<Self.iterations {
            let (version, corpus) = corpora[iteration % corpora.count]
            var input = corpus.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                Self.mutate(&input, corpus: corpus, using: &random)
            }
            try check(input, version, chunked: iteration % 16 == 0, random: &random, stats: &stats)
        }
        // The mutations must leave enough valid packets to exercise the round trip, and enough invalid ones.
        XCTAssertGreaterThan(stats.packets, Self.iterations / 10)
        XCTAssertGreaterThan(stats.errors, Self.iterations / 10)
        print("fuzz: \(Self.iterations) inputs (seed \(Self.seed)): \(stats.packets) packets decoded and round-tripped, \(stats.errors) rejected, \(stats.incomplete) incomplete")
    }

    func testRandomBytesNeverCrash() throws {
        var random = SplitMix64(seed: Self.seed ^ 0xFFFF)
        var stats = Stats()
        for iteration in 0..<20_000 {
            let count = Int.random(in: 0...64, using: &random)
            var input = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            if input.count >= 2 {
                // Make the length plausible half of the time so that stage 2 sees the bytes.
                if Bool.random(using: &random) { input[1] = UInt8(min(input.count - 2, 127)) }
            }
            let version: MQTTProtocolVersion = iteration % 2 == 0 ? .v3_1_1 : .v5
            try check(input, version, chunked: false, random: &random, stats: &stats)
        }
    }

    // MARK: checking

    private func check(
        _ input: [UInt8],
        _ version: MQTTProtocolVersion,
        chunked: Bool,
        random: inout SplitMix64,
        stats: inout Stats
    ) throws {
        let decoder = MQTTFrameDecoder(maxPacketSize: 8192)
        var buffer = ByteBuffer(bytes: input)
        var frames: [MQTTFrame] = []
        var frameError: MQTTCodecError?
        // Each frame consumes at least 2 bytes, so this terminates.
        while true {
            do {
                guard let frame = try decoder.decodeFrame(&buffer) else {
                    if buffer.readableBytes > 0 { stats.incomplete += 1 }
                    break
                }
                frames.append(frame)
            } catch {
                frameError = error
                break
            }
        }
        if chunked {
            try checkChunkedFeedingAgrees(input, frames: frames, failed: frameError != nil, random: &random)
        }
        for frame in frames {
            let packet: MQTTPacket
            do {
                packet = try MQTTPacketDecoder.decode(frame, version: version)
            } catch {
                stats.errors += 1
                continue
            }
            stats.packets += 1
            try checkRoundTrip(packet, version, input: input)
        }
        if frameError != nil { stats.errors += 1 }
    }

    private func checkRoundTrip(_ packet: MQTTPacket, _ version: MQTTProtocolVersion, input: [UInt8]) throws {
        var wire = ByteBuffer()
        MQTTPacketEncoder.encode(packet, version: version, into: &wire)
        XCTAssertEqual(wire.readableBytes, MQTTPacketEncoder.encodedSize(packet, version: version))
        let encodedBytes = Array(wire.readableBytesView)
        do {
            let frame = try XCTUnwrap(try MQTTFrameDecoder(maxPacketSize: Int.max).decodeFrame(&wire))
            XCTAssertEqual(wire.readableBytes, 0)
            let again = try MQTTPacketDecoder.decode(frame, version: version)
            guard again == packet else {
                return XCTFail("round trip changed the packet; input \(hex(input)), re-encoded \(hex(encodedBytes))")
            }
            // The encoding is canonical: encoding the decoded packet again gives the same bytes.
            XCTAssertEqual(encoded(again, version), encodedBytes)
        } catch let error as MQTTCodecError {
            XCTFail("re-encoded packet does not decode (\(error)); input \(hex(input)), re-encoded \(hex(encodedBytes))")
        }
    }

    /// Feeding the same bytes in random chunks through NIO's processor gives the same frames (or the same failure).
    private func checkChunkedFeedingAgrees(
        _ input: [UInt8],
        frames: [MQTTFrame],
        failed: Bool,
        random: inout SplitMix64
    ) throws {
        let processor = NIOSingleStepByteToMessageProcessor(MQTTFrameDecoder(maxPacketSize: 8192))
        var chunkedFrames: [MQTTFrame] = []
        var chunkedFailed = false
        var offset = 0
        do {
            while offset < input.count {
                let end = min(input.count, offset + Int.random(in: 1...8, using: &random))
                try processor.process(buffer: ByteBuffer(bytes: input[offset..<end])) { chunkedFrames.append($0) }
                offset = end
            }
        } catch is MQTTCodecError {
            chunkedFailed = true
        }
        XCTAssertEqual(chunkedFrames, frames, hex(input))
        XCTAssertEqual(chunkedFailed, failed, hex(input))
    }

    // MARK: mutations

    private static func mutate(_ input: inout [UInt8], corpus: [[UInt8]], using random: inout SplitMix64) {
        if input.isEmpty {
            input = corpus.randomElement(using: &random)!
        }
        let index = Int.random(in: 0..<input.count, using: &random)
        switch Int.random(in: 0..<10, using: &random) {
        case 0, 1:  // flip one bit
            input[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
        case 2:  // one random byte
            input[index] = UInt8.random(in: 0...255, using: &random)
        case 3:  // truncate
            input.removeLast(Int.random(in: 0...input.count, using: &random))
        case 4:  // change the remaining length by a little
            if input.count > 1 {
                input[1] = input[1] &+ UInt8(bitPattern: Int8.random(in: -3...3, using: &random))
            }
        case 5:  // change a length field inside the body (strings, properties) by a little
            input[index] = input[index] &+ UInt8(bitPattern: Int8.random(in: -2...2, using: &random))
        case 6:  // insert random bytes
            let count = Int.random(in: 1...4, using: &random)
            input.insert(contentsOf: (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }, at: index)
            if input.count > 1, Bool.random(using: &random), input[1] < 0x80 {
                input[1] = input[1] &+ UInt8(count)  // keep the frame consistent so stage 2 sees it
            }
        case 7:  // delete a range
            let end = min(input.count, index + Int.random(in: 1...4, using: &random))
            let removed = end - index
            input.removeSubrange(index..<end)
            if input.count > 1, Bool.random(using: &random), input[1] < 0x80, input[1] >= removed {
                input[1] -= UInt8(removed)
            }
        case 8:  // another packet behind this one
            input += corpus.randomElement(using: &random)!
        default:  // a fixed-header byte of another type / flags
            input[0] = UInt8.random(in: 0...255, using: &random)
        }
    }

    private static func vectorPackets() -> [[UInt8]] {
        ["mqtt.connect.v311", "mqtt.connect.v31", "mqtt.connect.tls_psk"].compactMap { id in
            guard let packetHex = try? TestVectors.vector(id).section("expected").string("packetHex") else { return nil }
            return bytes(hex: packetHex)
        }
    }
}
