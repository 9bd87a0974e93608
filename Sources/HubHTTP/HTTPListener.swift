public import Logging
import Metrics
import Synchronization

/// What the connections of one HTTP listener share: its limits, its open-connection count and its metrics.
/// `name` is the metrics dimension `listener` (`http`, `https`, `api`).
public final class HTTPListener: Sendable {
    /// Why the hub closed a connection on its own.
    enum CloseReason: String, Sendable {
        case headerTimeout = "header"
        case bodyTimeout = "body"
        case idleTimeout = "idle"
        case lingerTimeout = "linger"
    }

    public let name: String
    public let limits: HTTPListenerLimits
    let logger: Logger
    private let state = Mutex(Count())

    private struct Count {
        var open = 0
        /// Set while connections are refused, so that reaching the limit is logged once per episode.
        var refusing = false
    }

    // Created once: `Counter(label:)` asks the metrics factory (a registry lookup under a lock) every time.
    private let connections: Gauge
    private let refusedConnections: Counter
    private let refusedBodies: Counter
    private let timeouts: [CloseReason: Counter]
    private let lingerOverflows: Counter

    public init(name: String, limits: HTTPListenerLimits, logger: Logger) {
        self.name = name
        self.limits = limits
        self.logger = logger
        connections = Gauge(label: "iothub_http_connections", dimensions: [("listener", name)])
        refusedConnections = Counter(label: "iothub_http_connections_refused_total", dimensions: [("listener", name)])
        refusedBodies = Counter(label: "iothub_http_bodies_refused_total", dimensions: [("listener", name)])
        lingerOverflows = Counter(label: "iothub_http_linger_overflows_total", dimensions: [("listener", name)])
        var timeouts: [CloseReason: Counter] = [:]
        for reason in [CloseReason.headerTimeout, .bodyTimeout, .idleTimeout, .lingerTimeout] {
            timeouts[reason] = Counter(label: "iothub_http_timeouts_total", dimensions: [("listener", name), ("timeout", reason.rawValue)])
        }
        self.timeouts = timeouts
    }

    /// Connections open now (admitted and not yet closed).
    public var openConnections: Int { state.withLock { $0.open } }

    /// Counts a new connection; false (and counted as refused) when the listener is full.
    func admit(source: @autoclosure () -> String) -> Bool {
        let (admitted, open, firstRefusal) = state.withLock { count -> (Bool, Int, Bool) in
            guard count.open < limits.maxConnections else {
                defer { count.refusing = true }
                return (false, count.open, !count.refusing)
            }
            count.open += 1
            count.refusing = false
            return (true, count.open, false)
        }
        guard admitted else {
            refusedConnections.increment()
            if firstRefusal {
                logger.notice("HTTP connection limit reached; new connections are closed", metadata: ["hub.listener": "\(name)", "hub.limit": "\(limits.maxConnections)"])
            }
            logger.debug("HTTP connection refused: listener full", metadata: ["hub.listener": "\(name)", "hub.source": "\(source())"])
            return false
        }
        connections.record(open)
        return true
    }

    /// An admitted connection closed.
    func release() {
        connections.record(state.withLock { count in
            count.open -= 1
            return count.open
        })
    }

    func closed(_ reason: CloseReason, source: @autoclosure () -> String) {
        timeouts[reason]?.increment()
        // Idle and lingering connections end so in normal use; a request that stalls does not.
        let level: Logger.Level = reason == .headerTimeout || reason == .bodyTimeout ? .info : .debug
        logger.log(level: level, "HTTP connection closed", metadata: ["hub.listener": "\(name)", "hub.reason": "\(reason.rawValue)_timeout", "hub.source": "\(source())"])
    }

    /// A lingering connection sent more than the linger byte budget and was closed.
    func lingerOverflowed() {
        lingerOverflows.increment()
    }

    /// A response started before its request's body was read: the connection closes after it.
    func bodyRefused(source: @autoclosure () -> String) {
        refusedBodies.increment()
        logger.debug("HTTP request answered before its body was read; closing after the response", metadata: ["hub.listener": "\(name)", "hub.source": "\(source())"])
    }
}
