import MQTTCore
import NIOCore

/// Frames to packets inbound, packets to bytes outbound, for one protocol version.
final class MQTTPacketCodecHandler: ChannelDuplexHandler {
    typealias InboundIn = MQTTFrame
    typealias InboundOut = MQTTPacket
    typealias OutboundIn = MQTTPacket
    typealias OutboundOut = ByteBuffer

    private let version: MQTTProtocolVersion

    init(version: MQTTProtocolVersion) {
        self.version = version
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        do {
            let packet = try MQTTPacketDecoder.decode(frame, version: version)
            context.fireChannelRead(wrapInboundOut(packet))
        } catch {
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let packet = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: MQTTPacketEncoder.encodedSize(packet, version: version))
        MQTTPacketEncoder.encode(packet, version: version, into: &buffer)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }
}

/// Client keep-alive (MQTT 3.1.1 §3.1.2.10): a PINGREQ when nothing was written for `keepAlive`, or
/// nothing read; the connection is closed when a PINGREQ stays unanswered for another `keepAlive`, or
/// when no CONNACK arrives within the connect timeout. PINGRESPs are consumed here.
final class MQTTKeepAliveHandler: ChannelDuplexHandler {
    typealias InboundIn = MQTTPacket
    typealias InboundOut = MQTTPacket
    typealias OutboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    /// Raised (as an error through the pipeline) when the broker stopped answering.
    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    private let connectTimeout: TimeAmount
    private let pingTimeout: TimeAmount
    private var connectDeadline: Scheduled<Void>?
    private var pingDeadline: Scheduled<Void>?
    private var connected = false

    init(connectTimeout: TimeAmount, pingTimeout: TimeAmount) {
        self.connectTimeout = connectTimeout
        self.pingTimeout = pingTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        connectDeadline = context.eventLoop.scheduleTask(in: connectTimeout) {
            let context = loopBound.value
            context.fireErrorCaught(Timeout(description: "no CONNACK within the connect timeout"))
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connectDeadline?.cancel()
        pingDeadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let packet = unwrapInboundIn(data)
        // Anything from the broker shows it is alive.
        pingDeadline?.cancel()
        pingDeadline = nil
        switch packet {
        case .pingresp:
            return
        case .connack:
            connected = true
            connectDeadline?.cancel()
            connectDeadline = nil
        default:
            break
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard connected, pingDeadline == nil else { return }
        switch idle {
        case .read, .write:
            context.writeAndFlush(wrapOutboundOut(.pingreq), promise: nil)
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            pingDeadline = context.eventLoop.scheduleTask(in: pingTimeout) {
                let context = loopBound.value
                context.fireErrorCaught(Timeout(description: "no PINGRESP within the keep-alive interval"))
                context.close(promise: nil)
            }
        case .all:
            break
        }
    }
}
