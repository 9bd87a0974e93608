import Registry
import Synchronization

/// Failed sign-ins counted per operator name and per source address in a fixed window from the first
/// failure; at the limit the name (or address) is locked until the window ends. Bounded: when the table is
/// full, ended windows are dropped first, then the oldest down to three quarters (`BoundedTable`).
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

    /// Starts a sign-in attempt: nil when neither the name nor the address is locked, and the attempt is
    /// then counted as a failure at once (so that concurrent attempts cannot all pass the check while the
    /// first password is still being verified); else the seconds until they may try again. 0 limits = off.
    func begin(user: String, source: String) -> Int? {
        let time = now()
        return windows.withLock { table in
            var remaining: Double?
            for (key, limit) in [("user:" + user, maxPerUser), ("source:" + source, maxPerSource)] where limit > 0 {
                guard let window = table[key], time - window.start < windowSeconds, window.failures >= limit else { continue }
                remaining = max(remaining ?? 0, windowSeconds - (time - window.start))
            }
            if let remaining { return Int(remaining.rounded(.up)) }
            for key in ["user:" + user, "source:" + source] {
                if var window = table[key], time - window.start < windowSeconds {
                    window.failures += 1
                    table[key] = window
                } else {
                    if table.count >= capacity {
                        let windowSeconds = windowSeconds
                        BoundedTable.makeRoom(in: &table, capacity: capacity, isStale: { time - $0.start >= windowSeconds }, age: { $0.start })
                    }
                    table[key] = Window(start: time, failures: 1)
                }
            }
            return nil
        }
    }

    /// The attempt was right: the name's failures are cleared, and the address's count gives the attempt back.
    func succeeded(user: String, source: String) {
        windows.withLock { table in
            table["user:" + user] = nil
            if var window = table["source:" + source] {
                window.failures = max(window.failures - 1, 0)
                table["source:" + source] = window
            }
        }
    }
}
