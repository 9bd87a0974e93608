public import HubStatistics
import Synchronization

/// Registrations per minute over the last hour, for the console's overview (DescribeHubStatistics):
/// accepted ones by their audit reason (`registered`, `reissued`), refused ones by refusal reason. Fed with
/// what the registration audit records, as it is recorded (an accepted registration once it is durable, a
/// refusal as it is audited, a flood's folded attempts one by one), so the figures are the audit's without a
/// query over its rows. In memory only: a restarted hub starts with an empty hour.
public final class RegistrationStatistics: Sendable {
    public static let bucketMillis: Int64 = 60_000
    public static let bucketCount = 60

    struct Series: Sendable {
        var accepted = RollingCounts(bucketMillis: RegistrationStatistics.bucketMillis, bucketCount: RegistrationStatistics.bucketCount)
        var refused = RollingCounts(bucketMillis: RegistrationStatistics.bucketMillis, bucketCount: RegistrationStatistics.bucketCount)
    }

    private let series = Mutex(Series())

    public init() {}

    func accepted(reason: String, at millis: Int64) {
        series.withLock { $0.accepted.add(label: reason, at: millis) }
    }

    func refused(reason: String, count: Int, at millis: Int64) {
        series.withLock { $0.refused.add(count, label: reason, at: millis) }
    }

    /// The hour ending with the minute `now` falls in, oldest minute first (60 buckets each).
    public func window(now millis: Int64) -> (accepted: [RollingCounts.Bucket], refused: [RollingCounts.Bucket]) {
        series.withLock { ($0.accepted.buckets(now: millis), $0.refused.buckets(now: millis)) }
    }
}
