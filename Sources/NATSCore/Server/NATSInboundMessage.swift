/// A message delivered by the server (MSG or HMSG).
public struct NATSInboundMessage: Hashable, Sendable {
    /// The subject it was published to.
    public var subject: String
    /// The subscription id it was delivered for.
    public var sid: UInt64
    /// Where the publisher expects a reply, if anywhere.
    public var replyTo: String?
    /// The header block of an HMSG; `nil` for MSG.
    public var headers: NATSHeaders?
    /// The payload, without headers.
    public var payload: [UInt8]

    public init(subject: String, sid: UInt64, replyTo: String? = nil, headers: NATSHeaders? = nil, payload: [UInt8]) {
        self.subject = subject
        self.sid = sid
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }
}
