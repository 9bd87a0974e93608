import Dispatch
import Foundation
import Metrics
import Synchronization

/// Decides, before any parsing of credentials or cryptography, whether a source address (or a device) may
/// try at all: per-source token buckets for registrations and MQTT CONNECTs, per-device CONNECT buckets,
/// and bans (operator bans, stored; automatic bans after repeated authentication failures, in memory,
/// like EMQX's flapping detection or fail2ban).
///
/// Every table is bounded by `AbuseLimits.tableCapacity`. Thread-safe; callers on any event loop.
public final class AbuseGuard: Sendable {
    /// What a source is trying.
    public enum Gate: String, Sendable {
        case registration
        case mqttConnect = "mqtt_connect"
        case logUpload = "log_upload"
    }

    public enum Verdict: Sendable, Equatable {
        case allowed
        case rateLimited
        case banned
    }

    /// Time sources: monotonic seconds for buckets and windows, Unix milliseconds for bans (they are stored).
    public struct Clock: Sendable {
        public var monotonic: @Sendable () -> Double
        public var wallMillis: @Sendable () -> Int64

        public init(monotonic: @escaping @Sendable () -> Double, wallMillis: @escaping @Sendable () -> Int64) {
            self.monotonic = monotonic
            self.wallMillis = wallMillis
        }

        public static let system = Clock(
            monotonic: { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
            wallMillis: { Int64(Date().timeIntervalSince1970 * 1000) }
        )
    }

    private struct FailureWindow {
        var start: Double
        var count: Int
    }

    private struct Bans {
        var byOperator: [String: SourceBan] = [:]
        /// Counts this guard's own ban and unban calls: a reload that overlapped one reads again.
        var localChanges = 0
        var automatic: [String: SourceBan] = [:]
        var failures: [String: FailureWindow] = [:]
    }

    public let limits: AbuseLimits
    private let registrations: TokenBucketTable
    private let connects: TokenBucketTable
    private let logUploads: TokenBucketTable
    private let deviceConnects: TokenBucketTable
    private let bans: Mutex<Bans>
    private let store: (any SourceBanStore)?
    private let clock: Clock

    private let refusedCounters: [String: Counter]
    private let automaticBans = Counter(label: "iothub_bans_total", dimensions: [("kind", "automatic")])

    /// `operatorBans` are the stored bans (loaded by the caller); `store` keeps later changes.
    public init(limits: AbuseLimits, operatorBans: [SourceBan] = [], store: (any SourceBanStore)? = nil, clock: Clock = .system) {
        self.limits = limits
        self.registrations = TokenBucketTable(limit: limits.registrationPerSource, capacity: limits.tableCapacity, name: "registration")
        self.connects = TokenBucketTable(limit: limits.connectPerSource, capacity: limits.tableCapacity, name: "mqtt_connect")
        self.logUploads = TokenBucketTable(limit: limits.logUploadPerSource, capacity: limits.tableCapacity, name: "log_upload")
        self.deviceConnects = TokenBucketTable(limit: limits.connectPerDevice, capacity: limits.tableCapacity, name: "device_connect")
        var bans = Bans()
        for ban in operatorBans { bans.byOperator[ban.address] = ban }
        self.bans = Mutex(bans)
        self.store = store
        self.clock = clock
        var counters: [String: Counter] = [:]
        for gate in ["registration", "mqtt_connect", "device_connect", "log_upload"] {
            for reason in ["rate_limited", "banned"] {
                counters[gate + "/" + reason] = Counter(label: "iothub_abuse_refused_total", dimensions: [("gate", gate), ("reason", reason)])
            }
        }
        self.refusedCounters = counters
    }

    /// The address as tables key it: IPv4-mapped IPv6 as IPv4, nil (unix sockets, unknown) as "".
    public static func normalize(_ address: String?) -> String {
        guard let address else { return "" }
        if address.hasPrefix("::ffff:"), address.contains(".") { return String(address.dropFirst(7)) }
        return address
    }

    /// The address of an audit source (`ip:port`, `[ipv6]:port`, or an address alone).
    public static func address(fromSource source: String) -> String {
        if source.hasPrefix("["), let end = source.firstIndex(of: "]") {
            return normalize(String(source[source.index(after: source.startIndex)..<end]))
        }
        let colons = source.utf8.count(where: { $0 == UInt8(ascii: ":") })
        if colons == 1, let colon = source.firstIndex(of: ":") { return String(source[..<colon]) }
        return normalize(source)
    }

    /// May `source` try `gate` now? A banned source spends no token.
    public func admit(_ gate: Gate, source: String?) -> Verdict {
        let address = Self.normalize(source)
        if isBanned(address) {
            refusedCounters[gate.rawValue + "/banned"]?.increment()
            return .banned
        }
        if limits.exemptSources.contains(address) { return .allowed }
        let table = switch gate {
        case .registration: registrations
        case .mqttConnect: connects
        case .logUpload: logUploads
        }
        guard table.take(address, now: clock.monotonic()) else {
            refusedCounters[gate.rawValue + "/rate_limited"]?.increment()
            return .rateLimited
        }
        return .allowed
    }

