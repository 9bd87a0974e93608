import Hummingbird
public import HummingbirdCore
public import Logging
public import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 child channel with an `HTTPConnectionGuard` between NIO's HTTP/1 decoder and
/// Hummingbird's codec, where the request head still carries its HTTP version (HTTP/1.0 keep-alive rules).
/// Wrap it in `.tls(...)` for HTTPS: the guard then sits after the TLS handler.
public struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let listener: HTTPListener

    public init(responder: @escaping HTTPChannelHandler.Responder, listener: HTTPListener) {
        // Hummingbird's own idle timeout stays off: the guard's timeouts cover it.
        self.base = HTTP1Channel(responder: responder, configuration: .init())
        self.listener = listener
    }

    public var responder: HTTPChannelHandler.Responder { base.responder }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HTTPConnectionGuard(listener: listener), position: .after(decoder.handler))
            return value
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the limits of `listener` (timeouts, connection limit, lingering close).
    public static func guardedHTTP1(listener: HTTPListener) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, listener: listener) }
    }
}
