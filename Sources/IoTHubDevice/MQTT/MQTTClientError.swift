/// Why an ``MQTTClient`` operation failed.
public struct MQTTClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The client is not connected (and the operation is not queued while offline).
        case notConnected = "not_connected"
        /// The offline queue is full; the publish was not accepted.
        case offlineQueueFull = "offline_queue_full"
        /// The publishes the client holds would exceed ``MQTTClientConfiguration/outboundBufferBytes``; the
        /// publish was not accepted.
        case outboundBufferFull = "outbound_buffer_full"
        /// ``MQTTClient/disconnect()`` was called, or the client stopped for good.
        case stopped = "stopped"
        /// The connection was lost before the broker answered this request.
        case connectionLost = "connection_lost"
        /// The first connection failed (network, TLS, or timeout).
        case connectFailed = "connect_failed"
        /// The broker broke the protocol (unexpected packet, undecodable bytes).
        case protocolError = "protocol_error"
        /// An argument cannot be sent (empty topic, wildcard in a topic name, too many packet ids in use).
        case invalidArgument = "invalid_argument"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
