internal import NIOCore

/// Bounds-checked reads of the MQTT data types (3.1.1 §1.5; MQTT 5 §1.5). Running out of bytes is always
/// "malformed": stage 2 only ever sees complete packets.
extension ByteBuffer {
    @inline(__always)
    mutating func readMQTTByte() throws(MQTTCodecError) -> UInt8 {
        guard let value = readInteger(as: UInt8.self) else {
            throw .malformed("packet ends inside a one-byte field")
        }
        return value
    }

    @inline(__always)
    mutating func readMQTTUInt16() throws(MQTTCodecError) -> UInt16 {
        guard let value = readInteger(as: UInt16.self) else {
            throw .malformed("packet ends inside a two-byte integer")
        }
        return value
    }

    @inline(__always)
    mutating func readMQTTUInt32() throws(MQTTCodecError) -> UInt32 {
        guard let value = readInteger(as: UInt32.self) else {
            throw .malformed("packet ends inside a four-byte integer")
        }
        return value
    }

    /// A packet identifier; 0 is refused (MQTT-2.3.1-1; MQTT 5: MQTT-2.2.1-3).
    @inline(__always)
    mutating func readPacketIdentifier() throws(MQTTCodecError) -> UInt16 {
        let value = try readMQTTUInt16()
        guard value != 0 else {
            throw MQTTCodecError(.invalidPacketIdentifier, "packet identifier 0")
        }
        return value
    }

    /// A UTF-8 encoded string: two-byte length, then well-formed UTF-8 without U+0000
    /// (MQTT-1.5.3-1, MQTT-1.5.3-2; MQTT 5: MQTT-1.5.4-1, MQTT-1.5.4-2). A BOM is kept (MQTT-1.5.3-3).
    mutating func readMQTTString() throws(MQTTCodecError) -> String {
        let length = Int(try readMQTTUInt16())
        guard readableBytes >= length else {
            throw .malformed("string of \(length) bytes runs past the end of the packet")
        }
        let result = MQTTUTF8.decode(self, length: length)
        moveReaderIndex(forwardBy: length)
        switch result {
        case .string(let string):
            return string
        case .containsNull:
            throw MQTTCodecError(.invalidUTF8, "string contains U+0000")
        case .illFormed:
            throw MQTTCodecError(.invalidUTF8, "string is not well-formed UTF-8")
        }
    }

    /// Binary data: two-byte length, then the bytes, returned as a slice (no copy).
    mutating func readMQTTBinary() throws(MQTTCodecError) -> ByteBuffer {
        let length = Int(try readMQTTUInt16())
        guard let slice = readSlice(length: length) else {
            throw .malformed("binary data of \(length) bytes runs past the end of the packet")
        }
        return slice
    }

    /// Binary data as an array (for the CONNECT password).
    mutating func readMQTTBinaryBytes() throws(MQTTCodecError) -> [UInt8] {
        let length = Int(try readMQTTUInt16())
        guard let bytes = readBytes(length: length) else {
            throw .malformed("binary data of \(length) bytes runs past the end of the packet")
        }
        return bytes
    }
}
