import HubHTTP
import HubStatistics
import Registry
import ServiceLifecycle
import Synchronization

/// MQTT publishes received per second (the last minute) and per minute (the last hour), for
/// DescribeHubStatistics. The broker's path only increments the MQTT server's atomic count; this service
/// reads it once a second (and when asked) and adds what came in since to the bucket of the reading time.
final class MessageActivityService: Service, MessageActivitySource {
    static let label = "in"

    struct State: Sendable {
        var last: Int
        var perSecond = RollingCounts(bucketMillis: 1_000, bucketCount: 60)
        var perMinute = RollingCounts(bucketMillis: 60_000, bucketCount: 60)
    }

    /// The count of PUBLISH packets received so far (never decreasing).
    let read: @Sendable () -> Int
    let now: @Sendable () -> Int64
    private let state: Mutex<State>

    init(read: @escaping @Sendable () -> Int, now: @escaping @Sendable () -> Int64 = { RegistryEngine.systemMillis() }) {
        self.read = read
        self.now = now
        self.state = Mutex(State(last: read()))
    }

    /// Adds the publishes received since the last reading at the current time.
    func sample() {
        // Read under the lock, so that two samples cannot apply their readings out of order.
        state.withLock { state in
            let total = read()
            let time = now()
            let delta = total - state.last
            state.last = total
            state.perSecond.add(delta, label: Self.label, at: time)
            state.perMinute.add(delta, label: Self.label, at: time)
        }
    }

    func publishesIn(now millis: Int64) -> (perSecond: [RollingCounts.Bucket], perMinute: [RollingCounts.Bucket]) {
        sample()
        return state.withLock { ($0.perSecond.buckets(now: millis), $0.perMinute.buckets(now: millis)) }
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                self.sample()
            }
        }
    }
}
