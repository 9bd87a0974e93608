/// How a client waits between connection attempts: exponential backoff with a cap and random jitter, so
/// that a fleet that lost its broker at the same moment does not come back at the same moment.
public struct ReconnectPolicy: Sendable, Equatable {
    /// Reconnect at all after a connection that was established is lost.
    public var isEnabled: Bool
    /// The delay before the first retry.
    public var initialDelay: Duration
    /// The delay never grows past this.
    public var maximumDelay: Duration
    /// Each failed attempt multiplies the delay by this.
    public var multiplier: Double
    /// Fraction of the delay drawn at random: the wait is uniform in `delay × [1 − jitter, 1 + jitter]`.
    public var jitter: Double

    public init(
        isEnabled: Bool = true,
        initialDelay: Duration = .milliseconds(500),
        maximumDelay: Duration = .seconds(30),
        multiplier: Double = 2,
        jitter: Double = 0.2
    ) {
        self.isEnabled = isEnabled
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = max(1, multiplier)
        self.jitter = min(max(0, jitter), 1)
    }

    /// No reconnection.
    public static let disabled = ReconnectPolicy(isEnabled: false)

    /// The delay before retry number `attempt` (1 = the first retry), before jitter.
    public func baseDelay(attempt: Int) -> Duration {
        let initial = initialDelay.seconds
        let maximum = maximumDelay.seconds
        var delay = initial
        var step = 1
        while step < attempt, delay < maximum {
            delay *= multiplier
            step += 1
        }
        return .seconds(min(delay, maximum))
    }

    /// The delay before retry number `attempt`, with jitter drawn from `generator`.
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let base = baseDelay(attempt: attempt).seconds
        guard jitter > 0, base > 0 else { return .seconds(base) }
        let factor = Double.random(in: (1 - jitter)...(1 + jitter), using: &generator)
        return .seconds(base * factor)
    }

    /// The delay before retry number `attempt`, with system randomness.
    public func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
