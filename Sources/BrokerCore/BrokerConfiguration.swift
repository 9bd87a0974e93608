/// Limits of the broker engine. Every field documents its default.
public struct BrokerConfiguration: Sendable, Equatable {
    /// Outbound QoS 1/2 messages in flight per session before further ones are queued. Default 20.
    public var maxInflightMessages = 20
    /// Messages queued per session (in-flight window full, or a persistent session offline); beyond it
    /// messages are dropped and counted. Default 1000.
    public var maxQueuedMessages = 1000
    /// Subscriptions one session may hold. Default 100.
    public var maxSubscriptionsPerClient = 100
    /// Levels of a topic name or filter. Default 32.
    public var maxTopicLevels = 32
    /// Retained messages held by the broker. Default 100000.
    public var maxRetainedMessages = 100_000
    /// Highest QoS granted to a subscription. Default 2.
    public var maximumQoS: UInt8 = 2
    /// Queue QoS 0 messages for offline persistent sessions too. Default false (as mosquitto).
    public var queueQoS0WhenOffline = false
    /// PUBLISH packets per second a device session may send; 0 = unlimited. Beyond it (after a burst of
    /// `devicePublishBurst`) a PUBLISH is acknowledged as usual and dropped, and counted (MQTT 3.1.1 has no
    /// way to refuse one; EMQX's quota drops too). Applications and anonymous clients are not limited.
    /// Default 0.
    public var devicePublishRate: Double = 0
    /// PUBLISH packets a device may send at once. Default 1000.
    public var devicePublishBurst = 1000

    public init() {}
}
