import Synchronization

/// Failed sign-ins counted per operator name and per source address in a fixed window from the first
/// failure; at the limit the name (or address) is locked until the window ends. Bounded: when the table is
/// full, ended windows are dropped first, then the oldest.
final class SignInThrottle: Sendable {
    private struct Window {
        var start: Double
        var failures: Int
    }

    private let windows = Mutex<[String: Window]>([:])
    let maxPerUser: Int
    let maxPerSource: Int
    let windowSeconds: Double
    let capacity: Int
    let now: @Sendable () -> Double

    init(maxPerUser: Int, maxPerSource: Int, windowSeconds: Int, capacity: Int = 10_000, now: @escaping @Sendable () -> Double = ConsoleSessions.monotonicSeconds) {
        self.maxPerUser = maxPerUser
        self.maxPerSource = maxPerSource
        self.windowSeconds = Double(windowSeconds)
        self.capacity = capacity
        self.now = now
    }

    /// Seconds until the name or the address may try again; nil when neither is locked. 0 limits mean off.
    func lockedFor(user: String, source: String) -> Int? {
        let time = now()
        return windows.withLock { table in
            var remaining: Double?
            for (key, limit) in [("user:" + user, maxPerUser), ("source:" + source, maxPerSource)] where limit > 0 {
                guard let window = table[key], time - window.start < windowSeconds, window.failures >= limit else { continue }
                remaining = max(remaining ?? 0, windowSeconds - (time - window.start))
            }
            return remaining.map { Int($0.rounded(.up)) }
        }
    }

    func recordFailure(user: String, source: String) {
        let time = now()
        windows.withLock { table in
            for key in ["user:" + user, "source:" + source] {
                if var window = table[key], time - window.start < windowSeconds {
                    window.failures += 1
                    table[key] = window
                } else {
                    if table.count >= capacity {
                        table = table.filter { time - $0.value.start < windowSeconds }
                        while table.count >= capacity, let oldest = table.min(by: { $0.value.start < $1.value.start }) { table[oldest.key] = nil }
                    }
                    table[key] = Window(start: time, failures: 1)
                }
            }
        }
    }

    /// A successful sign-in clears the name's failures (not the address's).
    func recordSuccess(user: String) {
        _ = windows.withLock { $0.removeValue(forKey: "user:" + user) }
    }
}
