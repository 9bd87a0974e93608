/// Which device endpoint a registration came through.
public enum RegistrationEndpoint: String, Sendable, Codable, Hashable {
    /// `POST /register/dev`
    case legacy
    /// `POST /device/register`
    case v2
}

/// One audited dynamic-registration attempt, accepted or refused.
public struct RegistrationAttempt: Sendable, Codable, Hashable {
    /// Unix milliseconds.
    public var time: Int64
    public var productId: String
    public var deviceName: String
    /// Client address (`ip` or `ip:port`).
    public var sourceAddress: String
    public var endpoint: RegistrationEndpoint
    /// True if the device received a credential.
    public var accepted: Bool
    /// Stable reason code: `registered` (new device created), `reissued` (existing, not yet activated
    /// device got its credential) or a `RegistrationRefusal.reasonCode`.
    public var reason: String
    /// Extra human-readable detail (never secrets).
    public var detail: String
    public var nonce: String
    public var timestamp: String
    /// How many attempts this row stands for: 1, or more for refused attempts of one source with one
    /// reason counted into one row during a flood (see `AuditAggregator`).
    public var count: Int

    public init(
        time: Int64,
        productId: String,
        deviceName: String,
        sourceAddress: String,
        endpoint: RegistrationEndpoint,
        accepted: Bool,
        reason: String,
        detail: String = "",
        nonce: String = "",
        timestamp: String = "",
        count: Int = 1
    ) {
        self.time = time
        self.productId = productId
        self.deviceName = deviceName
        self.sourceAddress = sourceAddress
        self.endpoint = endpoint
        self.accepted = accepted
        self.reason = reason
        self.detail = detail
        self.nonce = nonce
        self.timestamp = timestamp
        self.count = count
    }

    public static let reasonRegistered = "registered"
    public static let reasonReissued = "reissued"
}

/// Filter for querying the registration audit log. Every field is optional.
public struct AuditQuery: Sendable, Hashable {
    public var productId: String?
    public var deviceName: String?
    /// true: only accepted attempts, false: only refused ones.
    public var accepted: Bool?
    public var reason: String?
    /// Unix milliseconds, inclusive.
    public var since: Int64?
    /// Unix milliseconds, exclusive.
    public var until: Int64?
    public var offset: Int
    public var limit: Int

    public init(
        productId: String? = nil,
        deviceName: String? = nil,
        accepted: Bool? = nil,
        reason: String? = nil,
        since: Int64? = nil,
        until: Int64? = nil,
        offset: Int = 0,
        limit: Int = 100
    ) {
        self.productId = productId
        self.deviceName = deviceName
        self.accepted = accepted
        self.reason = reason
        self.since = since
        self.until = until
        self.offset = offset
        self.limit = limit
    }
}
