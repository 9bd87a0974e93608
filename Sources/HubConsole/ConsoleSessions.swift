import Dispatch
import Synchronization

/// The console's sessions, in memory (a restart signs everyone out), bounded in count. A session is found
/// by its 256-bit random id (the cookie) and ends after `idleSeconds` without a request.
final class ConsoleSessions: Sendable {
    struct Session: Sendable {
        let id: String
        let operatorName: String
        /// Sent with every form; compared in constant time.
        let csrfToken: String
        /// Unix milliseconds of the sign-in (a password changed after it ends the session).
        let signedInMillis: Int64
        var lastSeen: Double
    }

    private let table = Mutex<[String: Session]>([:])
    let idleSeconds: Double
    let capacity: Int
    let now: @Sendable () -> Double

    init(idleSeconds: Int, capacity: Int, now: @escaping @Sendable () -> Double = ConsoleSessions.monotonicSeconds) {
        self.idleSeconds = Double(idleSeconds)
        self.capacity = max(capacity, 1)
        self.now = now
    }

    static let monotonicSeconds: @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    var count: Int { table.withLock { $0.count } }

    func create(operatorName: String, signedInMillis: Int64) -> Session {
        let time = now()
        let session = Session(id: RandomToken.make(), operatorName: operatorName, csrfToken: RandomToken.make(), signedInMillis: signedInMillis, lastSeen: time)
        table.withLock { sessions in
            if sessions.count >= capacity {
                sessions = sessions.filter { time - $0.value.lastSeen <= idleSeconds }
            }
            while sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen }) {
                sessions[oldest.key] = nil
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session of `id`, touched; an idle one is ended and nil returned.
    func touch(_ id: String) -> Session? {
        let time = now()
        return table.withLock { sessions in
            guard var session = sessions[id] else { return nil }
            guard time - session.lastSeen <= idleSeconds else {
                sessions[id] = nil
                return nil
            }
            session.lastSeen = time
            sessions[id] = session
            return session
        }
    }

    func end(_ id: String) {
        _ = table.withLock { $0.removeValue(forKey: id) }
    }
}
