import BrokerCore
import MQTTCore
import NIOCore

/// An MQTT connection carried by a SwiftNIO channel (TLS, TLS-PSK, WebSocket, and plain TCP when
/// `MQTTServerConfiguration.tcpEngine` is `.nio`): the last handler of the pipeline, feeding the channel's
/// bytes to `MQTTConnectionCore`.
final class MQTTConnectionHandler: MQTTConnectionCore, ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The TLS-PSK identity of the handshake, on listeners with TLS-PSK.
    let pskIdentity: PSKIdentityBox?
    /// Set while the handler is in a pipeline.
    private var context: ChannelHandlerContext?
    private var connectTimeout: Scheduled<Void>?
    /// The channel's event loop, kept after the handler leaves the pipeline (an authentication that completes
    /// after the close still undoes its login on it).
    private var loop: (any EventLoop)?

    init(id: ConnectionID, listener: MQTTListenerContext, pskIdentity: PSKIdentityBox? = nil) {
        self.pskIdentity = pskIdentity
        super.init(id: id, listener: listener)
    }

    // MARK: transport operations

    override var eventLoop: any EventLoop { loop! }
    override var remoteAddress: SocketAddress? { context?.channel.remoteAddress }

    override func resolveTransportIdentity(_ body: @escaping @Sendable (TransportIdentity) -> Void) {
        // The TLS handshake is over once CONNECT arrives: a PSK identity, if any, is final.
        pskIdentity?.sealed = true
        if let identity = pskIdentity?.identity {
            body(.pskIdentity(identity))
        } else if listener.tls, let channel = context?.channel {
            // A client certificate, if any (the resolver finds the TLS handler and asks it).
            listener.transportIdentity(channel).whenComplete { body((try? $0.get()) ?? .none) }
        } else {
            body(.none)
        }
    }

    override func setReading(_ enabled: Bool) {
        try? context?.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: enabled)
    }

    override func sendThenClose(_ buffer: ByteBuffer) {
        guard let context else { return }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    override func closeTransport() {
        context?.close(promise: nil)
    }

    override func makeOutput() -> ConnectionOutput {
        .channel(context!.channel, NIOLoopBound(self, eventLoop: context!.eventLoop))
    }

    override func connectReceived() {
        connectTimeout?.cancel()
        connectTimeout = nil
    }

    // MARK: channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        loop = context.eventLoop
        let channel = context.channel
        connectTimeout = context.eventLoop.scheduleTask(in: .seconds(Int64(listener.connectTimeoutSeconds))) {
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytesReceived(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connectTimeout?.cancel()
        connectTimeout = nil
        transportClosed()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { writable() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        transportFailed(error)
    }
}
