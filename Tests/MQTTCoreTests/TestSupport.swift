import MQTTCore
import NIOCore
import XCTest

/// Bytes of lowercase or uppercase hex text; spaces are ignored.
func bytes(hex text: String, file: StaticString = #filePath, line: UInt = #line) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace }.utf8)
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: preconditionFailure("not a hex digit")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

func buffer(hex text: String) -> ByteBuffer {
    ByteBuffer(bytes: bytes(hex: text))
}

/// Lowercase hex of `bytes`.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

func hex(_ buffer: ByteBuffer) -> String {
    hex(buffer.readableBytesView)
}

/// `packet` encoded for `version`.
func encoded(_ packet: MQTTPacket, _ version: MQTTProtocolVersion) -> [UInt8] {
    var buffer = ByteBuffer()
    MQTTPacketEncoder.encode(packet, version: version, into: &buffer)
    return Array(buffer.readableBytesView)
}

/// Decodes exactly one packet from `bytes` (both stages); fails if bytes are left over.
func decodeOne(
    _ bytes: [UInt8],
    _ version: MQTTProtocolVersion,
    maxPacketSize: Int = 1 << 20
) throws(MQTTCodecError) -> MQTTPacket {
    var buffer = ByteBuffer(bytes: bytes)
    let decoder = MQTTFrameDecoder(maxPacketSize: maxPacketSize)
    guard let frame = try decoder.decodeFrame(&buffer) else {
        throw MQTTCodecError(.malformedPacket, "test: incomplete packet")
    }
    guard buffer.readableBytes == 0 else {
        throw MQTTCodecError(.malformedPacket, "test: \(buffer.readableBytes) bytes after the packet")
    }
    return try MQTTPacketDecoder.decode(frame, version: version)
}

/// Asserts that `bytes` are refused with `code` (by the frame or the packet decoder).
func assertRejected(
    _ bytes: [UInt8],
    _ version: MQTTProtocolVersion,
    _ code: MQTTCodecError.Code,
    _ message: String = "",
    file: StaticString = #filePath,
    line: UInt = #line
) {
    do {
        let packet = try decodeOne(bytes, version)
        XCTFail("decoded \(packet) from \(hex(bytes)), expected \(code). \(message)", file: file, line: line)
    } catch {
        XCTAssertEqual(error.code, code, "\(hex(bytes)): \(error.message). \(message)", file: file, line: line)
    }
}

/// A small deterministic PRNG (SplitMix64) so failures reproduce from the seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
