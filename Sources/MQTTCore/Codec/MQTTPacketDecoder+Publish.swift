internal import NIOCore

extension MQTTPacketDecoder {
    /// PUBLISH (3.1.1 §3.3; MQTT 5 §3.3). The payload is the rest of the body, as a slice.
    static func decodePublish(_ body: inout ByteBuffer, flags: UInt8, isV5: Bool) throws(MQTTCodecError) -> MQTTPublish {
        // MQTT-3.3.1-4: a PUBLISH must not have both QoS bits set.
        guard let qos = MQTTQoS(rawValue: (flags >> 1) & 0x03) else {
            throw MQTTCodecError(.invalidQoS, "PUBLISH with QoS 3")
        }
        // The DUP flag of a QoS 0 PUBLISH (MQTT-3.3.1-2) is a sender obligation; it is accepted and kept as sent.
        let dup = flags & 0x08 != 0
        let retain = flags & 0x01 != 0
        // MQTT-3.3.2-1: the topic name is a UTF-8 encoded string.
        let topic = try body.readMQTTString()
        // MQTT-2.3.1-1, MQTT-2.3.1-5: a packet identifier exactly when QoS > 0, never 0.
        let packetId = try qos == .atMostOnce ? nil : body.readPacketIdentifier()
        let properties = try isV5 ? MQTTProperties.read(from: &body, context: .publish) : MQTTProperties()
        // MQTT-3.3.2-2, MQTT-4.7.1-1: no wildcards; MQTT-4.7.3-1: at least one character, except that MQTT 5 allows
        // an empty topic name with a Topic Alias (MQTT 5 §3.3.2.1).
        let usesAlias = isV5 && topic.isEmpty && properties.first(MQTTProperties.Identifier.topicAlias) != nil
        guard usesAlias || MQTTTopic.isValidName(topic) else {
            throw MQTTCodecError(.invalidTopic, "invalid PUBLISH topic name")
        }
        let payload = body.readSlice(length: body.readableBytes)!
        return MQTTPublish(
            topic: topic,
            payload: payload,
            qos: qos,
            retain: retain,
            dup: dup,
            packetId: packetId,
            properties: properties
        )
    }

    /// PUBACK, PUBREC, PUBREL, PUBCOMP (3.1.1 §3.4–3.7: the packet identifier only; MQTT 5 §3.4–3.7: reason code and
    /// properties may be omitted when they are 0 and empty).
    static func decodeAck(_ body: inout ByteBuffer, isV5: Bool) throws(MQTTCodecError) -> MQTTAck {
        let packetId = try body.readPacketIdentifier()
        guard isV5, body.readableBytes > 0 else {
            return MQTTAck(packetId: packetId)
        }
        let reasonCode = try body.readMQTTByte()
        let properties = try body.readableBytes > 0 ? MQTTProperties.read(from: &body, context: .ack) : MQTTProperties()
        return MQTTAck(packetId: packetId, reasonCode: reasonCode, properties: properties)
    }

    /// DISCONNECT (3.1.1 §3.14: no variable header; MQTT 5 §3.14: reason code and properties, both optional).
    static func decodeDisconnect(_ body: inout ByteBuffer, isV5: Bool) throws(MQTTCodecError) -> MQTTDisconnect {
        guard isV5, body.readableBytes > 0 else {
            return MQTTDisconnect()
        }
        let reasonCode = try body.readMQTTByte()
        let properties =
            try body.readableBytes > 0 ? MQTTProperties.read(from: &body, context: .disconnect) : MQTTProperties()
        return MQTTDisconnect(reasonCode: reasonCode, properties: properties)
    }

    /// AUTH (MQTT 5 §3.15: reason code and properties, both optional).
    static func decodeAuth(_ body: inout ByteBuffer) throws(MQTTCodecError) -> MQTTAuth {
        guard body.readableBytes > 0 else {
            return MQTTAuth()
        }
        let reasonCode = try body.readMQTTByte()
        let properties = try body.readableBytes > 0 ? MQTTProperties.read(from: &body, context: .auth) : MQTTProperties()
        return MQTTAuth(reasonCode: reasonCode, properties: properties)
    }
}
