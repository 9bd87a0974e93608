import Logging
import NIOCore
import Synchronization

/// Logs dropped messages and events at warning level at most once per interval per kind, with the number
/// dropped since the last line, so a flood of drops costs a counter increment each and a log line now and
/// then. (The exact counts are in the metrics.)
final class DropLog: Sendable {
    private struct Entry {
        var lastLogged: NIODeadline
        var suppressed: Int
    }

    private let logger: Logger
    private let interval: TimeAmount
    private let entries = Mutex<[String: Entry]>([:])

    init(logger: Logger, interval: TimeAmount = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    /// Records `count` drops of one kind (a bounded set of names: queue and reason, never a topic or id).
    func dropped(_ kind: String, count: Int = 1) {
        let now = NIODeadline.now()
        let due: Int? = entries.withLock { entries in
            if var entry = entries[kind] {
                entry.suppressed += count
                guard now - entry.lastLogged >= interval else {
                    entries[kind] = entry
                    return nil
                }
                entries[kind] = Entry(lastLogged: now, suppressed: 0)
                return entry.suppressed
            }
            entries[kind] = Entry(lastLogged: now, suppressed: 0)
            return count
        }
        if let due {
            logger.warning("dropped because a queue is over its budget", metadata: ["hub.queue": "\(kind)", "hub.dropped": "\(due)"])
        }
    }
}
