internal import NIOCore

extension MQTTPacketDecoder {
    /// CONNECT (3.1.1 §3.1; 3.1; MQTT 5 §3.1), laid out by the protocol level it carries.
    static func decodeConnect(_ body: inout ByteBuffer) throws(MQTTCodecError) -> MQTTConnect {
        // Without a readable protocol name and level the CONNECT is malformed beyond answering.
        let protocolName = try body.readMQTTString()
        let protocolLevel = try body.readMQTTByte()
        if MQTTProtocolVersion(protocolName: protocolName, protocolLevel: protocolLevel) != nil {
            return try decodeConnectFields(&body, protocolName: protocolName, protocolLevel: protocolLevel)
        }
        // MQTT-3.1.2-1, MQTT-3.1.2-2: an unknown name or level is the server's to answer (CONNACK 1, or close), so
        // from here on nothing fails: read what can be read in the layout the level suggests, else return defaults.
        var rest = body
        body.moveReaderIndex(to: body.writerIndex)
        if let connect = try? decodeConnectFields(&rest, protocolName: protocolName, protocolLevel: protocolLevel),
            rest.readableBytes == 0
        {
            return connect
        }
        return MQTTConnect(
            protocolName: protocolName,
            protocolLevel: protocolLevel,
            cleanSession: false,
            keepAlive: 0,
            clientId: ""
        )
    }

    /// Everything after the protocol level.
    private static func decodeConnectFields(
        _ body: inout ByteBuffer,
        protocolName: String,
        protocolLevel: UInt8
    ) throws(MQTTCodecError) -> MQTTConnect {
        let isV5 = protocolLevel == MQTTProtocolVersion.v5.rawValue
        let flags = try body.readMQTTByte()
        // MQTT-3.1.2-3: the reserved flag must be 0.
        guard flags & 0x01 == 0 else {
            throw .malformed("CONNECT reserved flag set")
        }
        let cleanSession = flags & 0x02 != 0
        let willFlag = flags & 0x04 != 0
        let willQoSBits = (flags >> 3) & 0x03
        let willRetain = flags & 0x20 != 0
        let passwordFlag = flags & 0x40 != 0
        let usernameFlag = flags & 0x80 != 0
        if !willFlag {
            // MQTT-3.1.2-11, MQTT-3.1.2-13, MQTT-3.1.2-15 (MQTT 5: MQTT-3.1.2-11, MQTT-3.1.2-13).
            guard willQoSBits == 0, !willRetain else {
                throw .malformed("will QoS or will retain set without the will flag")
            }
        }
        // MQTT-3.1.2-14 (MQTT 5: MQTT-3.1.2-12): will QoS 3 is invalid.
        guard let willQoS = MQTTQoS(rawValue: willQoSBits) else {
            throw MQTTCodecError(.invalidQoS, "will QoS 3")
        }
        // MQTT-3.1.2-22: before MQTT 5 a password needs a user name.
        guard isV5 || usernameFlag || !passwordFlag else {
            throw .protocolViolation("password flag without user name flag")
        }
        let keepAlive = try body.readMQTTUInt16()
        let properties = try isV5 ? MQTTProperties.read(from: &body, context: .connect) : MQTTProperties()
        // MQTT-3.1.3-4: the client identifier is a UTF-8 encoded string.
        let clientId = try body.readMQTTString()
        var will: MQTTWill?
        if willFlag {
            let willProperties = try isV5 ? MQTTProperties.read(from: &body, context: .will) : MQTTProperties()
            // MQTT-3.1.3-10: the will topic is a UTF-8 encoded string; it becomes a PUBLISH topic name, so it must
            // not contain wildcards (MQTT-3.3.2-2).
            let topic = try body.readMQTTString()
            guard MQTTTopic.isValidName(topic) else {
                throw MQTTCodecError(.invalidTopic, "invalid will topic")
            }
            let payload = try body.readMQTTBinary()
            will = MQTTWill(topic: topic, payload: payload, qos: willQoS, retain: willRetain, properties: willProperties)
        }
        // MQTT-3.1.3-11: the user name is a UTF-8 encoded string.
        let username = try usernameFlag ? body.readMQTTString() : nil
        let password = try passwordFlag ? body.readMQTTBinaryBytes() : nil
        return MQTTConnect(
            protocolName: protocolName,
            protocolLevel: protocolLevel,
            cleanSession: cleanSession,
            keepAlive: keepAlive,
            clientId: clientId,
            will: will,
            username: username,
            password: password,
            properties: properties
        )
    }

    /// CONNACK (3.1.1 §3.2; MQTT 5 §3.2).
    static func decodeConnAck(_ body: inout ByteBuffer, isV5: Bool) throws(MQTTCodecError) -> MQTTConnAck {
        let acknowledgeFlags = try body.readMQTTByte()
        // 3.1.1 §3.2.2.1 "Bits 7-1 are reserved and MUST be set to 0" (MQTT 5: MQTT-3.2.2-1).
        guard acknowledgeFlags & 0xFE == 0 else {
            throw .malformed("CONNACK reserved flags set")
        }
        let returnCode = try body.readMQTTByte()
        let properties = try isV5 ? MQTTProperties.read(from: &body, context: .connack) : MQTTProperties()
        return MQTTConnAck(sessionPresent: acknowledgeFlags & 0x01 != 0, returnCode: returnCode, properties: properties)
    }
}
