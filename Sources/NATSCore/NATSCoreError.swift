/// An error raised by the pure NATS protocol layer: subject or header validation, encoding or parsing.
///
/// The error is a struct with an opaque ``Code`` (rather than a public enum) so that codes can be added without
/// breaking clients. Each code has a stable textual identifier (``Code/description``) that may be logged,
/// matched in tests or mapped to metrics.
public struct NATSCoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidSubject = "nats.core.invalid_subject"
            case invalidQueueGroup = "nats.core.invalid_queue_group"
            case invalidHeader = "nats.core.invalid_header"
            case invalidConnectOption = "nats.core.invalid_connect_option"
            case controlLineTooLong = "nats.core.control_line_too_long"
            case payloadTooLarge = "nats.core.payload_too_large"
            case malformedOperation = "nats.core.malformed_operation"
            case unknownOperation = "nats.core.unknown_operation"
            case malformedHeaders = "nats.core.malformed_headers"
            case malformedJSON = "nats.core.malformed_json"
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A subject (or reply subject) is empty, contains whitespace, has an empty token, or uses a wildcard
        /// where none is allowed.
        public static let invalidSubject = Code(.invalidSubject)
        /// A queue group name is empty or contains whitespace.
        public static let invalidQueueGroup = Code(.invalidQueueGroup)
        /// A header name or value cannot be written on the wire (empty name, `:`, whitespace or control bytes).
        public static let invalidHeader = Code(.invalidHeader)
        /// A CONNECT option cannot be encoded (for example a client name with a control character).
        public static let invalidConnectOption = Code(.invalidConnectOption)
        /// A control line from the server exceeded the configured limit before its CRLF was seen.
        public static let controlLineTooLong = Code(.controlLineTooLong)
        /// A MSG/HMSG from the server announced a payload larger than the configured limit.
        public static let payloadTooLarge = Code(.payloadTooLarge)
        /// A known operation had missing, extra or non-numeric arguments, or its payload was not followed by CRLF.
        public static let malformedOperation = Code(.malformedOperation)
        /// The server sent an operation name this client does not know.
        public static let unknownOperation = Code(.unknownOperation)
        /// The header block of an HMSG is not a valid `NATS/1.0` block.
        public static let malformedHeaders = Code(.malformedHeaders)
        /// The JSON of an INFO operation could not be parsed.
        public static let malformedJSON = Code(.malformedJSON)

        /// The stable identifier of this code, for example `nats.core.invalid_subject`.
        public var description: String { self.base.rawValue }
    }

    /// The stable code.
    public let code: Code
    /// A human-readable explanation. Never contains payload bytes; may contain a subject or operation name.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
