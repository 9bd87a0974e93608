public import HubStatistics
import Registry

/// The hub's count of MQTT PUBLISH packets received from clients, over time (implemented by the hub over
/// the MQTT server), for DescribeHubStatistics.
public protocol MessageActivitySource: Sendable {
    /// PUBLISH packets received per second over the last minute and per minute over the last hour, up to
    /// `now` (Unix milliseconds), oldest first, counted under one label (any).
    func publishesIn(now millis: Int64) -> (perSecond: [RollingCounts.Bucket], perMinute: [RollingCounts.Bucket])
}

extension ManagementActions {
    /// Hub action (the console's overview): devices online now, in total and per product; registrations
    /// per minute over the last hour, accepted and refused, each by reason; MQTT publishes received per
    /// second over the last minute and per minute over the last hour. Times are Unix seconds.
    func describeHubStatistics(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let now = RegistryEngine.systemMillis()
        let byProduct = await registry.onlineDevicesByProduct()
        let registrations = await registry.registrationActivity(now: now)
        let messages = activity?.publishesIn(now: now)
        return [
            ("Time", .int(now / 1000)),
            ("OnlineDevices", .int(byProduct.reduce(0) { $0 + $1.online })),
            (
                "OnlineDevicesByProduct",
                .array(byProduct.map { .object([("ProductId", .string($0.productId)), ("ProductName", .string($0.name)), ("Online", .int($0.online))]) })
            ),
            ("Registrations", .array(zip(registrations.accepted, registrations.refused).map { Self.registrationMinute($0, $1) })),
            ("MessagesInPerSecond", .array((messages?.perSecond ?? []).map(Self.countBucket))),
            ("MessagesInPerMinute", .array((messages?.perMinute ?? []).map(Self.countBucket))),
        ]
    }

    private static func registrationMinute(_ accepted: RollingCounts.Bucket, _ refused: RollingCounts.Bucket) -> ActionValue {
        .object([
            ("StartTime", .int(accepted.start / 1000)),
            ("Accepted", .int(accepted.total)), ("AcceptedByReason", reasons(accepted)),
            ("Refused", .int(refused.total)), ("RefusedByReason", reasons(refused)),
        ])
    }

    /// `[{"Reason", "Count"}]`, by reason name.
    private static func reasons(_ bucket: RollingCounts.Bucket) -> ActionValue {
        .array(bucket.counts.sorted { $0.key < $1.key }.map { .object([("Reason", .string($0.key)), ("Count", .int($0.value))]) })
    }

    private static func countBucket(_ bucket: RollingCounts.Bucket) -> ActionValue {
        .object([("StartTime", .int(bucket.start / 1000)), ("Count", .int(bucket.total))])
    }
}
