import Foundation
import NIOCore
import NIOPosix

/// Sends raw bytes to a loopback port and returns every byte received until the server closes the
/// connection (or `timeout` passes). For asserting exact response bytes, header case included.
public enum RawHTTP {
    /// `from`: a loopback address the client socket binds to first (127.0.0.2, …), to act as another source.
    public static func exchange(
        port: Int, host: String = "127.0.0.1", from source: String? = nil, request: [UInt8], timeout: TimeAmount = .seconds(10)
    ) async throws -> [UInt8] {
        let collector = Collector()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.pipeline.addHandler(collector) }
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let channel = try await bootstrap
            .connect(host: host, port: port)
            .get()
        try await channel.writeAndFlush(ByteBuffer(bytes: request))
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        try await channel.closeFuture.get()
        deadline.cancel()
        return try await channel.eventLoop.submit { collector.received }.get()
    }

    /// A request with `Connection: close`, the given headers (names exactly as given) and body.
    public static func request(method: String = "POST", path: String, headers: [(String, String)], body: [UInt8]) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Array(text.utf8) + body
    }

    /// Splits a response into status code, header lines (as sent) and body.
    public static func parse(_ response: [UInt8]) -> (status: Int, headerLines: [String], body: [UInt8])? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(response.count - 3, 0)).first(where: { Array(response[$0..<$0 + 4]) == separator }) else { return nil }
        let head = String(decoding: response[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = head.first, statusLine.count >= 12, let status = Int(statusLine.dropFirst(9).prefix(3)) else { return nil }
        return (status, Array(head.dropFirst()), Array(response[(end + 4)...]))
    }

    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var received: [UInt8] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
    }
}
