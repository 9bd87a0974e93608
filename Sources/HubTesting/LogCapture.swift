public import Logging
import Synchronization

/// Collects the log records of a `Logger` so tests can check what was logged (messages and metadata).
public final class LogCapture: Sendable {
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    public init() {}

    /// A logger writing here, at `level` and above.
    public func logger(label: String = "test-hub", level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: label) { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    /// Everything logged so far.
    public var all: [Record] { records.withLock { $0 } }

    /// Every record as one line, as `StreamLogHandler` writes it: level, message, then the metadata as
    /// sorted `key=value` pairs (what a log shipper or fail2ban would read).
    public var lines: [String] {
        all.map { record in
            let fields = record.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return "\(record.level) \(record.message)\(fields.isEmpty ? "" : " " + fields)"
        }
    }

    /// Records whose message equals `message`.
    public func records(_ message: String) -> [Record] { all.filter { $0.message == message } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged: [String: String] = [:]
            for (key, value) in metadata { merged[key] = "\(value)" }
            for (key, value) in event.metadata ?? [:] { merged[key] = "\(value)" }
            capture.records.withLock { $0.append(Record(level: event.level, message: "\(event.message)", metadata: merged)) }
        }
    }
}
