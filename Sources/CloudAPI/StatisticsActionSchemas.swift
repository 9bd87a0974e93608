/// Hub action for the console's overview (not Tencent's), in both versions: devices online now, registrations
/// per minute by refusal reason and MQTT publishes received, over the last hour.
enum StatisticsActionSchemas {
    static func all(_ version: APIVersion) -> [ActionSchema] {
        [ActionSchema(action: "DescribeHubStatistics", version: version, request: [])]
    }
}
