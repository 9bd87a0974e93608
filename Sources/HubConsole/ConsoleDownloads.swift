import DeviceAuth
import Dispatch
import Synchronization

/// Files the console made for one session to download once it has shown the page that links them (the
/// credentials of devices created from a file): in memory, one per session (the next replaces it), found by
/// the session and a random token, gone after `lifetimeSeconds`; the total size is bounded, oldest first out.
final class ConsoleDownloads: Sendable {
    struct File: Sendable {
        let token: String
        let name: String
        let contentType: String
        let bytes: [UInt8]
        let created: Double
    }

    private let table = Mutex<[String: File]>([:])
    let lifetimeSeconds: Double
    let maxTotalBytes: Int
    let now: @Sendable () -> Double

    init(lifetimeSeconds: Double = 600, maxTotalBytes: Int = 64 << 20, now: @escaping @Sendable () -> Double = ConsoleSessions.monotonicSeconds) {
        self.lifetimeSeconds = lifetimeSeconds
        self.maxTotalBytes = maxTotalBytes
        self.now = now
    }

    /// Keeps a file for the session; returns its token (for the link).
    func put(session: String, name: String, contentType: String, bytes: [UInt8]) -> String {
        let file = File(token: RandomToken.make(), name: name, contentType: contentType, bytes: bytes, created: now())
        table.withLock { files in
            files[session] = nil
            dropExpired(&files)
            var total = files.values.reduce(0) { $0 + $1.bytes.count } + bytes.count
            while total > maxTotalBytes, let oldest = files.min(by: { $0.value.created < $1.value.created }) {
                total -= oldest.value.bytes.count
                files[oldest.key] = nil
            }
            files[session] = file
        }
        return file.token
    }

    /// The session's file if `token` names it and it has not expired.
    func file(session: String, token: String) -> File? {
        table.withLock { files in
            dropExpired(&files)
            guard let file = files[session], ConstantTime.equals(file.token, token) else { return nil }
            return file
        }
    }

    func remove(session: String) {
        _ = table.withLock { $0.removeValue(forKey: session) }
    }

    var count: Int { table.withLock { $0.count } }

    private func dropExpired(_ files: inout [String: File]) {
        let time = now()
        files = files.filter { time - $0.value.created <= lifetimeSeconds }
    }
}
