/// DISCONNECT (client → server; in MQTT 5 also server → client).
public struct MQTTDisconnect: Sendable, Equatable {
    /// Reason code (MQTT 5 only; 0 = normal disconnection).
    public var reasonCode: UInt8
    /// DISCONNECT properties (MQTT 5 only).
    public var properties: MQTTProperties

    public init(reasonCode: UInt8 = 0, properties: MQTTProperties = MQTTProperties()) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

/// AUTH (MQTT 5 only): enhanced authentication exchange.
public struct MQTTAuth: Sendable, Equatable {
    /// 0x00 success, 0x18 continue authentication, 0x19 re-authenticate.
    public var reasonCode: UInt8
    public var properties: MQTTProperties

    public init(reasonCode: UInt8 = 0, properties: MQTTProperties = MQTTProperties()) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}
