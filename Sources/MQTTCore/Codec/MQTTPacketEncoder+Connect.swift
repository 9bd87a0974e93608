internal import NIOCore

extension MQTTPacketEncoder {
    static func connectBodySize(_ connect: MQTTConnect) -> Int {
        let isV5 = connect.protocolLevel == MQTTProtocolVersion.v5.rawValue
        var size = 2 + connect.protocolName.utf8.count + 1 + 1 + 2
        if isV5 { size += connect.properties.encodedSize }
        size += 2 + connect.clientId.utf8.count
        if let will = connect.will {
            if isV5 { size += will.properties.encodedSize }
            size += 2 + will.topic.utf8.count + 2 + will.payload.readableBytes
        }
        if let username = connect.username { size += 2 + username.utf8.count }
        if let password = connect.password { size += 2 + password.count }
        return size
    }

    static func writeConnect(_ connect: MQTTConnect, into buffer: inout ByteBuffer) {
        let isV5 = connect.protocolLevel == MQTTProtocolVersion.v5.rawValue
        var flags: UInt8 = 0
        if connect.cleanSession { flags |= 0x02 }
        if let will = connect.will {
            flags |= 0x04 | will.qos.rawValue << 3
            if will.retain { flags |= 0x20 }
        }
        if connect.password != nil { flags |= 0x40 }
        if connect.username != nil { flags |= 0x80 }
        buffer.writeMQTTString(connect.protocolName)
        buffer.writeInteger(connect.protocolLevel)
        buffer.writeInteger(flags)
        buffer.writeInteger(connect.keepAlive)
        if isV5 { connect.properties.write(to: &buffer) }
        buffer.writeMQTTString(connect.clientId)
        if let will = connect.will {
            if isV5 { will.properties.write(to: &buffer) }
            buffer.writeMQTTString(will.topic)
            buffer.writeMQTTBinary(will.payload)
        }
        if let username = connect.username { buffer.writeMQTTString(username) }
        if let password = connect.password { buffer.writeMQTTBinary(password) }
    }

    static func writeConnAck(_ connack: MQTTConnAck, isV5: Bool, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(connack.sessionPresent ? 1 : 0))
        buffer.writeInteger(connack.returnCode)
        if isV5 { connack.properties.write(to: &buffer) }
    }
}
