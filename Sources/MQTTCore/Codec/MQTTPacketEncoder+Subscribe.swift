internal import NIOCore

extension MQTTPacketEncoder {
    static func subscribeBodySize(_ subscribe: MQTTSubscribe, isV5: Bool) -> Int {
        var size = 2
        if isV5 { size += subscribe.properties.encodedSize }
        for subscription in subscribe.subscriptions {
            size += 2 + subscription.filter.utf8.count + 1
        }
        return size
    }

    static func writeSubscribe(_ subscribe: MQTTSubscribe, isV5: Bool, into buffer: inout ByteBuffer) {
        buffer.writeInteger(subscribe.packetId)
        if isV5 { subscribe.properties.write(to: &buffer) }
        for subscription in subscribe.subscriptions {
            buffer.writeMQTTString(subscription.filter)
            var options = subscription.qos.rawValue
            if isV5 {
                if subscription.noLocal { options |= 0x04 }
                if subscription.retainAsPublished { options |= 0x08 }
                options |= (subscription.retainHandling & 0x03) << 4
            }
            buffer.writeInteger(options)
        }
    }

    static func writeSubAck(_ suback: MQTTSubAck, isV5: Bool, into buffer: inout ByteBuffer) {
        buffer.writeInteger(suback.packetId)
        if isV5 { suback.properties.write(to: &buffer) }
        buffer.writeBytes(suback.returnCodes)
    }

    static func unsubscribeBodySize(_ unsubscribe: MQTTUnsubscribe, isV5: Bool) -> Int {
        var size = 2
        if isV5 { size += unsubscribe.properties.encodedSize }
        for filter in unsubscribe.filters {
            size += 2 + filter.utf8.count
        }
        return size
    }

    static func writeUnsubscribe(_ unsubscribe: MQTTUnsubscribe, isV5: Bool, into buffer: inout ByteBuffer) {
        buffer.writeInteger(unsubscribe.packetId)
        if isV5 { unsubscribe.properties.write(to: &buffer) }
        for filter in unsubscribe.filters {
            buffer.writeMQTTString(filter)
        }
    }

    static func writeUnsubAck(_ unsuback: MQTTUnsubAck, isV5: Bool, into buffer: inout ByteBuffer) {
        buffer.writeInteger(unsuback.packetId)
        if isV5 {
            unsuback.properties.write(to: &buffer)
            buffer.writeBytes(unsuback.reasonCodes)
        }
    }
}
