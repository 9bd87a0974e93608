import Logging
/// Remembers (product, device, nonce, timestamp) of signed registration requests for 24 hours.
struct ReplayWindow: Sendable {
    static let windowMillis: Int64 = 24 * 3600 * 1000

    private var seen: [String: Int64] = [:]
    private var insertionsSincePrune = 0

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
        insertionsSincePrune += 1
        if insertionsSincePrune >= 10_000 {
            insertionsSincePrune = 0
            seen = seen.filter { time - $0.value < Self.windowMillis }
        }
    }
}
