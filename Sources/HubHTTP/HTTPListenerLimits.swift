public import NIOCore

/// What one HTTP listener allows a connection, enforced by `HTTPConnectionGuard` (nginx's defaults, shorter
/// where devices and the hub's own clients never need more).
public struct HTTPListenerLimits: Sendable, Equatable {
    /// From a request's first byte (from the accept for the first request) to the end of its head. A total,
    /// not between reads, so trickling header bytes does not extend it (slowloris). Default 10 s
    /// (nginx `client_header_timeout` 60 s).
    public var headerTimeout: TimeAmount = .seconds(10)
    /// Between two reads of a request body while the hub waits for it. Default 10 s (nginx
    /// `client_body_timeout` 60 s).
    public var bodyTimeout: TimeAmount = .seconds(10)
    /// A keep-alive connection without a request. Default 60 s (nginx `keepalive_timeout` 75 s).
    public var idleTimeout: TimeAmount = .seconds(60)
    /// After the last response of a connection the hub closes (a refused or unread body, `Connection: close`,
    /// HTTP/1.0): how long it half-closes, reads and discards, waiting for the client to close, before it
    /// closes the socket itself. Default 5 s (nginx `lingering_timeout`).
    public var lingerTimeout: TimeAmount = .seconds(5)
    /// Bytes read and discarded while lingering; past it the socket is closed at once (an oversize body
    /// of megabytes is not read to its end: the client had its answer before). Default 256 KiB (nginx
    /// bounds lingering by time only; a client streaming a hostile body would cost a read of every byte).
    public var lingerBytes: Int = 256 * 1024
    /// Open connections; over it a new connection is closed at once. Default 1024.
    public var maxConnections: Int = 1024

    public init() {}
}
