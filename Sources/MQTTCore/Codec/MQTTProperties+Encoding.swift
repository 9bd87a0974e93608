internal import NIOCore

extension MQTTProperties {
    /// Bytes of the properties without the length prefix.
    var contentSize: Int {
        var size = 0
        for property in elements {
            size += 1 + property.value.encodedSize
        }
        return size
    }

    /// Bytes of the length prefix and the properties.
    var encodedSize: Int {
        let content = contentSize
        return VariableByteInteger.size(of: UInt32(content)) + content
    }

    /// Writes the property length and the properties.
    func write(to buffer: inout ByteBuffer) {
        VariableByteInteger.write(UInt32(contentSize), to: &buffer)
        for property in elements {
            buffer.writeInteger(property.identifier)
            property.value.write(to: &buffer)
        }
    }
}

extension MQTTProperties.Value {
    var encodedSize: Int {
        switch self {
        case .byte: 1
        case .twoByteInt: 2
        case .fourByteInt: 4
        case .varInt(let value): VariableByteInteger.size(of: value)
        case .string(let string): 2 + string.utf8.count
        case .binary(let bytes): 2 + bytes.readableBytes
        case .stringPair(let name, let value): 4 + name.utf8.count + value.utf8.count
        }
    }

    func write(to buffer: inout ByteBuffer) {
        switch self {
        case .byte(let value): buffer.writeInteger(value)
        case .twoByteInt(let value): buffer.writeInteger(value)
        case .fourByteInt(let value): buffer.writeInteger(value)
        case .varInt(let value): VariableByteInteger.write(value, to: &buffer)
        case .string(let string): buffer.writeMQTTString(string)
        case .binary(let bytes): buffer.writeMQTTBinary(bytes)
        case .stringPair(let name, let value):
            buffer.writeMQTTString(name)
            buffer.writeMQTTString(value)
        }
    }
}
