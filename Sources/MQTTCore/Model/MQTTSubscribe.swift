/// One topic filter of a SUBSCRIBE with its options.
public struct MQTTSubscription: Sendable, Equatable {
    public var filter: String
    /// Maximum QoS requested.
    public var qos: MQTTQoS
    /// No Local (MQTT 5 only).
    public var noLocal: Bool
    /// Retain As Published (MQTT 5 only).
    public var retainAsPublished: Bool
    /// Retain Handling 0–2 (MQTT 5 only).
    public var retainHandling: UInt8

    public init(
        filter: String,
        qos: MQTTQoS,
        noLocal: Bool = false,
        retainAsPublished: Bool = false,
        retainHandling: UInt8 = 0
    ) {
        self.filter = filter
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
    }
}

/// SUBSCRIBE (client → server).
public struct MQTTSubscribe: Sendable, Equatable {
    public var packetId: UInt16
    /// At least one (MQTT-3.8.3-3).
    public var subscriptions: [MQTTSubscription]
    /// SUBSCRIBE properties (MQTT 5 only).
    public var properties: MQTTProperties

    public init(packetId: UInt16, subscriptions: [MQTTSubscription], properties: MQTTProperties = MQTTProperties()) {
        self.packetId = packetId
        self.subscriptions = subscriptions
        self.properties = properties
    }
}

/// SUBACK (server → client).
public struct MQTTSubAck: Sendable, Equatable {
    public var packetId: UInt16
    /// One per subscription: the granted QoS (0–2) or a failure code (0x80 in 3.1.1, ≥ 0x80 in 5).
    public var returnCodes: [UInt8]
    /// SUBACK properties (MQTT 5 only).
    public var properties: MQTTProperties

    public init(packetId: UInt16, returnCodes: [UInt8], properties: MQTTProperties = MQTTProperties()) {
        self.packetId = packetId
        self.returnCodes = returnCodes
        self.properties = properties
    }
}
