public import NIOCore

/// PUBLISH (both directions).
public struct MQTTPublish: Sendable, Equatable {
    /// Topic name; empty only in MQTT 5 with a Topic Alias property.
    public var topic: String
    /// Application payload; after decoding, a slice of the received bytes (no copy).
    public var payload: ByteBuffer
    public var qos: MQTTQoS
    public var retain: Bool
    public var dup: Bool
    /// Present exactly when `qos` > 0 (MQTT-2.3.1-1, MQTT-2.3.1-5).
    public var packetId: UInt16?
    /// PUBLISH properties (MQTT 5 only).
    public var properties: MQTTProperties

    public init(
        topic: String,
        payload: ByteBuffer,
        qos: MQTTQoS = .atMostOnce,
        retain: Bool = false,
        dup: Bool = false,
        packetId: UInt16? = nil,
        properties: MQTTProperties = MQTTProperties()
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.dup = dup
        self.packetId = packetId
        self.properties = properties
    }
}
