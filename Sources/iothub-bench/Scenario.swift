import NIOCore
import NIOHTTP1

/// One request, encoded before the run so that sending it costs the generator almost nothing.
struct PreparedRequest: Sendable {
    /// What the response decoder needs to know about the request (its method); never encoded.
    var head: HTTPRequestHead
    /// The complete request as it goes on the wire: request line, headers, body.
    var bytes: ByteBuffer

    /// Encodes `method uri HTTP/1.1`, `headers` and `body` (with its `Content-Length`).
    init(method: HTTPMethod, uri: String, headers: [(String, String)], body: [UInt8]? = nil) {
        head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        var text = "\(method.rawValue) \(uri) HTTP/1.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        bytes = ByteBuffer(string: text)
        if let body { bytes.writeBytes(body) }
    }
}

/// What a load run sends and how it judges each answer.
///
/// A scenario is immutable once built and shared by every connection: requests are addressed by a
/// global sequence number so that several event loops can draw from one pool without coordinating.
protocol Scenario: Sendable {
    /// Short name for tables and result records (`floor`, `register`).
    var name: String { get }
    /// The request with sequence number `index`, or `nil` when the pool is exhausted.
    func request(_ index: Int) -> PreparedRequest?
    /// `nil` when the answer is a success, else the failure code it is counted under.
    func check(index: Int, status: HTTPResponseStatus, body: ByteBuffer?) -> String?
}

/// Headers every generated request carries: the loopback `Host` with its port (as Python and Java send it)
/// and keep-alive.
func benchHeaders(host: String, port: Int) -> [(String, String)] {
    [("Host", "\(host):\(port)"), ("Connection", "keep-alive")]
}

/// The outbound end of a load connection: writes the pre-encoded bytes of each request.
///
/// It sits between the socket and NIO's HTTP response decoder, which sees every request head go by (it
/// needs the method to frame the response) while the bytes on the wire are the ones built before the run:
/// heads and ends are dropped here, bodies are the whole encoded requests.
final class PreparedRequestWriter: ChannelOutboundHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = ByteBuffer

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head, .end:
            promise?.succeed()
        case .body(.byteBuffer(let bytes)):
            context.write(wrapOutboundOut(bytes), promise: promise)
        case .body(.fileRegion):
            promise?.fail(ChannelError.operationUnsupported)
        }
    }
}
