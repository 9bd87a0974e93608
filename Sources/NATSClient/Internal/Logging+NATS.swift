import Logging

/// Metadata keys used in this module's log lines. Payloads and credentials are never logged.
enum NATSLogKey {
    static let connectionID = "nats.connection_id"
    static let server = "nats.server"
    static let sid = "nats.sid"
    static let error = "nats.error"
    static let delay = "nats.reconnect_delay"
    static let attempt = "nats.attempt"
    static let count = "nats.count"
}
