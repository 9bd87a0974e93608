/// UNSUBSCRIBE (client → server).
public struct MQTTUnsubscribe: Sendable, Equatable {
    public var packetId: UInt16
    /// At least one (MQTT-3.10.3-2).
    public var filters: [String]
    /// UNSUBSCRIBE properties (MQTT 5 only).
    public var properties: MQTTProperties

    public init(packetId: UInt16, filters: [String], properties: MQTTProperties = MQTTProperties()) {
        self.packetId = packetId
        self.filters = filters
        self.properties = properties
    }
}

/// UNSUBACK (server → client).
public struct MQTTUnsubAck: Sendable, Equatable {
    public var packetId: UInt16
    /// One reason code per filter (MQTT 5 only; empty for 3.x).
    public var reasonCodes: [UInt8]
    /// UNSUBACK properties (MQTT 5 only).
    public var properties: MQTTProperties

    public init(packetId: UInt16, reasonCodes: [UInt8] = [], properties: MQTTProperties = MQTTProperties()) {
        self.packetId = packetId
        self.reasonCodes = reasonCodes
        self.properties = properties
    }
}
