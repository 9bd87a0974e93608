internal import NIOCore

/// Stage 2 of decoding: turns a complete ``MQTTFrame`` into a typed ``MQTTPacket``.
///
/// Any error means the packet is malformed or breaks a protocol rule; the receiver closes the connection
/// (MQTT-4.8.0-1). Strings, topic names and filters are validated here; payloads and binary data stay slices of the
/// frame's buffer.
public enum MQTTPacketDecoder {
    /// Decodes `frame` as a packet of `version`.
    ///
    /// CONNECT is decoded by its own protocol level, whatever `version` is: it is the packet that tells the version.
    /// A CONNECT with an unknown protocol name or level still decodes (see ``MQTTConnect``).
    public static func decode(_ frame: MQTTFrame, version: MQTTProtocolVersion) throws(MQTTCodecError) -> MQTTPacket {
        guard let type = frame.packetType else {
            // 3.1.1 §2.2.1 Table 2.1: type 0 is "Reserved, Forbidden".
            throw .malformed("packet type 0 is reserved")
        }
        let flags = frame.flags
        // MQTT-2.2.2-1, MQTT-2.2.2-2 (MQTT 5: MQTT-2.1.3-1): reserved flags must have their listed value;
        // PUBREL, SUBSCRIBE and UNSUBSCRIBE 0b0010 (MQTT-3.6.1-1, MQTT-3.8.1-1, MQTT-3.10.1-1), the others 0.
        // MQTT 3.1 had no reserved flags there: its clients set DUP (0b1000) on a retransmitted PUBREL,
        // SUBSCRIBE or UNSUBSCRIBE (3.1 §2.1), so for 3.1 those three may carry DUP too.
        let dupOf31 = version == .v3_1 && type.requiredFlags == 0b0010 && flags == 0b1010
        guard type == .publish || flags == type.requiredFlags || dupOf31 else {
            throw MQTTCodecError(.invalidFixedHeaderFlags, "\(type) with fixed-header flags \(flags)")
        }
        let isV5 = version == .v5
        var body = frame.body
        let packet: MQTTPacket
        switch type {
        case .connect:
            packet = .connect(try decodeConnect(&body))
        case .connack:
            packet = .connack(try decodeConnAck(&body, isV5: isV5))
        case .publish:
            packet = .publish(try decodePublish(&body, flags: flags, isV5: isV5))
        case .puback:
            packet = .puback(try decodeAck(&body, isV5: isV5))
        case .pubrec:
            packet = .pubrec(try decodeAck(&body, isV5: isV5))
        case .pubrel:
            packet = .pubrel(try decodeAck(&body, isV5: isV5))
        case .pubcomp:
            packet = .pubcomp(try decodeAck(&body, isV5: isV5))
        case .subscribe:
            packet = .subscribe(try decodeSubscribe(&body, isV5: isV5))
        case .suback:
            packet = .suback(try decodeSubAck(&body, isV5: isV5))
        case .unsubscribe:
            packet = .unsubscribe(try decodeUnsubscribe(&body, isV5: isV5))
        case .unsuback:
            packet = .unsuback(try decodeUnsubAck(&body, isV5: isV5))
        case .pingreq:
            packet = .pingreq
        case .pingresp:
            packet = .pingresp
        case .disconnect:
            packet = .disconnect(try decodeDisconnect(&body, isV5: isV5))
        case .auth:
            // 3.1.1 §2.2.1 Table 2.1: type 15 is "Reserved, Forbidden"; AUTH exists in MQTT 5 only.
            guard isV5 else {
                throw .malformed("packet type 15 is reserved before MQTT 5")
            }
            packet = .auth(try decodeAuth(&body))
        }
        // The remaining length must cover exactly the packet's fields (3.1.1 §2.2.3).
        guard body.readableBytes == 0 else {
            throw .malformed("\(body.readableBytes) bytes after the end of the \(type) packet")
        }
        return packet
    }
}
