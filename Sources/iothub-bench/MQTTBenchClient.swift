import Foundation
import MQTTCore
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// What a benchmark MQTT connection reports to the scenario that owns it. Every call runs on the
/// connection's event loop, which is the scenario's only loop.
protocol MQTTBenchDelegate: AnyObject {
    func connAck(_ client: MQTTBenchClient, returnCode: UInt8)
    func subAck(_ client: MQTTBenchClient)
    /// A PUBLISH arrived; `payload` is a view of its payload (the client has already queued a PUBACK for QoS 1).
    func published(_ client: MQTTBenchClient, payload: ByteBuffer)
    func writable(_ client: MQTTBenchClient)
    func closed(_ client: MQTTBenchClient)
    /// A PUBACK for `packetId` arrived (QoS 1 publishes of this client).
    func pubAck(_ client: MQTTBenchClient, packetId: UInt16)
}

extension MQTTBenchDelegate {
    /// Scenarios that do not time their publishes ignore PUBACKs.
    func pubAck(_ client: MQTTBenchClient, packetId: UInt16) {}
}

/// One MQTT 3.1.1 client connection of the load generator: framing with `MQTTFrameDecoder`, everything it
/// sends encoded with `MQTTPacketEncoder` before the run (CONNECT, SUBSCRIBE) or patched from a template
/// (PUBLISH packet ids). PUBLISH frames are not decoded beyond the fixed header and packet id, so that a
/// delivered message costs the generator little; other packets go through `MQTTPacketDecoder`.
final class MQTTBenchClient: ChannelInboundHandler {
    typealias InboundIn = MQTTFrame
    typealias OutboundOut = ByteBuffer

    let index: Int
    let connectPacket: ByteBuffer
    /// Strong: the scenario lives as long as its connections (it drops them when it finishes).
    var delegate: (any MQTTBenchDelegate)?
    private(set) var context: ChannelHandlerContext?
    private(set) var isOpen = false
    /// PUBACKs of one read burst, written at `channelReadComplete`.
    private var acks: ByteBuffer?
    var startedAt: UInt64 = 0

    init(index: Int, connectPacket: ByteBuffer, delegate: any MQTTBenchDelegate) {
        self.index = index
        self.connectPacket = connectPacket
        self.delegate = delegate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { becameActive(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        becameActive(context: context)
        context.fireChannelActive()
    }

    private func becameActive(context: ChannelHandlerContext) {
        guard !isOpen else { return }
        isOpen = true
        context.writeAndFlush(wrapOutboundOut(connectPacket), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let type = frame.typeAndFlags >> 4
        if type == 3 {
            var body = frame.body
            guard let topicLength = body.readInteger(as: UInt16.self), body.readableBytes >= Int(topicLength) else { return }
            body.moveReaderIndex(forwardBy: Int(topicLength))
            let qos = (frame.typeAndFlags >> 1) & 3
            if qos > 0, let id = body.readInteger(as: UInt16.self) {
                if acks == nil { acks = context.channel.allocator.buffer(capacity: 256) }
                acks!.writeInteger(UInt8(qos == 1 ? 0x40 : 0x50))
                acks!.writeInteger(UInt8(2))
                acks!.writeInteger(id)
            }
            delegate?.published(self, payload: body)
            return
        }
        switch type {
        case 2:  // CONNACK: flags, return code
            delegate?.connAck(self, returnCode: frame.body.getInteger(at: frame.body.readerIndex + 1, as: UInt8.self) ?? 0xFF)
        case 4:  // PUBACK: packet id
            if let id = frame.body.getInteger(at: frame.body.readerIndex, as: UInt16.self) { delegate?.pubAck(self, packetId: id) }
        case 9:  // SUBACK
            delegate?.subAck(self)
        default:
            // PUBACK, PINGRESP, …: checked for well-formedness only.
            _ = try? MQTTPacketDecoder.decode(frame, version: .v3_1_1)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let acks, acks.readableBytes > 0 {
            self.acks = nil
            context.writeAndFlush(wrapOutboundOut(acks), promise: nil)
        }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { delegate?.writable(self) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        delegate?.closed(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func send(_ bytes: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    func close() {
        guard isOpen, let context else { return }
        context.close(promise: nil)
    }
}

/// How clients authenticate towards a broker.
enum MQTTBenchAuth {
    /// Plain MQTT, no username (mosquitto with `allow_anonymous true`).
    case anonymous
    /// A Tencent device: ClientId `{pid}{dn}`, username and HMAC-SHA256 password made from the PSK.
    case device(MQTTDeviceCredential)
    /// A business application of the hub: username AppId, password AppSecret.
    case application(id: String, secret: String)
}

enum MQTTBenchPackets {
    static let keepAlive: UInt16 = 600

    /// `persistent`: CleanSession 0 (the broker keeps the session and its QoS 1 messages).
    static func connect(clientId: String, auth: MQTTBenchAuth, persistent: Bool = false) -> ByteBuffer {
        var connect = MQTTConnect(version: .v3_1_1, cleanSession: !persistent, keepAlive: keepAlive, clientId: clientId)
        switch auth {
        case .anonymous:
            break
        case .device(let credential):
            connect.clientId = credential.clientId
            let login = credential.login()
            connect.username = login.username
            connect.password = Array(login.password.utf8)
        case .application(let id, let secret):
            connect.username = id
            connect.password = Array(secret.utf8)
        }
        return MQTTPacketEncoder.encode(.connect(connect), version: .v3_1_1)
    }

    static func subscribe(filter: String, qos: MQTTQoS) -> ByteBuffer {
        MQTTPacketEncoder.encode(.subscribe(MQTTSubscribe(packetId: 1, subscriptions: [MQTTSubscription(filter: filter, qos: qos)])), version: .v3_1_1)
    }
}

/// Connection setup shared by the MQTT scenarios: every client socket is bound to a loopback source
/// address before it connects, `perSource` clients per address (127.0.N.2, .3, …), so that tens of
/// thousands of connections to one port do not run out of ephemeral ports.
struct MQTTBenchConnector {
    var host: String
    var port: Int
    var sourcePrefix: String
    var perSource: Int

    func source(for index: Int) throws -> SocketAddress {
        try SocketAddress(ipAddress: "\(sourcePrefix).\(2 + index / perSource)", port: 0)
    }

    func connect(on loop: any EventLoop, index: Int, client: MQTTBenchClient) -> EventLoopFuture<any Channel> {
        let bound = NIOLoopBound(client, eventLoop: loop)
        do {
            let source = try source(for: index)
            return ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                // Linux: the port is chosen at connect (per 4-tuple) instead of by bind(port 0), whose search
                // for a free port gets slower with every socket already bound to the address.
                .channelOption(ChannelOptions.Types.SocketOption(level: .ip, name: NIOBSDSocket.Option(rawValue: 24)), value: 1)
                .connectTimeout(.seconds(30))
                .bind(to: source)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(ByteToMessageHandler(MQTTFrameDecoder(maxPacketSize: 1 << 20)))
                        try sync.addHandler(bound.value)
                    }
                }
                .connect(host: host, port: port)
        } catch {
            return loop.makeFailedFuture(error)
        }
    }
}

/// Process resources the MQTT scenarios need or report.
enum ProcessResources {
    /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
    @discardableResult
    static func raiseFileLimit() -> Int {
        #if os(Linux)
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        _ = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return Int(limit.rlim_cur)
        #else
        return -1
        #endif
    }

    /// VmRSS of `pid` in bytes, from /proc/PID/status.
    static func residentBytes(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }
}
