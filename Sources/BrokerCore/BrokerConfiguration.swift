/// Limits of the broker engine. Every field documents its default.
public struct BrokerConfiguration: Sendable, Equatable {
    /// Outbound QoS 1/2 messages in flight per session before further ones are queued. Default 20.
    /// The broker is one node of a cluster: every message routed from a client or the hub is also handed to the
    /// other nodes (`BrokerAction.toCluster`).
    public var clustered = false
    public var maxInflightMessages = 20
    /// Messages queued per session (in-flight window full, or a persistent session offline); beyond it
    /// messages are dropped and counted. Default 1000.
    public var maxQueuedMessages = 1000
    /// Bytes (topic + payload) queued per session, besides the count (mosquitto's `max_queued_bytes`); a
    /// message that would pass it is dropped and counted. Default 1 MiB.
    public var maxQueuedBytes = 1024 * 1024
    /// Seconds a persistent session (MQTT 3.x CleanSession 0) is kept after its connection ended; then it is
    /// discarded with its queued messages and counted. An MQTT 5 client's Session Expiry Interval is used
    /// when shorter. Default 7200 (2 h, as EMQX).
    public var sessionExpirySeconds: UInt32 = 7200
    /// Sessions (connected or persistent) one application credential may hold; a CONNECT that would start
    /// another is refused (MQTT 3.x CONNACK 3 server unavailable, MQTT 5 0x97 quota exceeded). Default 100.
    public var maxSessionsPerApplication = 100
    /// Subscriptions one session may hold. Default 100.
    public var maxSubscriptionsPerClient = 100
    /// Levels of a topic name or filter. Default 32.
    public var maxTopicLevels = 32
    /// Retained messages held by the broker. Default 100000.
    public var maxRetainedMessages = 100_000
    /// Bytes (topic + payload) of all retained messages together; a retained message that would pass it is
    /// not stored (still delivered to the subscribers of the moment) and counted. Default 64 MiB.
    public var maxRetainedBytes = 64 * 1024 * 1024
    /// Largest retained message (topic + payload) in bytes; a larger one is not stored and counted.
    /// Default 64 KiB.
    public var maxRetainedMessageBytes = 64 * 1024
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
