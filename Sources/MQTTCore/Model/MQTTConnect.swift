public import NIOCore

/// The will of a CONNECT: published by the server when the connection ends without DISCONNECT.
public struct MQTTWill: Sendable, Equatable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: MQTTQoS
    public var retain: Bool
    /// Will properties (MQTT 5 only).
    public var properties: MQTTProperties

    public init(
        topic: String,
        payload: ByteBuffer,
        qos: MQTTQoS = .atMostOnce,
        retain: Bool = false,
        properties: MQTTProperties = MQTTProperties()
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
    }
}

/// CONNECT (client → server).
///
/// The decoder returns a CONNECT whose protocol name or level it does not know, so that the server can answer
/// CONNACK 1 (MQTT-3.1.2-2); ``version`` is `nil` then, and the fields after the level hold what could be read.
public struct MQTTConnect: Sendable, Equatable {
    /// Protocol name as sent (`MQTT`, or `MQIsdp` for 3.1).
    public var protocolName: String
    /// Protocol level as sent (3, 4 or 5 for the versions this codec knows).
    public var protocolLevel: UInt8
    /// Clean session (3.x) / clean start (5).
    public var cleanSession: Bool
    /// Keep-alive in seconds; 0 turns it off.
    public var keepAlive: UInt16
    public var clientId: String
    public var will: MQTTWill?
    public var username: String?
    public var password: [UInt8]?
    /// CONNECT properties (MQTT 5 only).
    public var properties: MQTTProperties

    public init(
        protocolName: String = "MQTT",
        protocolLevel: UInt8 = MQTTProtocolVersion.v3_1_1.rawValue,
        cleanSession: Bool = true,
        keepAlive: UInt16 = 60,
        clientId: String,
        will: MQTTWill? = nil,
        username: String? = nil,
        password: [UInt8]? = nil,
        properties: MQTTProperties = MQTTProperties()
    ) {
        self.protocolName = protocolName
        self.protocolLevel = protocolLevel
        self.cleanSession = cleanSession
        self.keepAlive = keepAlive
        self.clientId = clientId
        self.will = will
        self.username = username
        self.password = password
        self.properties = properties
    }

    /// A CONNECT for `version`, with that version's protocol name and level.
    public init(
        version: MQTTProtocolVersion,
        cleanSession: Bool = true,
        keepAlive: UInt16 = 60,
        clientId: String,
        will: MQTTWill? = nil,
        username: String? = nil,
        password: [UInt8]? = nil,
        properties: MQTTProperties = MQTTProperties()
    ) {
        self.init(
            protocolName: version.protocolName,
            protocolLevel: version.rawValue,
            cleanSession: cleanSession,
            keepAlive: keepAlive,
            clientId: clientId,
            will: will,
            username: username,
            password: password,
            properties: properties
        )
    }

    /// The version the protocol level names, `nil` for an unknown level. The protocol name is not checked here;
    /// ``isKnownProtocol`` checks both.
    public var version: MQTTProtocolVersion? { MQTTProtocolVersion(rawValue: protocolLevel) }

    /// Whether name and level are one of (`MQIsdp`, 3), (`MQTT`, 4), (`MQTT`, 5).
    public var isKnownProtocol: Bool {
        MQTTProtocolVersion(protocolName: protocolName, protocolLevel: protocolLevel) != nil
    }
}
