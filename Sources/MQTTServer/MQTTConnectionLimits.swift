import Synchronization

/// The connection counts of one `MQTTServer`, shared by all its listeners and both TCP engines.
///
/// A socket counts as *pending* from accept until its CONNECT arrives (or it closes): TLS handshakes, WebSocket
/// upgrades and silent sockets are bounded by `maxPending`, checked at accept (nothing to answer yet, so the
/// socket is closed). From its CONNECT until it closes a connection counts as *admitted*: at most
/// `maxConnections` clients are connected or being authenticated; a CONNECT beyond that is answered with
/// CONNACK 3 and closed, so a full hub answers instead of holding sockets.
final class MQTTConnectionLimits: Sendable {
    let maxConnections: Int
    let maxPending: Int
    private let pendingCount = Atomic<Int>(0)
    private let admittedCount = Atomic<Int>(0)

    init(maxConnections: Int, maxPending: Int) {
        self.maxConnections = maxConnections
        self.maxPending = maxPending
    }

    /// Counts a newly accepted socket; false (nothing counted) if `maxPending` sockets are waiting for CONNECT.
    func acceptPending() -> Bool {
        Self.take(pendingCount, limit: maxPending)
    }

    func releasePending() {
        pendingCount.subtract(1, ordering: .relaxed)
    }

    /// Counts a client whose CONNECT arrived; false (nothing counted) if `maxConnections` are admitted.
    func admit() -> Bool {
        Self.take(admittedCount, limit: maxConnections)
    }

    func releaseAdmitted() {
        admittedCount.subtract(1, ordering: .relaxed)
    }

    var pending: Int { pendingCount.load(ordering: .relaxed) }
    var admitted: Int { admittedCount.load(ordering: .relaxed) }

    private static func take(_ counter: borrowing Atomic<Int>, limit: Int) -> Bool {
        var current = counter.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = counter.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }
}
