internal import NIOCore

/// Writes of the MQTT data types. Lengths that do not fit the two-byte prefix are programming errors.
extension ByteBuffer {
    @inline(__always)
    mutating func writeMQTTString(_ string: String) {
        let length = string.utf8.count
        precondition(length <= Int(UInt16.max), "MQTT string longer than 65,535 bytes")
        writeInteger(UInt16(truncatingIfNeeded: length))
        writeString(string)
    }

    @inline(__always)
    mutating func writeMQTTBinary(_ bytes: ByteBuffer) {
        precondition(bytes.readableBytes <= Int(UInt16.max), "MQTT binary data longer than 65,535 bytes")
        writeInteger(UInt16(truncatingIfNeeded: bytes.readableBytes))
        writeImmutableBuffer(bytes)
    }

    @inline(__always)
    mutating func writeMQTTBinary(_ bytes: [UInt8]) {
        precondition(bytes.count <= Int(UInt16.max), "MQTT binary data longer than 65,535 bytes")
        writeInteger(UInt16(truncatingIfNeeded: bytes.count))
        writeBytes(bytes)
    }
}
