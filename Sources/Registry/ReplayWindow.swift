import Logging
/// Remembers (product, device, nonce, timestamp) of signed registration requests for 24 hours.
struct ReplayWindow: Sendable {
    static let windowMillis: Int64 = 24 * 3600 * 1000

    private var seen: ShardedDictionary<String, Int64> = [:]
    /// Every `record`, oldest first (from `head` on): what leaves the window is dropped from the front, a
    /// few entries at a time, instead of rebuilding the whole map every so often (a pause that grew with
    /// the window: 100,000 entries copied every 10,000 registrations).
    private var order: [(key: String, time: Int64)] = []
    private var head = 0

    static func key(productId: String, deviceName: String, nonce: String, timestamp: String) -> String {
        "\(productId)\u{0}\(deviceName)\u{0}\(nonce)\u{0}\(timestamp)"
    }

    static func key(_ attempt: RegistrationAttempt) -> String {
        key(productId: attempt.productId, deviceName: attempt.deviceName, nonce: attempt.nonce, timestamp: attempt.timestamp)
    }

    func contains(_ key: String, now: Int64) -> Bool {
        guard let time = seen[key] else { return false }
        return now - time < Self.windowMillis
    }

    mutating func record(_ key: String, at time: Int64) {
        seen[key] = time
        order.append((key, time))
        while head < order.count, time - order[head].time >= Self.windowMillis {
            let expired = order[head]
            // Unless the key was recorded again since.
            if seen[expired.key] == expired.time { seen[expired.key] = nil }
            head += 1
        }
        if head >= 1_024, head * 2 >= order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
