import NATSCore

/// An error from ``NATSConnection``.
///
/// A struct with an opaque ``Code`` so that codes can be added without breaking clients; ``Code/description`` is a
/// stable identifier such as `nats.client.timeout`.
public struct NATSClientError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidArgument = "nats.client.invalid_argument"
            case notConnected = "nats.client.not_connected"
            case alreadyConnected = "nats.client.already_connected"
            case connectionFailed = "nats.client.connection_failed"
            case connectionLost = "nats.client.connection_lost"
            case connectionClosed = "nats.client.connection_closed"
            case reconnectFailed = "nats.client.reconnect_failed"
            case staleConnection = "nats.client.stale_connection"
            case handshakeTimeout = "nats.client.handshake_timeout"
            case timeout = "nats.client.timeout"
            case noResponders = "nats.client.no_responders"
            case maxPayloadExceeded = "nats.client.max_payload_exceeded"
            case reconnectBufferFull = "nats.client.reconnect_buffer_full"
            case serverError = "nats.client.server_error"
            case protocolError = "nats.client.protocol_error"
            case tlsRequired = "nats.client.tls_required"
            case draining = "nats.client.draining"
            case cancelled = "nats.client.cancelled"
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A subject, queue group or header failed validation (``NATSClientError/underlying`` is the
        /// `NATSCoreError`), or a subscription was used concurrently.
        public static let invalidArgument = Code(.invalidArgument)
        /// The operation needs an established connection (it was never connected, or a flush while reconnecting).
        public static let notConnected = Code(.notConnected)
        /// `connect()` was called on a connection that is not idle.
        public static let alreadyConnected = Code(.alreadyConnected)
        /// No server in the list accepted the initial connection; ``NATSClientError/underlying`` is the last cause.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection dropped while the operation was waiting (it will be re-established if reconnect is on).
        public static let connectionLost = Code(.connectionLost)
        /// The connection was closed by ``NATSConnection/close()`` or ``NATSConnection/drain()``.
        public static let connectionClosed = Code(.connectionClosed)
        /// Reconnecting gave up after the configured number of attempts; the connection is closed.
        public static let reconnectFailed = Code(.reconnectFailed)
        /// The server did not answer the configured number of PINGs in a row.
        public static let staleConnection = Code(.staleConnection)
        /// The server did not complete INFO → CONNECT/PING → PONG in time.
        public static let handshakeTimeout = Code(.handshakeTimeout)
        /// A request got no reply in time.
        public static let timeout = Code(.timeout)
        /// A request's subject has no subscriber (the server answered with status 503).
        public static let noResponders = Code(.noResponders)
        /// Headers + payload exceed the server's `max_payload`.
        public static let maxPayloadExceeded = Code(.maxPayloadExceeded)
        /// A publish while disconnected would exceed the reconnect buffer's byte budget.
        public static let reconnectBufferFull = Code(.reconnectBufferFull)
        /// The server sent `-ERR` (``NATSClientError/serverMessage`` holds its text).
        public static let serverError = Code(.serverError)
        /// The server's byte stream could not be parsed (``NATSClientError/underlying`` is the `NATSCoreError`).
        public static let protocolError = Code(.protocolError)
        /// The server requires TLS, which this client does not implement.
        public static let tlsRequired = Code(.tlsRequired)
        /// The connection is draining and takes no new subscriptions or requests.
        public static let draining = Code(.draining)
        /// The waiting task was cancelled.
        public static let cancelled = Code(.cancelled)

        public var description: String { self.base.rawValue }
    }

    public let code: Code
    /// A human-readable explanation; never contains credentials or payload bytes.
    public let message: String
    /// The text of the server's `-ERR`, for ``Code/serverError`` (and a connect refused by the server).
    public let serverMessage: String?
    /// What caused this error, if anything.
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, serverMessage: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.serverMessage = serverMessage
        self.underlying = underlying
    }

    public var description: String {
        var text = "\(self.code): \(self.message)"
        if let serverMessage { text += " (server: \(serverMessage))" }
        if let underlying { text += " (cause: \(underlying))" }
        return text
    }

    /// Wraps a validation error from NATSCore.
    static func invalid(_ error: NATSCoreError) -> NATSClientError {
        NATSClientError(.invalidArgument, error.message, underlying: error)
    }
}
