/// PUBACK, PUBREC, PUBREL or PUBCOMP: the packet identifier, and in MQTT 5 a reason code and properties.
public struct MQTTAck: Sendable, Equatable {
    public var packetId: UInt16
    /// Reason code (MQTT 5 only; 0 = success).
    public var reasonCode: UInt8
    /// Properties (MQTT 5 only).
    public var properties: MQTTProperties

    public init(packetId: UInt16, reasonCode: UInt8 = 0, properties: MQTTProperties = MQTTProperties()) {
        self.packetId = packetId
        self.reasonCode = reasonCode
        self.properties = properties
    }
}
