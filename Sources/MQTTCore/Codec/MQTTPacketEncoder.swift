public import NIOCore

/// Writes ``MQTTPacket``s straight into a `ByteBuffer`: the body size is computed first, so the fixed header is
/// written once and nothing is moved or copied afterwards.
///
/// Fields a version does not have are left out (properties and reason codes before MQTT 5; the MQTT 5 subscription
/// options before MQTT 5). CONNECT is laid out by its own `protocolLevel`, whatever `version` is. AUTH exists only in
/// MQTT 5 and is always written in its MQTT 5 layout.
///
/// The packet must be encodable: strings and binary fields of at most 65,535 bytes, a packet identifier for
/// QoS > 0, a body of at most 268,435,455 bytes (see ``encodedSize(_:version:)``). Anything else is a programming
/// error and traps. The encoder does not check protocol rules (topic syntax, a password without a user name in
/// 3.1.1): what the caller built is what is written.
public enum MQTTPacketEncoder {
    /// Appends `packet`, encoded for `version`, to `buffer`.
    public static func encode(_ packet: MQTTPacket, version: MQTTProtocolVersion, into buffer: inout ByteBuffer) {
        let bodySize = bodySize(of: packet, isV5: version == .v5)
        precondition(bodySize <= Int(VariableByteInteger.maximum), "MQTT packet body larger than 268,435,455 bytes")
        buffer.reserveCapacity(minimumWritableBytes: 1 + VariableByteInteger.size(of: UInt32(bodySize)) + bodySize)
        buffer.writeInteger(firstByte(of: packet))
        VariableByteInteger.write(UInt32(bodySize), to: &buffer)
        let bodyStart = buffer.writerIndex
        writeBody(of: packet, isV5: version == .v5, into: &buffer)
        assert(buffer.writerIndex - bodyStart == bodySize, "MQTT encoder size mismatch for \(packet.type)")
    }

    /// `packet` encoded for `version` in a new buffer.
    public static func encode(
        _ packet: MQTTPacket,
        version: MQTTProtocolVersion,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 0)
        encode(packet, version: version, into: &buffer)
        return buffer
    }

    /// Bytes `packet` takes on the wire for `version`, fixed header included (compare with a peer's Maximum Packet
    /// Size before sending). Bodies over 268,435,455 bytes are not encodable.
    public static func encodedSize(_ packet: MQTTPacket, version: MQTTProtocolVersion) -> Int {
        let bodySize = bodySize(of: packet, isV5: version == .v5)
        return 1 + VariableByteInteger.size(of: UInt32(clamping: bodySize)) + bodySize
    }

    static func firstByte(of packet: MQTTPacket) -> UInt8 {
        let type = packet.type
        guard case .publish(let publish) = packet else {
            return type.rawValue << 4 | type.requiredFlags
        }
        var flags = publish.qos.rawValue << 1
        if publish.dup { flags |= 0x08 }
        if publish.retain { flags |= 0x01 }
        return type.rawValue << 4 | flags
    }

    static func bodySize(of packet: MQTTPacket, isV5: Bool) -> Int {
        switch packet {
        case .connect(let connect): connectBodySize(connect)
        case .connack(let connack): 2 + (isV5 ? connack.properties.encodedSize : 0)
        case .publish(let publish): publishBodySize(publish, isV5: isV5)
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            2 + (isV5 ? reasonAndPropertiesSize(ack.reasonCode, ack.properties) : 0)
        case .subscribe(let subscribe): subscribeBodySize(subscribe, isV5: isV5)
        case .suback(let suback): 2 + (isV5 ? suback.properties.encodedSize : 0) + suback.returnCodes.count
        case .unsubscribe(let unsubscribe): unsubscribeBodySize(unsubscribe, isV5: isV5)
        case .unsuback(let unsuback):
            2 + (isV5 ? unsuback.properties.encodedSize + unsuback.reasonCodes.count : 0)
        case .pingreq, .pingresp: 0
        case .disconnect(let disconnect):
            isV5 ? reasonAndPropertiesSize(disconnect.reasonCode, disconnect.properties) : 0
        case .auth(let auth): reasonAndPropertiesSize(auth.reasonCode, auth.properties)
        }
    }

    static func writeBody(of packet: MQTTPacket, isV5: Bool, into buffer: inout ByteBuffer) {
        switch packet {
        case .connect(let connect): writeConnect(connect, into: &buffer)
        case .connack(let connack): writeConnAck(connack, isV5: isV5, into: &buffer)
        case .publish(let publish): writePublish(publish, isV5: isV5, into: &buffer)
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack):
            buffer.writeInteger(ack.packetId)
            if isV5 { writeReasonAndProperties(ack.reasonCode, ack.properties, into: &buffer) }
        case .subscribe(let subscribe): writeSubscribe(subscribe, isV5: isV5, into: &buffer)
        case .suback(let suback): writeSubAck(suback, isV5: isV5, into: &buffer)
        case .unsubscribe(let unsubscribe): writeUnsubscribe(unsubscribe, isV5: isV5, into: &buffer)
        case .unsuback(let unsuback): writeUnsubAck(unsuback, isV5: isV5, into: &buffer)
        case .pingreq, .pingresp: break
        case .disconnect(let disconnect):
            if isV5 { writeReasonAndProperties(disconnect.reasonCode, disconnect.properties, into: &buffer) }
        case .auth(let auth): writeReasonAndProperties(auth.reasonCode, auth.properties, into: &buffer)
        }
    }

    /// MQTT 5 packets whose reason code and properties may be left out when 0 and empty (§3.4.2.1, §3.14.2.1,
    /// §3.15.2.1): nothing, the reason code alone, or both.
    static func reasonAndPropertiesSize(_ reasonCode: UInt8, _ properties: MQTTProperties) -> Int {
        if properties.isEmpty {
            return reasonCode == 0 ? 0 : 1
        }
        return 1 + properties.encodedSize
    }

    static func writeReasonAndProperties(_ reasonCode: UInt8, _ properties: MQTTProperties, into buffer: inout ByteBuffer) {
        if properties.isEmpty {
            if reasonCode != 0 { buffer.writeInteger(reasonCode) }
            return
        }
        buffer.writeInteger(reasonCode)
        properties.write(to: &buffer)
    }
}
