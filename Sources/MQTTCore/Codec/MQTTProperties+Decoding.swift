internal import NIOCore

extension MQTTProperties {
    /// Reads a property length and the properties it covers (MQTT 5 §2.2.2), refusing unknown identifiers,
    /// identifiers not allowed in `context`, repeated ones (only User Property, and Subscription Identifier in
    /// PUBLISH, may repeat) and out-of-range values (Protocol Errors of §3.x).
    static func read(from buffer: inout ByteBuffer, context: MQTTPropertyContext) throws(MQTTCodecError) -> MQTTProperties {
        let length = Int(try VariableByteInteger.read(from: &buffer))
        if length == 0 {
            return MQTTProperties()
        }
        guard var slice = buffer.readSlice(length: length) else {
            throw .malformed("property length \(length) runs past the end of the packet")
        }
        var properties = MQTTProperties()
        var seen: UInt64 = 0
        while slice.readableBytes > 0 {
            // The identifier is a variable byte integer; every defined one fits in its first byte.
            let identifier = try slice.readMQTTByte()
            guard let kind = Identifier.valueKind(of: identifier) else {
                throw MQTTCodecError(.invalidProperty, "unknown property identifier \(identifier)")
            }
            guard MQTTPropertyContext.allowing(identifier).isSuperset(of: context) else {
                throw MQTTCodecError(.invalidProperty, "property \(identifier) is not allowed here")
            }
            let bit: UInt64 = 1 << UInt64(identifier)
            let mayRepeat =
                identifier == Identifier.userProperty
                || (identifier == Identifier.subscriptionIdentifier && context == .publish)
            guard seen & bit == 0 || mayRepeat else {
                throw MQTTCodecError(.invalidProperty, "property \(identifier) appears more than once")
            }
            seen |= bit
            let value = try readValue(kind, from: &slice)
            try checkRange(identifier, value)
            properties.append(identifier, value)
        }
        return properties
    }

    private static func readValue(_ kind: ValueKind, from buffer: inout ByteBuffer) throws(MQTTCodecError) -> Value {
        switch kind {
        case .byte: .byte(try buffer.readMQTTByte())
        case .twoByteInt: .twoByteInt(try buffer.readMQTTUInt16())
        case .fourByteInt: .fourByteInt(try buffer.readMQTTUInt32())
        case .varInt: .varInt(try VariableByteInteger.read(from: &buffer))
        case .string: .string(try buffer.readMQTTString())
        case .binary: .binary(try buffer.readMQTTBinary())
        case .stringPair: .stringPair(try buffer.readMQTTString(), try buffer.readMQTTString())
        }
    }

    /// Values MQTT 5 calls a Protocol Error.
    private static func checkRange(_ identifier: UInt8, _ value: Value) throws(MQTTCodecError) {
        let integer = value.integer ?? 0
        switch identifier {
        case Identifier.payloadFormatIndicator, Identifier.requestProblemInformation,
            Identifier.requestResponseInformation, Identifier.maximumQoS, Identifier.retainAvailable,
            Identifier.wildcardSubscriptionAvailable, Identifier.subscriptionIdentifierAvailable,
            Identifier.sharedSubscriptionAvailable:
            // §3.1.2.11.x, §3.2.2.3.x, §3.3.2.3.2: "any other value is a Protocol Error".
            guard integer <= 1 else {
                throw MQTTCodecError(.invalidProperty, "property \(identifier) must be 0 or 1")
            }
        case Identifier.receiveMaximum, Identifier.maximumPacketSize, Identifier.topicAlias,
            Identifier.subscriptionIdentifier:
            // §3.1.2.11.3, §3.1.2.11.4, §3.3.2.3.4, §3.3.2.3.8: the value 0 is a Protocol Error.
            guard integer != 0 else {
                throw MQTTCodecError(.invalidProperty, "property \(identifier) must not be 0")
            }
        default:
            break
        }
    }
}