    /// Whether an MQTT connection from `source` is refused at accept, before its CONNECT is read (a banned
    /// source; counted as a refused CONNECT).
    public func refusesAtAccept(_ source: String) -> Bool {
        guard isBanned(Self.normalize(source)) else { return false }
        refusedCounters["mqtt_connect/banned"]?.increment()
        return true
    }

    /// May the device (its ClientId) connect now?
    public func admitDeviceConnect(_ clientId: String) -> Bool {
        guard deviceConnects.take(clientId, now: clock.monotonic()) else {
            refusedCounters["device_connect/rate_limited"]?.increment()
            return false
        }
        return true
    }

    /// Records an authentication failure from `source`; returns true if it banned the source.
    @discardableResult
    public func authenticationFailed(source: String?) -> Bool {
        guard limits.banAfterFailures > 0 else { return false }
        let address = Self.normalize(source)
        guard !limits.exemptSources.contains(address) else { return false }
        let now = clock.monotonic()
        let wall = clock.wallMillis()
        let limits = self.limits
        let banned = bans.withLock { bans -> Bool in
            var window = bans.failures[address] ?? FailureWindow(start: now, count: 0)
            if now - window.start >= Double(limits.banWindowSeconds) { window = FailureWindow(start: now, count: 0) }
            window.count += 1
            guard window.count >= limits.banAfterFailures else {
                if bans.failures[address] == nil, bans.failures.count >= limits.tableCapacity {
                    let window = Double(limits.banWindowSeconds)
                    BoundedTable.makeRoom(
                        in: &bans.failures, capacity: limits.tableCapacity, isStale: { now - $0.start >= window }, age: { $0.start }
                    )
                }
                bans.failures[address] = window
                return false
            }
            bans.failures[address] = nil
            if bans.automatic[address] == nil, bans.automatic.count >= limits.tableCapacity {
                // Expired bans go first, then those that end soonest.
                BoundedTable.makeRoom(
                    in: &bans.automatic, capacity: limits.tableCapacity, isStale: { !$0.active(atMillis: wall) },
                    age: { Double($0.until ?? Int64.max) }
                )
            }
            bans.automatic[address] = SourceBan(
                address: address, until: wall + Int64(limits.banSeconds) * 1000, created: wall,
                reason: "\(limits.banAfterFailures) authentication failures within \(limits.banWindowSeconds) s", automatic: true
            )
            return true
        }
        if banned { automaticBans.increment() }
        return banned
    }

    /// Is `address` under an active ban?
    public func isBanned(_ address: String) -> Bool {
        let now = clock.wallMillis()
        return bans.withLock { bans in
            if let ban = bans.byOperator[address], ban.active(atMillis: now) { return true }
            guard let ban = bans.automatic[address] else { return false }
            if ban.active(atMillis: now) { return true }
            bans.automatic[address] = nil
            return false
        }
    }

    // MARK: operator bans

    /// The active bans, operator and automatic, by address.
    public func activeBans() -> [SourceBan] {
        let now = clock.wallMillis()
        return bans.withLock { bans in
            let all = Array(bans.byOperator.values) + bans.automatic.values.filter { bans.byOperator[$0.address] == nil }
            return all.filter { $0.active(atMillis: now) }.sorted { $0.address < $1.address }
        }
    }

    /// Bans `address` for `seconds` (nil = until removed); stored before it returns.
    @discardableResult
    public func ban(_ address: String, seconds: Int?, reason: String) async throws -> SourceBan {
        let address = Self.normalize(address)
        let now = clock.wallMillis()
        let ban = SourceBan(address: address, until: seconds.map { now + Int64($0) * 1000 }, created: now, reason: reason, automatic: false)
        bans.withLock { $0.localChanges += 1 }
        try await store?.saveBan(ban)
        bans.withLock {
            $0.byOperator[address] = ban
            $0.localChanges += 1
        }
        return ban
    }

    /// Reads the operator bans again from the store (another node sharing it changed them). Automatic bans are
    /// this node's own and stay.
    public func reloadOperatorBans() async throws {
        guard let store else { return }
        // A ban or unban made here while the store was read may be missing from what was read (or undone by it):
        // then the store is read again, until a read overlaps none.
        while true {
            let before = bans.withLock { $0.localChanges }
            let loaded = try await store.loadBans()
            let taken = bans.withLock { bans -> Bool in
                guard bans.localChanges == before else { return false }
                bans.byOperator = Dictionary(loaded.map { ($0.address, $0) }, uniquingKeysWith: { $1 })
                return true
            }
            if taken { return }
        }
    }

    /// Lifts any ban of `address` (operator and automatic) and forgets its failures. False if none was active.
    @discardableResult
    public func unban(_ address: String) async throws -> Bool {
        let address = Self.normalize(address)
        let now = clock.wallMillis()
        // Always deleted from the store (a missing row is no error): a ban being saved concurrently may not
        // be in memory yet, and checking memory first would leave its row behind.
        bans.withLock { $0.localChanges += 1 }
        try await store?.deleteBan(address: address)
        return bans.withLock { bans in
            bans.localChanges += 1
            let wasActive = [bans.byOperator[address], bans.automatic[address]].contains { $0?.active(atMillis: now) == true }
            bans.byOperator[address] = nil
            bans.automatic[address] = nil
            bans.failures[address] = nil
            return wasActive
        }
    }
}
