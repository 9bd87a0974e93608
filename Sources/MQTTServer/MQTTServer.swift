public import BrokerCore
public import Logging
public import MQTTCore
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
import NIOSSL
public import ServiceLifecycle

/// The MQTT listeners (TCP, TLS, WebSocket) around one broker engine, as a Service: binds, serves until
/// graceful shutdown, then closes every connection.
public final class MQTTServer: Service, @unchecked Sendable {
    public let host: BrokerHost
    let configuration: MQTTServerConfiguration
    let authenticator: any MQTTAuthenticator
    let transportIdentity: @Sendable (any Channel) -> EventLoopFuture<TransportIdentity>
    let group: any EventLoopGroup
    let logger: Logger
    let metrics = MQTTServerMetrics()

    /// PUBLISH packets received from clients since the server was made (all listeners).
    public var publishesReceived: Int { metrics.publishesIn }
    /// Pending and admitted connections of every listener.
    let limits: MQTTConnectionLimits
    private let nextConnection = NIOLockedValueBox<UInt64>(0)
    /// The plain-TCP listeners' own transport (when `tcpEngine` is `.poll`).
    let poll = PollTransport()
    /// Called with each listener's index and bound port.
    let onBound: @Sendable (Int, Int) async -> Void

    public init(
        configuration: MQTTServerConfiguration,
        broker: Broker,
        authenticator: any MQTTAuthenticator,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        transportIdentity: @escaping @Sendable (any Channel) -> EventLoopFuture<TransportIdentity> = { $0.eventLoop.makeSucceededFuture(.none) },
        onBound: @escaping @Sendable (Int, Int) async -> Void = { _, _ in },
        journal: BrokerJournalQueue? = nil,
        hubAcknowledges: @escaping @Sendable (MQTTPublish) -> Bool = { _ in false },
        hubSink: @escaping HubSink = { _, _, _ in }
    ) {
        self.configuration = configuration
        self.limits = MQTTConnectionLimits(maxConnections: configuration.maxConnections, maxPending: configuration.maxPendingConnections)
        self.host = BrokerHost(broker: broker, journal: journal, hubAcknowledges: hubAcknowledges, hubSink: hubSink)
        self.authenticator = authenticator
        self.group = group
        self.logger = logger
        self.transportIdentity = transportIdentity
        self.onBound = onBound
    }

