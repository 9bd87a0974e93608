/// A token-bucket limit: `rate` tokens per second, at most `burst` saved up. A rate of 0 is no limit.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    /// Tokens added per second; 0 = unlimited.
    public var rate: Double
    /// Largest number of tokens a bucket holds (what a source may spend at once after a quiet spell).
    public var burst: Int

    public init(rate: Double, burst: Int) {
        self.rate = rate
        self.burst = max(burst, 1)
    }

    /// No limit.
    public static let unlimited = RateLimit(rate: 0, burst: 1)

    public var isUnlimited: Bool { rate <= 0 }

    public var description: String { isUnlimited ? "unlimited" : "\(rate)/s burst \(burst)" }
}

/// One token bucket, as plain state (the tables and the broker's sessions keep it inline).
public struct TokenBucket: Sendable {
    private var tokens: Double
    private var updated: Double

    /// A full bucket at `now` (seconds on any monotonic clock).
    public init(limit: RateLimit, now: Double) {
        tokens = Double(limit.burst)
        updated = now
    }

    /// Takes one token if there is one (refilling for the time since the last call first).
    public mutating func take(_ limit: RateLimit, now: Double) -> Bool {
        refill(limit, now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// True when the bucket has refilled completely: forgetting it changes nothing.
    public func isFull(_ limit: RateLimit, now: Double) -> Bool {
        tokens + max(now - updated, 0) * limit.rate >= Double(limit.burst)
    }

    private mutating func refill(_ limit: RateLimit, now: Double) {
        let elapsed = now - updated
        if elapsed > 0 {
            tokens = min(Double(limit.burst), tokens + elapsed * limit.rate)
            updated = now
        }
    }
}
