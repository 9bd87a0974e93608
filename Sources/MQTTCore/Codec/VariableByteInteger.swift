internal import NIOCore

/// The variable byte integer of MQTT (remaining length, property length, subscription identifier):
/// 7 bits per byte, least significant first, at most 4 bytes (3.1.1 §2.2.3; MQTT 5 §1.5.5).
enum VariableByteInteger {
    /// The largest encodable value, 268,435,455.
    static let maximum: UInt32 = 0x0FFF_FFFF

    enum PeekResult {
        /// Value and number of bytes it took.
        case value(UInt32, length: Int)
        case needMoreData
        /// A fifth byte would be needed.
        case malformed
    }

    /// Reads a variable byte integer at `index` without moving the reader index.
    @inline(__always)
    static func peek(_ buffer: ByteBuffer, at index: Int) -> PeekResult {
        var value: UInt32 = 0
        var shift: UInt32 = 0
        for offset in 0..<4 {
            guard let byte = buffer.getInteger(at: index + offset, as: UInt8.self) else {
                return .needMoreData
            }
            value |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                return .value(value, length: offset + 1)
            }
            shift += 7
        }
        return .malformed
    }

    /// Reads a variable byte integer, moving the reader index past it.
    static func read(from buffer: inout ByteBuffer) throws(MQTTCodecError) -> UInt32 {
        switch peek(buffer, at: buffer.readerIndex) {
        case .value(let value, let length):
            buffer.moveReaderIndex(forwardBy: length)
            return value
        case .needMoreData:
            throw .malformed("variable byte integer runs past the end of the packet")
        case .malformed:
            throw .malformed("variable byte integer longer than 4 bytes")
        }
    }

    /// Number of bytes `value` takes.
    @inline(__always)
    static func size(of value: UInt32) -> Int {
        switch value {
        case 0..<128: 1
        case 128..<16_384: 2
        case 16_384..<2_097_152: 3
        default: 4
        }
    }

    /// Writes `value` (≤ ``maximum``).
    @inline(__always)
    static func write(_ value: UInt32, to buffer: inout ByteBuffer) {
        precondition(value <= maximum, "variable byte integer \(value) exceeds 268,435,455")
        var value = value
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value > 0 { byte |= 0x80 }
            buffer.writeInteger(byte)
        } while value > 0
    }
}
