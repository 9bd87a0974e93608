import Metrics
import Synchronization

/// Token buckets keyed by a string (a source address, a device), bounded in number.
///
/// Memory is capped at `capacity` buckets. When the table is full, buckets that have refilled completely
/// are forgotten first (forgetting them changes no decision); if more than three quarters are still in use,
/// the least recently used are forgotten down to that mark (those sources get a fresh burst: the price of a
/// bounded table, counted in `evictions`).
public final class TokenBucketTable: Sendable {
    private struct Entry {
        var bucket: TokenBucket
        var lastUsed: Double
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var evictions = 0
    }

    public let limit: RateLimit
    public let capacity: Int
    private let state = Mutex(State())

    private let size: Gauge
    private let evicted: Counter

    /// `name` labels the table's metrics: `iothub_rate_limit_buckets{table}` (buckets held) and
    /// `iothub_rate_limit_evictions_total{table}`.
    public init(limit: RateLimit, capacity: Int, name: String) {
        self.limit = limit
        self.capacity = max(capacity, 1)
        self.size = Gauge(label: "iothub_rate_limit_buckets", dimensions: [("table", name)])
        self.evicted = Counter(label: "iothub_rate_limit_evictions_total", dimensions: [("table", name)])
    }

    /// Takes a token from `key`'s bucket; false when it is empty (the caller refuses).
    public func take(_ key: String, now: Double) -> Bool {
        guard !limit.isUnlimited else { return true }
        let (allowed, size) = state.withLock { state -> (Bool, Int?) in
            if var entry = state.entries[key] {
                let allowed = entry.bucket.take(limit, now: now)
                entry.lastUsed = now
                state.entries[key] = entry
                return (allowed, nil)
            }
            if state.entries.count >= capacity { evict(&state, now: now) }
            var bucket = TokenBucket(limit: limit, now: now)
            let allowed = bucket.take(limit, now: now)
            state.entries[key] = Entry(bucket: bucket, lastUsed: now)
            return (allowed, state.entries.count)
        }
        if let size { self.size.record(size) }
        return allowed
    }

    /// Buckets held.
    public var count: Int { state.withLock { $0.entries.count } }
    /// Buckets forgotten while still in use because the table was full.
    public var evictions: Int { state.withLock { $0.evictions } }

    private func evict(_ state: inout State, now: Double) {
        let limit = self.limit
        let drop = BoundedTable.makeRoom(
            in: &state.entries, capacity: capacity, isStale: { $0.bucket.isFull(limit, now: now) }, age: { $0.lastUsed }
        )
        guard drop > 0 else { return }
        state.evictions += drop
        evicted.increment(by: drop)
    }
}
