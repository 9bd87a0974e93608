/// CONNACK (server → client).
public struct MQTTConnAck: Sendable, Equatable {
    public var sessionPresent: Bool
    /// Return code (3.x, 0–5) or reason code (5).
    public var returnCode: UInt8
    /// CONNACK properties (MQTT 5 only).
    public var properties: MQTTProperties

    public init(sessionPresent: Bool = false, returnCode: UInt8 = 0, properties: MQTTProperties = MQTTProperties()) {
        self.sessionPresent = sessionPresent
        self.returnCode = returnCode
        self.properties = properties
    }
}
