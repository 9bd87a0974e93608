/// The lifecycle of a ``NATSConnection``: connect, handshake, keep-alive, reconnect with back-off, close.
///
/// It is I/O-free: the connection feeds it events (a channel opened or closed, INFO or PONG received, a timer
/// fired, the user asked to close) and executes the ``Action`` it returns. Everything else (subscriptions,
/// requests, buffered publishes) lives in the connection and is driven by these actions.
struct ConnectionStateMachine {
    struct Configuration: Sendable {
        var serverCount: Int
        var reconnectEnabled: Bool
        /// Consecutive failed reconnect attempts before giving up; `nil` for never.
        var maxReconnectAttempts: Int?
        var initialReconnectDelay: Duration
        var maxReconnectDelay: Duration
        var maxOutstandingPings: Int
    }

    /// One attempt at opening and handshaking a connection to `servers[serverIndex]`.
    struct Attempt: Hashable, Sendable {
        var serverIndex: Int
        /// Attempts that failed before this one, since the last established connection (or the first connect).
        var failures: Int
        /// Whether this is part of the first `connect()`, which tries each server once and then reports failure.
        var isInitial: Bool
    }

    enum State: Hashable, Sendable {
        case idle
        /// TCP connect in flight.
        case connecting(Attempt)
        /// Channel open, waiting for INFO.
        case awaitingInfo(Attempt)
        /// CONNECT and PING sent, waiting for the PONG that confirms the server accepted CONNECT.
        case awaitingPong(Attempt)
        case connected(serverIndex: Int, outstandingPings: Int)
        /// Disconnected; a reconnect timer is running.
        case waitingToReconnect(Attempt)
        /// Close requested; waiting for the channel to be closed.
        case closing
        case closed
    }

    enum CloseReason: Hashable, Sendable {
        case requested
        case staleConnection
        case handshakeTimeout
    }

    enum Action: Hashable, Sendable {
        case none
        /// Open a channel to `servers[serverIndex]`.
        case openChannel(serverIndex: Int)
        /// Send CONNECT then PING.
        case sendConnect
        /// The handshake completed: start keep-alive, (re-)send subscriptions and buffered publishes, and report
        /// success to the `connect()` caller if `isReconnect` is false.
        case connectionEstablished(isReconnect: Bool)
        /// Send a keep-alive PING.
        case sendPing
        /// Close the current channel; its closing will be reported as ``channelClosed()``.
        case closeChannel(CloseReason)
        /// The connection dropped or an attempt failed: wait `delay` (plus jitter), then report
        /// ``reconnectTimerFired()``.
        case scheduleReconnect(delay: Duration)
        /// Every server refused the first `connect()`: report failure; the connection is idle again.
        case failInitialConnect
        /// Reconnecting is off or exhausted: the connection is closed for good, with an error.
        case giveUp
        /// The requested close completed.
        case closed
    }

    let configuration: Configuration
    private(set) var state: State = .idle

    init(configuration: Configuration) {
        precondition(configuration.serverCount > 0, "at least one server is required")
        self.configuration = configuration
    }

    /// The wait before the attempt that follows `failures` failed ones: `initial × 2^failures`, capped.
    func reconnectDelay(afterFailures failures: Int) -> Duration {
        var delay = self.configuration.initialReconnectDelay
        for _ in 0..<min(failures, 32) where delay < self.configuration.maxReconnectDelay {
            delay *= 2
        }
        return min(delay, self.configuration.maxReconnectDelay)
    }

    /// The user called `connect()`. `nil` if the connection is not idle.
    mutating func connectRequested() -> Action? {
        guard case .idle = self.state else { return nil }
        self.state = .connecting(Attempt(serverIndex: 0, failures: 0, isInitial: true))
        return .openChannel(serverIndex: 0)
    }

    mutating func channelOpened() -> Action {
        switch self.state {
        case .connecting(let attempt):
            self.state = .awaitingInfo(attempt)
            return .none
        case .closing:
            return .closeChannel(.requested)
        default:
            preconditionFailure("channel opened in state \(self.state)")
        }
    }

