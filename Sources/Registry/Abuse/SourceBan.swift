/// A source address the hub refuses before any authentication work.
public struct SourceBan: Sendable, Codable, Hashable {
    /// The address as the hub sees it (`192.0.2.7`, `2001:db8::1`; IPv4-mapped IPv6 is written as IPv4).
    public var address: String
    /// Unix milliseconds when the ban ends; nil = until removed.
    public var until: Int64?
    /// Unix milliseconds when it was created.
    public var created: Int64
    public var reason: String
    /// True when the hub banned the source itself (too many authentication failures); such bans live only
    /// in memory. Operator bans are stored and survive a restart.
    public var automatic: Bool

    public init(address: String, until: Int64?, created: Int64, reason: String, automatic: Bool) {
        self.address = address
        self.until = until
        self.created = created
        self.reason = reason
        self.automatic = automatic
    }

    func active(atMillis now: Int64) -> Bool { until.map { $0 > now } ?? true }
}

/// Where operator bans are stored (the registry's SQLite file).
public protocol SourceBanStore: Sendable {
    func loadBans() async throws -> [SourceBan]
    /// Inserts or replaces the ban of `ban.address`.
    func saveBan(_ ban: SourceBan) async throws
    func deleteBan(address: String) async throws
}
