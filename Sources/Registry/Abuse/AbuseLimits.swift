/// The hub's limits against floods and guessing (every one a setting; see HubSetting).
public struct AbuseLimits: Sendable, Hashable {
    /// Dynamic registrations per source address (HTTP and HTTPS). Default 20/s, burst 100.
    public var registrationPerSource = RateLimit(rate: 20, burst: 100)
    /// Device log uploads (HTTP) per source address. Default 20/s, burst 200.
    public var logUploadPerSource = RateLimit(rate: 20, burst: 200)
    /// MQTT CONNECTs per source address (all listeners). Default 100/s, burst 500.
    public var connectPerSource = RateLimit(rate: 100, burst: 500)
    /// MQTT CONNECTs per device (ClientId). Default 1/s, burst 30 (Tencent documents 1 per 5 s).
    public var connectPerDevice = RateLimit(rate: 1, burst: 30)
    /// PUBLISH packets per connected device. Default 500/s, burst 1000 (Tencent documents 30/s).
    public var publishPerDevice = RateLimit(rate: 500, burst: 1000)
    /// Entries of each table keyed by source address or device (buckets, failure counts, automatic bans).
    /// Default 100000.
    public var tableCapacity = 100_000
    /// Authentication failures from one source within `banWindowSeconds` that ban it; 0 = never. Default 15.
    public var banAfterFailures = 15
    /// The window in which failures are counted. Default 60 s.
    public var banWindowSeconds = 60
    /// How long an automatic ban lasts. Default 300 s.
    public var banSeconds = 300
    /// Source addresses never rate-limited nor banned automatically (an operator ban still applies), as
    /// fail2ban's `ignoreself`. Default 127.0.0.1 and ::1 (local tools and health checks).
    public var exemptSources: Set<String> = ["127.0.0.1", "::1"]

    public init() {}
}