    mutating func channelOpenFailed() -> Action {
        switch self.state {
        case .connecting(let attempt):
            return self.attemptFailed(attempt)
        case .closing:
            self.state = .closed
            return .closed
        default:
            preconditionFailure("channel open failed in state \(self.state)")
        }
    }

    mutating func infoReceived() -> Action {
        switch self.state {
        case .awaitingInfo(let attempt):
            self.state = .awaitingPong(attempt)
            return .sendConnect
        default:
            // A later INFO (cluster topology, lame-duck mode) only updates what the connection knows.
            return .none
        }
    }

    mutating func pongReceived() -> Action {
        switch self.state {
        case .awaitingPong(let attempt):
            self.state = .connected(serverIndex: attempt.serverIndex, outstandingPings: 0)
            return .connectionEstablished(isReconnect: !attempt.isInitial)
        case .connected(let serverIndex, _):
            self.state = .connected(serverIndex: serverIndex, outstandingPings: 0)
            return .none
        default:
            return .none
        }
    }

    mutating func pingTimerFired() -> Action {
        guard case .connected(let serverIndex, let outstanding) = self.state else { return .none }
        if outstanding >= self.configuration.maxOutstandingPings {
            return .closeChannel(.staleConnection)
        }
        self.state = .connected(serverIndex: serverIndex, outstandingPings: outstanding + 1)
        return .sendPing
    }

    mutating func handshakeTimedOut() -> Action {
        switch self.state {
        case .awaitingInfo, .awaitingPong: return .closeChannel(.handshakeTimeout)
        default: return .none
        }
    }

    /// The current channel closed, for whatever reason.
    mutating func channelClosed() -> Action {
        switch self.state {
        case .awaitingInfo(let attempt), .awaitingPong(let attempt):
            return self.attemptFailed(attempt)
        case .connected(let serverIndex, _):
            guard self.configuration.reconnectEnabled else {
                self.state = .closed
                return .giveUp
            }
            let attempt = Attempt(serverIndex: self.nextServer(after: serverIndex), failures: 0, isInitial: false)
            self.state = .waitingToReconnect(attempt)
            return .scheduleReconnect(delay: self.reconnectDelay(afterFailures: 0))
        case .closing:
            self.state = .closed
            return .closed
        case .idle, .connecting, .waitingToReconnect, .closed:
            return .none
        }
    }

    mutating func reconnectTimerFired() -> Action {
        guard case .waitingToReconnect(let attempt) = self.state else { return .none }
        self.state = .connecting(attempt)
        return .openChannel(serverIndex: attempt.serverIndex)
    }

    mutating func closeRequested() -> Action {
        switch self.state {
        case .idle, .waitingToReconnect:
            self.state = .closed
            return .closed
        case .connecting:
            // The channel is not there yet; `channelOpened` or `channelOpenFailed` finishes the close.
            self.state = .closing
            return .none
        case .awaitingInfo, .awaitingPong, .connected:
            self.state = .closing
            return .closeChannel(.requested)
        case .closing, .closed:
            return .none
        }
    }

    private mutating func attemptFailed(_ attempt: Attempt) -> Action {
        let next = Attempt(
            serverIndex: self.nextServer(after: attempt.serverIndex),
            failures: attempt.failures + 1,
            isInitial: attempt.isInitial
        )
        if attempt.isInitial {
            // The first connect tries each server once, without waiting.
            guard next.failures < self.configuration.serverCount else {
                self.state = .idle
                return .failInitialConnect
            }
            self.state = .connecting(next)
            return .openChannel(serverIndex: next.serverIndex)
        }
        if let max = self.configuration.maxReconnectAttempts, next.failures >= max {
            self.state = .closed
            return .giveUp
        }
        self.state = .waitingToReconnect(next)
        return .scheduleReconnect(delay: self.reconnectDelay(afterFailures: next.failures))
    }

    private func nextServer(after index: Int) -> Int {
        (index + 1) % self.configuration.serverCount
    }
}
