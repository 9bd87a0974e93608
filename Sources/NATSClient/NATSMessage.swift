import NATSCore
import NIOCore

/// A message received on a subscription, or as the reply to a request.
public struct NATSMessage: Sendable {
    /// The subject it was published to.
    public var subject: String
    /// Where the publisher expects a reply, if anywhere.
    public var replyTo: String?
    /// Headers (HMSG), `nil` for a plain MSG.
    public var headers: NATSHeaders?
    /// The payload, without headers.
    public var payload: ByteBuffer

    public init(subject: String, replyTo: String? = nil, headers: NATSHeaders? = nil, payload: ByteBuffer) {
        self.subject = subject
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }

    init(_ inbound: NATSInboundMessage) {
        self.init(
            subject: inbound.subject,
            replyTo: inbound.replyTo,
            headers: inbound.headers,
            payload: ByteBuffer(bytes: inbound.payload)
        )
    }

    /// The size counted against a subscription's byte budget: payload plus names and values of headers.
    var bufferedSize: Int {
        var size = self.payload.readableBytes
        for field in self.headers ?? NATSHeaders() {
            size += field.name.utf8.count + field.value.utf8.count
        }
        return size
    }

    /// The payload as a UTF-8 string (invalid sequences replaced).
    public var string: String { String(buffer: self.payload) }
}