    public func run() async throws {
        var channels: [any Channel] = []
        do {
            for (index, listener) in configuration.listeners.enumerated() {
                let port: Int
                if case .tcp = listener.transport, configuration.tcpEngine == .poll {
                    port = try await poll.bind(listener, server: self)
                } else {
                    let channel = try await bind(listener)
                    channels.append(channel)
                    port = channel.localAddress?.port ?? listener.port
                }
                logger.info("MQTT listener started", metadata: ["mqtt.listener": "\(listener.transport.name)", "mqtt.port": "\(port)"])
                await onBound(index, port)
            }
        } catch {
            for channel in channels { try? await channel.close() }
            await poll.shutdown()
            throw error
        }
        // Keep-alive checks once a second until shutdown.
        let host = self.host
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                host.perform { broker, now in broker.tick(now: now) }
            }
        }
        try? await gracefulShutdown()
        ticker.cancel()
        logger.info("MQTT server shutting down")
        for channel in channels { try? await channel.close() }
        await poll.closeListeners()
        host.perform { broker, _ in broker.shutdown() }
        // Give the connections a moment to flush and close.
        try? await Task.sleep(for: .milliseconds(100))
        await poll.shutdown()
    }

    /// The next connection id.
    func nextConnectionID() -> ConnectionID {
        nextConnection.withLockedValue {
            $0 += 1
            return ConnectionID($0)
        }
    }

    /// What the connections of a listener share.
    func listenerContext(webSocket: Bool, tls: Bool) -> MQTTListenerContext {
        MQTTListenerContext(
            host: host, authenticator: authenticator, configuration: configuration, limits: limits, webSocket: webSocket,
            tls: tls, transportIdentity: transportIdentity, metrics: metrics, logger: logger
        )
    }

    private func bind(_ listener: MQTTServerConfiguration.Listener) async throws -> any Channel {
        var tlsContext: NIOSSLContext?
        var tlsPSKContexts: TLSContexts?
        if case .tls(let tls, let psk) = listener.transport {
            let standard = try NIOSSLContext(configuration: tls)
            if let psk {
                tlsPSKContexts = TLSContexts(standard: standard, psk: try NIOSSLContext(configuration: psk.pskConfiguration(from: tls, logger: logger)))
            } else {
                tlsContext = standard
            }
        }
        let sslContext = tlsContext
        let pskContexts = tlsPSKContexts
        let webSocket: Bool
        if case .webSocket = listener.transport { webSocket = true } else { webSocket = false }
        let shared = listenerContext(webSocket: webSocket, tls: sslContext != nil || pskContexts != nil)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                // Child options are set here, synchronously: as `childChannelOption`s NIO applies each through
                // a chain of futures (about ten allocations per accepted connection).
                do {
                    let options = channel.syncOptions
                    try options?.setOption(.socketOption(.tcp_nodelay), value: 1)
                    // Every channel keeps its last receive buffer for the next read. NIO's default first size
                    // is 2,048 bytes, held by every idle connection; a CONNECT fits in 256 and the allocator
                    // grows the buffer for connections that read more (up to 64 KiB).
                    try options?.setOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65_536))
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                return self.initialize(channel, sslContext: sslContext, pskContexts: pskContexts, listener: shared)
            }
            .bind(host: listener.host, port: listener.port)
            .get()
    }

    private func initialize(_ channel: any Channel, sslContext: NIOSSLContext?, pskContexts: TLSContexts?, listener: MQTTListenerContext) -> EventLoopFuture<Void> {
        if let refused = listener.refusedAtAccept, let address = channel.remoteAddress?.ipAddress, refused(address) {
            metrics.connectionClosed("refused_at_accept")
            // Plain TCP: CONNACK 5 once active, then closed; TLS and WebSocket: closed.
            guard sslContext == nil, pskContexts == nil, !listener.webSocket else { return channel.close() }
            return channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RefusedAtAccept()) }
        }
        // Sockets that have not sent CONNECT are bounded (closed at accept); the connection limit itself is
        // checked at CONNECT, which is answered with CONNACK 3.
        guard limits.acceptPending() else {
            metrics.connectionClosed("max_pending_connections")
            return channel.close()
        }
        let id = nextConnectionID()
        let pskIdentity = pskContexts == nil ? nil : PSKIdentityBox()
        let handler = MQTTConnectionHandler(id: id, listener: listener, pskIdentity: pskIdentity)
        let mqttHandlers: [any ChannelHandler] = [handler]
        if listener.webSocket {
            // The MQTT handler (and its connect timer) joins the pipeline only after the HTTP upgrade: the
            // connect timeout counts from accept here, so that a socket that never upgrades does not hold its
            // pending place.
            // pending place. The timer is cancelled when the socket closes: it holds the handler, whose
            // release gives the place back.
            let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
            let timer = channel.eventLoop.scheduleTask(in: .seconds(Int64(listener.connectTimeoutSeconds))) {
                guard case .awaitingConnect = bound.value.state else { return }
                channel.close(promise: nil)
            }
            channel.closeFuture.whenComplete { _ in timer.cancel() }
        }
        return channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            if let sslContext {
                try sync.addHandler(NIOSSLServerHandler(context: sslContext))
            } else if let pskContexts, let pskIdentity {
                // Installs the TLS handler once the ClientHello shows whether the client offers TLS-PSK.
                try sync.addHandler(TLSClientHelloRouter(contexts: pskContexts, box: pskIdentity))
            }
            if listener.webSocket {
                try WebSocketTransport.configure(channel, preConnectBytes: listener.preConnectBytes, then: mqttHandlers)
            } else {
                try sync.addHandlers(mqttHandlers)
            }
        }
    }
}

extension MQTTServerConfiguration.Listener.Transport {
    var name: String {
        switch self {
        case .tcp: "tcp"
        case .tls: "tls"
        case .webSocket: "websocket"
        }
    }
}

/// A refused source's connection on the NIO engine: CONNACK 5 when active, then closed; nothing it sends
/// is read.
final class RefusedAtAccept: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        let connack = context.channel.allocator.buffer(bytes: MQTTListenerContext.refusedConnack)
        context.writeAndFlush(wrapOutboundOut(connack)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
