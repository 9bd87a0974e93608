internal import NIOCore

extension MQTTPacketDecoder {
    /// SUBSCRIBE (3.1.1 §3.8; MQTT 5 §3.8).
    static func decodeSubscribe(_ body: inout ByteBuffer, isV5: Bool) throws(MQTTCodecError) -> MQTTSubscribe {
        let packetId = try body.readPacketIdentifier()
        let properties = try isV5 ? MQTTProperties.read(from: &body, context: .subscribe) : MQTTProperties()
        // MQTT-3.8.3-3 (MQTT 5: MQTT-3.8.3-2): at least one topic filter.
        guard body.readableBytes > 0 else {
            throw .protocolViolation("SUBSCRIBE without topic filters")
        }
        var subscriptions: [MQTTSubscription] = []
        while body.readableBytes > 0 {
            let filter = try readTopicFilter(&body)
            let options = try body.readMQTTByte()
            guard let qos = MQTTQoS(rawValue: options & 0x03) else {
                // MQTT-3-8.3-4: QoS must be 0, 1 or 2 (MQTT 5 §3.8.3.1: QoS 3 is a Malformed Packet).
                throw MQTTCodecError(.invalidQoS, "subscription with QoS 3")
            }
            if isV5 {
                // MQTT-3.8.3-5: bits 6 and 7 are reserved.
                guard options & 0xC0 == 0 else {
                    throw .malformed("subscription options reserved bits set")
                }
                let retainHandling = (options >> 4) & 0x03
                // MQTT 5 §3.8.3.1: Retain Handling 3 is a Protocol Error.
                guard retainHandling != 3 else {
                    throw .protocolViolation("retain handling 3")
                }
                subscriptions.append(
                    MQTTSubscription(
                        filter: filter,
                        qos: qos,
                        noLocal: options & 0x04 != 0,
                        retainAsPublished: options & 0x08 != 0,
                        retainHandling: retainHandling
                    )
                )
            } else {
                // MQTT-3-8.3-4: the upper 6 bits of the requested QoS byte are reserved.
                guard options & 0xFC == 0 else {
                    throw .malformed("requested QoS byte reserved bits set")
                }
                subscriptions.append(MQTTSubscription(filter: filter, qos: qos))
            }
        }
        return MQTTSubscribe(packetId: packetId, subscriptions: subscriptions, properties: properties)
    }

    /// SUBACK (3.1.1 §3.9; MQTT 5 §3.9).
    static func decodeSubAck(_ body: inout ByteBuffer, isV5: Bool) throws(MQTTCodecError) -> MQTTSubAck {
        let packetId = try body.readPacketIdentifier()
        let properties = try isV5 ? MQTTProperties.read(from: &body, context: .suback) : MQTTProperties()
        // One return code per topic filter of the SUBSCRIBE, which has at least one.
        guard body.readableBytes > 0 else {
            throw .protocolViolation("SUBACK without return codes")
        }
        let returnCodes = body.readBytes(length: body.readableBytes)!
        // MQTT-3.9.3-2: 3.1.1 return codes other than 0x00, 0x01, 0x02 and 0x80 are reserved.
        if !isV5, let code = returnCodes.first(where: { $0 > 2 && $0 != 0x80 }) {
            throw .protocolViolation("reserved SUBACK return code \(code)")
        }
        return MQTTSubAck(packetId: packetId, returnCodes: returnCodes, properties: properties)
    }

    /// UNSUBSCRIBE (3.1.1 §3.10; MQTT 5 §3.10).
    static func decodeUnsubscribe(_ body: inout ByteBuffer, isV5: Bool) throws(MQTTCodecError) -> MQTTUnsubscribe {
        let packetId = try body.readPacketIdentifier()
        let properties = try isV5 ? MQTTProperties.read(from: &body, context: .unsubscribe) : MQTTProperties()
        // MQTT-3.10.3-2: at least one topic filter.
        guard body.readableBytes > 0 else {
            throw .protocolViolation("UNSUBSCRIBE without topic filters")
        }
        var filters: [String] = []
        while body.readableBytes > 0 {
            filters.append(try readTopicFilter(&body))
        }
        return MQTTUnsubscribe(packetId: packetId, filters: filters, properties: properties)
    }

    /// UNSUBACK (3.1.1 §3.11: the packet identifier only; MQTT 5 §3.11: properties and one reason code per filter).
    static func decodeUnsubAck(_ body: inout ByteBuffer, isV5: Bool) throws(MQTTCodecError) -> MQTTUnsubAck {
        let packetId = try body.readPacketIdentifier()
        guard isV5 else {
            return MQTTUnsubAck(packetId: packetId)
        }
        let properties = try MQTTProperties.read(from: &body, context: .unsuback)
        let reasonCodes = body.readBytes(length: body.readableBytes)!
        return MQTTUnsubAck(packetId: packetId, reasonCodes: reasonCodes, properties: properties)
    }

    /// A topic filter: a UTF-8 encoded string (MQTT-3.8.3-1, MQTT-3.10.3-1) that is a valid filter
    /// (MQTT-4.7.1-2, MQTT-4.7.1-3, MQTT-4.7.3-1).
    private static func readTopicFilter(_ body: inout ByteBuffer) throws(MQTTCodecError) -> String {
        let filter = try body.readMQTTString()
        guard MQTTTopic.isValidFilter(filter) else {
            throw MQTTCodecError(.invalidTopic, "invalid topic filter")
        }
        return filter
    }
}
