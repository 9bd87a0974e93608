/// Where a ``NATSConnection`` is in its lifecycle.
public enum NATSConnectionStatus: Hashable, Sendable {
    /// Not connected yet (or the first `connect()` failed).
    case idle
    /// The first connect is in progress.
    case connecting
    /// Handshake done; operations go to the server.
    case connected
    /// The connection dropped and is being re-established; publishes are buffered.
    case reconnecting
    /// Closing after ``NATSConnection/close()`` or ``NATSConnection/drain()``.
    case closing
    /// Closed for good.
    case closed
}

/// Counters since the connection was created. Dimensions are bounded: no subjects.
public struct NATSConnectionStatistics: Hashable, Sendable {
    /// MSG/HMSG received from the server.
    public var inMessages: UInt64 = 0
    /// Payload bytes received (headers excluded).
    public var inBytes: UInt64 = 0
    /// Publishes written or buffered.
    public var outMessages: UInt64 = 0
    /// Payload bytes published (headers excluded).
    public var outBytes: UInt64 = 0
    /// Messages dropped because a subscription's buffer was full (slow consumers), over all subscriptions.
    public var droppedMessages: UInt64 = 0
    /// PINGs received from the server (each answered with PONG).
    public var serverPings: UInt64 = 0
    /// Connections re-established after a drop.
    public var reconnects: UInt64 = 0
    /// Connections declared dead because PINGs went unanswered.
    public var staleConnections: UInt64 = 0
    /// `-ERR` operations received.
    public var serverErrors: UInt64 = 0

    public init() {}
}
