import NIOCore
import NIOHTTP1
import NIOWebSocket

/// MQTT over WebSocket (device-protocol.md §7.3): any path, subprotocol `mqtt` (also `mqttv3.1`), binary
/// frames carrying the MQTT byte stream.
enum WebSocketTransport {
    static let subprotocols = ["mqtt", "mqttv3.1"]

    /// Installs the HTTP upgrade; after the handshake, the MQTT handlers. The caller's connect timer runs
    /// from accept, so the upgrade and the CONNECT together must be done within the connect timeout (a
    /// client trickling its upgrade request would otherwise hold the socket for good). Until the MQTT login
    /// is decided, the frames may carry at most `preConnectBytes` (`WebSocketPreConnectLimit`).
    static func configure(_ channel: any Channel, preConnectBytes: Int, then mqttHandlers: [any ChannelHandler]) throws {
        let handlers = NIOLoopBound(mqttHandlers, eventLoop: channel.eventLoop)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                var headers = HTTPHeaders()
                let requested = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map { $0.filter { $0 != " " && $0 != "\t" } }
                if let chosen = requested.first(where: { subprotocols.contains($0.lowercased()) }) {
                    headers.add(name: "Sec-WebSocket-Protocol", value: String(chosen))
                }
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    let core = handlers.value.lazy.compactMap { $0 as? MQTTConnectionCore }.first
                    let limit = WebSocketPreConnectLimit(budget: preConnectBytes) { core?.preConnackReadLimit == nil }
                    let decoder = try sync.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                    try sync.addHandler(limit, position: .before(decoder))
                    try sync.addHandler(WebSocketFrameCodec())
                    try sync.addHandlers(handlers.value)
                }
            }
        )
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
        )
    }
}

/// WebSocket frames ↔ the MQTT byte stream: data frames in, binary frames out; answers ping and close.
final class WebSocketFrameCodec: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation, .text:
            context.fireChannelRead(wrapInboundOut(frame.unmaskedData))
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            guard !closing else { return context.close(promise: nil) }
            closing = true
            var data = context.channel.allocator.buffer(capacity: 2)
            data.write(webSocketErrorCode: .normalClosure)
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in channel.close(promise: nil) }
        default:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: bytes)), promise: promise)
    }
}
