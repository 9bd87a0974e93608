internal import NIOCore

extension MQTTPacketEncoder {
    static func publishBodySize(_ publish: MQTTPublish, isV5: Bool) -> Int {
        var size = 2 + publish.topic.utf8.count + publish.payload.readableBytes
        if publish.qos != .atMostOnce { size += 2 }
        if isV5 { size += publish.properties.encodedSize }
        return size
    }

    static func writePublish(_ publish: MQTTPublish, isV5: Bool, into buffer: inout ByteBuffer) {
        buffer.writeMQTTString(publish.topic)
        if publish.qos != .atMostOnce {
            guard let packetId = publish.packetId else {
                preconditionFailure("PUBLISH with QoS \(publish.qos.rawValue) needs a packet identifier")
            }
            buffer.writeInteger(packetId)
        }
        if isV5 { publish.properties.write(to: &buffer) }
        buffer.writeImmutableBuffer(publish.payload)
    }
}
