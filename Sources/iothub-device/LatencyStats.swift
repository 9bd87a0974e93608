/// Latency samples of one fleet phase and the wall time it spanned (first start to last end).
struct LatencyStats: Sendable {
    private(set) var samples: [Duration] = []
    private(set) var firstStart: ContinuousClock.Instant?
    private(set) var lastEnd: ContinuousClock.Instant?

    var count: Int { samples.count }

    mutating func add(start: ContinuousClock.Instant, end: ContinuousClock.Instant) {
        samples.append(end - start)
        if firstStart.map({ start < $0 }) ?? true { firstStart = start }
        if lastEnd.map({ end > $0 }) ?? true { lastEnd = end }
    }

    /// First start to last end, in seconds (0 without samples).
    var wallSeconds: Double {
        guard let firstStart, let lastEnd else { return 0 }
        return (lastEnd - firstStart).seconds
    }

    /// Completions per second over the phase's wall time.
    var ratePerSecond: Double {
        let wall = wallSeconds
        return wall > 0 ? Double(count) / wall : 0
    }

    /// Percentiles by nearest rank, in milliseconds.
    struct Summary: Sendable {
        var p50: Double
        var p99: Double
        var max: Double
    }

    func summary() -> Summary {
        let sorted = samples.map(\.seconds).sorted()
        guard !sorted.isEmpty else { return Summary(p50: 0, p99: 0, max: 0) }
        func percentile(_ p: Double) -> Double {
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank, 1), sorted.count) - 1] * 1000
        }
        return Summary(p50: percentile(50), p99: percentile(99), max: sorted[sorted.count - 1] * 1000)
    }
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
