import DequeModule
public import Logging
public import MQTTCore
public import NIOCore
import NIOPosix
import NIOSSL

/// An MQTT 3.1.1 / 3.1 client on the shared codec, for devices.
///
/// * ``connect()`` returns after the first CONNACK 0 and throws if that first attempt fails. After that the
///   client keeps the connection up by itself: when it is lost it reconnects with exponential backoff and
///   jitter (``ReconnectPolicy``), subscribes again to every filter it holds (unless the broker kept the
///   session), sends again what was not acknowledged, then what was queued while offline.
/// * ``publish(_:payload:qos:retain:)`` returns when QoS 0 is handed to the network, QoS 1 is PUBACKed and
///   QoS 2 is PUBCOMPed. While disconnected, publishes wait in a bounded queue.
/// * Received messages arrive on ``messages`` (QoS 1 and 2 are acknowledged as they arrive, QoS 2 delivered
///   once), connection changes on ``events``.
/// * Keep-alive: a PINGREQ after `keepAlive` seconds without traffic, the connection is dropped when it
///   stays unanswered for another `keepAlive`.
public actor MQTTClient {
    public nonisolated let configuration: MQTTClientConfiguration
    /// Every application message received, in order. Single consumer.
    public nonisolated let messages: AsyncStream<MQTTMessage>
    /// Connection events, in order. Single consumer; the newest 256 are kept if nobody reads them.
    public nonisolated let events: AsyncStream<MQTTClientEvent>

    private let messageSink: AsyncStream<MQTTMessage>.Continuation
    private let eventSink: AsyncStream<MQTTClientEvent>.Continuation
    private let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let sslContext: NIOSSLContext?

    private enum Phase { case idle, running, stopped }
    private var phase = Phase.idle
    private var channel: (any Channel)?
    private var connected = false
    private var hasConnected = false
    private var runTask: Task<Void, Never>?
    private var firstConnect: CheckedContinuation<Void, any Error>?

    /// Subscriptions to restore after a reconnect, in the order they were made.
    private var subscriptions: [(filter: String, qos: MQTTQoS)] = []
    /// QoS 1/2 publishes not yet completed, by packet id.
    private var outgoing: [UInt16: Outgoing] = [:]
    /// QoS 0 publishes made while disconnected.
    private var offlineQoS0: Deque<(sequence: UInt64, publish: MQTTPublish)> = []
    /// SUBSCRIBE / UNSUBSCRIBE waiting for their ack.
    private var requests: [UInt16: CheckedContinuation<[UInt8], any Error>] = [:]
    /// Automatic resubscriptions after a reconnect waiting for their SUBACK.
    private var resubscriptions: [UInt16: [String]] = [:]
    /// Incoming QoS 2 packet ids delivered but not yet released.
    private var incomingQoS2: Set<UInt16> = []
    private var lastPacketId: UInt16 = 0
    private var sequence: UInt64 = 0

    /// Messages dropped because ``messages`` was not read fast enough.
    public private(set) var droppedMessages = 0
    /// Publishes refused because the client held ``MQTTClientConfiguration/outboundBufferBytes`` already
    /// (each also threw ``MQTTClientError/Code/outboundBufferFull``).
    public private(set) var droppedPublishes = 0
    /// Bytes of QoS 0 publishes handed to the connection and not yet written to the socket.
    private var qos0WritingBytes = 0

    private struct Outgoing {
        enum Stage { case unsent, published, released }
        var sequence: UInt64
        var publish: MQTTPublish
        var stage: Stage
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// - Throws: NIOSSL errors if the TLS configuration cannot be turned into a context.
    public init(
        configuration: MQTTClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "IoTHubDevice.MQTTClient")
    ) throws {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        if case .tls(let tls, _) = configuration.transport {
            sslContext = try NIOSSLContext(configuration: tls)
        } else {
            sslContext = nil
        }
        (messages, messageSink) = AsyncStream.makeStream(
            of: MQTTMessage.self, bufferingPolicy: .bufferingNewest(max(1, configuration.messageBufferCapacity))
        )
        (events, eventSink) = AsyncStream.makeStream(of: MQTTClientEvent.self, bufferingPolicy: .bufferingNewest(256))
    }

    /// True between a CONNACK 0 and the loss of that connection.
    public var isConnected: Bool { connected }

    /// Publishes not finished yet: QoS 1/2 waiting for their acknowledgement (or for a connection) and
    /// QoS 0 waiting for a connection.
    public var pendingPublishes: Int { outgoing.count + offlineQoS0.count }

    /// Filters held (and restored after reconnects).
    public var subscribedFilters: [String] { subscriptions.map(\.filter) }

    // MARK: - Lifecycle

    /// Connects and returns after CONNACK 0. Throws ``MQTTConnectRefusal`` for another return code, or
    /// ``MQTTClientError`` (`connectFailed`) when the broker cannot be reached; the client is then stopped.
    public func connect() async throws {
        switch phase {
        case .running: throw MQTTClientError(.invalidArgument, "connect() was already called")
        case .stopped: throw MQTTClientError(.stopped, "the client was stopped; make a new one")
        case .idle: break
        }
        phase = .running
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            firstConnect = continuation
            runTask = Task { await self.run() }
        }
    }

    /// Sends DISCONNECT, closes the connection and stops reconnecting. Pending publishes and requests fail
    /// with ``MQTTClientError/Code/stopped``; ``messages`` and ``events`` finish.
    public func disconnect() async {
        guard phase != .stopped else { return }
        phase = .stopped
        if let channel {
            if connected {
                try? await channel.writeAndFlush(MQTTPacket.disconnect(MQTTDisconnect())).get()
            }
            try? await channel.close().get()
        }
        runTask?.cancel()
        await runTask?.value
        stopEverything(MQTTClientError(.stopped, "disconnect() was called"))
    }

    private func stopEverything(_ error: MQTTClientError) {
        phase = .stopped
        connected = false
        channel = nil
        firstConnect?.resume(throwing: error)
        firstConnect = nil
        for (_, request) in requests { request.resume(throwing: error) }
        requests.removeAll()
        for (_, item) in outgoing { item.continuation.resume(throwing: error) }
        outgoing.removeAll()
        offlineQoS0.removeAll()
        messageSink.finish()
        eventSink.finish()
    }

    private func run() async {
        var attempt = 0
        while phase == .running, !Task.isCancelled {
            let (reason, established) = await session()
            guard phase == .running, !Task.isCancelled else { break }
            if !hasConnected {
                // The first attempt failed: report it to connect() and stop.
                stopEverything(MQTTClientError(.stopped, "the first connection failed"))
                return
            }
            guard configuration.reconnect.isEnabled else {
                stopEverything(MQTTClientError(.connectionLost, reason))
                return
            }
            attempt = established ? 1 : attempt + 1
            let delay = configuration.reconnect.delay(attempt: attempt)
            eventSink.yield(.reconnecting(attempt: attempt, delay: delay))
            logger.debug("reconnecting", metadata: ["attempt": "\(attempt)", "delay": "\(delay)"])
            try? await Task.sleep(for: delay)
        }
    }

    /// One connection from TCP connect to close. Returns why it ended and whether it got CONNACK 0.
    private func session() async -> (reason: String, established: Bool) {
        let (stream, sink) = AsyncThrowingStream.makeStream(of: MQTTPacket.self, throwing: (any Error).self)
        let channel: any Channel
        let connect: MQTTConnect
        do {
            let credentials = try configuration.credentials()
            connect = MQTTConnect(
                version: configuration.version, cleanSession: configuration.cleanSession, keepAlive: configuration.keepAlive,
                clientId: configuration.clientId, will: configuration.will,
                username: credentials.username, password: credentials.password
            )
            channel = try await openChannel(sink: sink)
        } catch {
            let reason = "cannot connect to \(configuration.host):\(configuration.port): \(error)"
            failFirstConnect(MQTTClientError(.connectFailed, reason))
            return (reason, false)
        }
        self.channel = channel
        channel.writeAndFlush(MQTTPacket.connect(connect), promise: nil)
        var reason = "connection closed by the broker"
        var awaitingConnAck = true
        let acks = AckWriter(channel: channel)
        do {
            for try await packet in stream {
                if awaitingConnAck {
                    awaitingConnAck = false
                    guard case .connack(let ack) = packet else {
                        throw MQTTClientError(.protocolError, "the broker's first packet is not CONNACK")
                    }
                    guard ack.returnCode == 0 else {
                        let refusal = MQTTConnectRefusal(returnCode: ack.returnCode)
                        eventSink.yield(.refused(refusal))
                        failFirstConnect(refusal)
                        reason = refusal.description
                        channel.close(promise: nil)
                        continue
                    }
                    didEstablish(sessionPresent: ack.sessionPresent, on: channel)
                    continue
                }
                try receive(packet, acks: acks)
            }
        } catch {
            reason = "\(error)"
            channel.close(promise: nil)
        }
        if awaitingConnAck {
            failFirstConnect(MQTTClientError(.connectFailed, reason))
        }
        // `connected` is true exactly when this connection got CONNACK 0.
        let established = connected
        lost(reason: reason)
        if established { eventSink.yield(.disconnected(reason: phase == .stopped ? nil : reason)) }
        return (reason, established)
    }

    private func failFirstConnect(_ error: any Error) {
        guard let continuation = firstConnect else { return }
        firstConnect = nil
        continuation.resume(throwing: error)
    }

    private func openChannel(sink: AsyncThrowingStream<MQTTPacket, any Error>.Continuation) async throws -> any Channel {
        let configuration = configuration
        let sslContext = sslContext
        let hostname: String? = if case .tls(_, let name) = configuration.transport { name } else { nil }
        let connectTimeout = TimeAmount.nanoseconds(Int64(configuration.connectTimeout.seconds * 1e9))
        return try await ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: hostname))
                    }
                    try pipeline.addHandler(ByteToMessageHandler(MQTTFrameDecoder(maxPacketSize: configuration.maxPacketSize)))
                    try pipeline.addHandler(MQTTPacketCodecHandler(version: configuration.version))
                    let keepAlive = TimeAmount.seconds(Int64(configuration.keepAlive))
                    if configuration.keepAlive > 0 {
                        try pipeline.addHandler(IdleStateHandler(readTimeout: keepAlive, writeTimeout: keepAlive))
                    }
                    try pipeline.addHandler(MQTTKeepAliveHandler(connectTimeout: connectTimeout, pingTimeout: keepAlive))
                    try pipeline.addHandler(PacketStreamHandler(sink: sink))
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .get()
    }

    /// CONNACK 0: restore subscriptions, resend what was not acknowledged, then flush the offline queue.
    private func didEstablish(sessionPresent: Bool, on channel: any Channel) {
        let reconnect = hasConnected
        connected = true
        hasConnected = true
        if let continuation = firstConnect {
            firstConnect = nil
            continuation.resume()
        }
        eventSink.yield(.connected(sessionPresent: sessionPresent, reconnect: reconnect))
        // Subscriptions first (written before anything queued, so that replies to queued publishes find
        // them), unless the broker kept the session.
        if !sessionPresent, !subscriptions.isEmpty, let id = try? allocatePacketId() {
            resubscriptions[id] = subscriptions.map(\.filter)
            let packet = MQTTSubscribe(packetId: id, subscriptions: subscriptions.map { MQTTSubscription(filter: $0.filter, qos: $0.qos) })
            channel.write(MQTTPacket.subscribe(packet), promise: nil)
        }
        // Everything waiting, oldest first: unacknowledged QoS 1/2 (DUP if sent before), then offline QoS 0.
        var pending: [(UInt64, MQTTPacket)] = []
        for (id, item) in outgoing {
            switch item.stage {
            case .unsent:
                pending.append((item.sequence, .publish(item.publish)))
                outgoing[id]?.stage = .published
            case .published:
                var publish = item.publish
                publish.dup = true
                pending.append((item.sequence, .publish(publish)))
            case .released:
                pending.append((item.sequence, .pubrel(MQTTAck(packetId: id))))
            }
        }
        for item in offlineQoS0 { pending.append((item.sequence, .publish(item.publish))) }
        offlineQoS0.removeAll()
        for (_, packet) in pending.sorted(by: { $0.0 < $1.0 }) {
            channel.write(packet, promise: nil)
        }
        channel.flush()
    }

    /// The connection is gone: requests fail, unacknowledged publishes stay for the next connection.
    private func lost(reason: String) {
        connected = false
        channel = nil
        let error = MQTTClientError(.connectionLost, reason)
        for (_, request) in requests { request.resume(throwing: error) }
        requests.removeAll()
        resubscriptions.removeAll()
        if configuration.cleanSession { incomingQoS2.removeAll() }
    }

    // MARK: - Receiving

    private func receive(_ packet: MQTTPacket, acks: AckWriter) throws {
        switch packet {
        case .publish(let publish):
            let message = MQTTMessage(
                topic: publish.topic, payload: Array(publish.payload.readableBytesView), qos: publish.qos, retain: publish.retain
            )
            switch publish.qos {
            case .atMostOnce:
                deliver(message)
            case .atLeastOnce:
                deliver(message)
                if let id = publish.packetId { acks.send(.puback(MQTTAck(packetId: id))) }
            case .exactlyOnce:
                guard let id = publish.packetId else { return }
                if incomingQoS2.insert(id).inserted { deliver(message) }
                acks.send(.pubrec(MQTTAck(packetId: id)))
            }
        case .pubrel(let ack):
            incomingQoS2.remove(ack.packetId)
            acks.send(.pubcomp(MQTTAck(packetId: ack.packetId)))
        case .puback(let ack):
            if let item = outgoing[ack.packetId], item.publish.qos == .atLeastOnce {
                outgoing[ack.packetId] = nil
                item.continuation.resume()
            }
        case .pubrec(let ack):
            if outgoing[ack.packetId]?.publish.qos == .exactlyOnce {
                outgoing[ack.packetId]?.stage = .released
            }
            acks.send(.pubrel(MQTTAck(packetId: ack.packetId)))
        case .pubcomp(let ack):
            if let item = outgoing.removeValue(forKey: ack.packetId) {
                item.continuation.resume()
            }
        case .suback(let ack):
            if let filters = resubscriptions.removeValue(forKey: ack.packetId) {
                for (filter, code) in zip(filters, ack.returnCodes) where code == 0x80 {
                    logger.warning("resubscription refused", metadata: ["filter": "\(filter)"])
                    subscriptions.removeAll { $0.filter == filter }
                }
            } else {
                requests.removeValue(forKey: ack.packetId)?.resume(returning: ack.returnCodes)
            }
        case .unsuback(let ack):
            requests.removeValue(forKey: ack.packetId)?.resume(returning: ack.reasonCodes)
        case .pingresp:
            break
        case .disconnect:
            throw MQTTClientError(.connectionLost, "the broker sent DISCONNECT")
        default:
            throw MQTTClientError(.protocolError, "unexpected \(packet.type) from the broker")
        }
    }

    private func deliver(_ message: MQTTMessage) {
        if case .dropped = messageSink.yield(message) {
            droppedMessages += 1
        }
    }

    // MARK: - Sending

    /// Publishes a message. See the type's documentation for when it returns.
    public func publish(_ topic: String, payload: some Sequence<UInt8>, qos: MQTTQoS = .atMostOnce, retain: Bool = false) async throws {
        guard phase != .stopped else { throw MQTTClientError(.stopped, "the client is stopped") }
        guard !topic.isEmpty, topic.utf8.count <= 65_535, !topic.contains("+"), !topic.contains("#") else {
            throw MQTTClientError(.invalidArgument, "invalid topic name \"\(topic)\"")
        }
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        buffer.writeBytes(payload)
        sequence += 1
        var publish = MQTTPublish(topic: topic, payload: buffer, qos: qos, retain: retain)
        let size = Self.heldSize(publish)
        try checkOutboundBuffer(adding: size)
        if qos == .atMostOnce {
            if connected, let channel {
                // Held until the socket took it: concurrent publishers to a slow connection count against
                // the buffer instead of growing the channel's outbound queue without bound.
                qos0WritingBytes += size
                defer { qos0WritingBytes -= size }
                try await channel.writeAndFlush(MQTTPacket.publish(publish)).get()
                return
            }
            try checkOfflineCapacity()
            offlineQoS0.append((sequence, publish))
            return
        }
        if !connected { try checkOfflineCapacity() }
        let id = try allocatePacketId()
        publish.packetId = id
        let sequence = sequence
        let channel = connected ? channel : nil
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            outgoing[id] = Outgoing(sequence: sequence, publish: publish, stage: channel == nil ? .unsent : .published, continuation: continuation)
            channel?.writeAndFlush(MQTTPacket.publish(publish), promise: nil)
        }
    }

    /// Publishes UTF-8 text.
    public func publish(_ topic: String, _ text: String, qos: MQTTQoS = .atMostOnce, retain: Bool = false) async throws {
        try await publish(topic, payload: Array(text.utf8), qos: qos, retain: retain)
    }

    /// Bytes a publish holds in the client's buffers (topic and payload).
    private static func heldSize(_ publish: MQTTPublish) -> Int {
        publish.topic.utf8.count + publish.payload.readableBytes
    }

    /// Bytes of publishes the client holds: offline QoS 0, QoS 0 being written, QoS 1/2 not yet acknowledged.
    public var outboundBufferedBytes: Int {
        offlineQoS0.reduce(0) { $0 + Self.heldSize($1.publish) } + outgoing.values.reduce(0) { $0 + Self.heldSize($1.publish) }
            + qos0WritingBytes
    }

    private func checkOutboundBuffer(adding size: Int) throws {
        let held = outboundBufferedBytes
        guard held + size <= configuration.outboundBufferBytes else {
            droppedPublishes += 1
            logger.warning(
                "publish refused: outbound buffer full",
                metadata: ["mqtt.held_bytes": "\(held)", "mqtt.publish_bytes": "\(size)", "mqtt.dropped_publishes": "\(droppedPublishes)"]
            )
            throw MQTTClientError(
                .outboundBufferFull, "\(held) bytes of publishes are waiting; \(size) more exceed \(configuration.outboundBufferBytes)"
            )
        }
    }

    private func checkOfflineCapacity() throws {
        let waiting = offlineQoS0.count + outgoing.values.count(where: { $0.stage == .unsent })
        guard waiting < configuration.offlineQueueCapacity else {
            throw MQTTClientError(.offlineQueueFull, "\(waiting) publishes are already waiting for the connection")
        }
    }

    /// Subscribes; returns the broker's return code per filter (0–2 granted QoS, 0x80 refused). Granted
    /// filters are subscribed again after every reconnect.
    @discardableResult
    public func subscribe(_ filters: [(String, MQTTQoS)]) async throws -> [UInt8] {
        guard connected else { throw MQTTClientError(.notConnected, "subscribe needs a connection") }
        for (filter, qos) in filters {
            if let index = subscriptions.firstIndex(where: { $0.filter == filter }) {
                subscriptions[index].qos = qos
            } else {
                subscriptions.append((filter, qos))
            }
        }
        let id = try allocatePacketId()
        let packet = MQTTSubscribe(packetId: id, subscriptions: filters.map { MQTTSubscription(filter: $0.0, qos: $0.1) })
        let codes = try await request(id: id, .subscribe(packet))
        for (filter, code) in zip(filters.map(\.0), codes) where code == 0x80 {
            subscriptions.removeAll { $0.filter == filter }
        }
        return codes
    }

    /// Subscribes to one filter; returns its return code.
    @discardableResult
    public func subscribe(_ filter: String, qos: MQTTQoS = .atMostOnce) async throws -> UInt8 {
        try await subscribe([(filter, qos)]).first ?? 0x80
    }

    /// Unsubscribes (also from the set restored after reconnects).
    public func unsubscribe(_ filters: [String]) async throws {
        subscriptions.removeAll { filters.contains($0.filter) }
        guard connected else { throw MQTTClientError(.notConnected, "unsubscribe needs a connection") }
        let id = try allocatePacketId()
        _ = try await request(id: id, .unsubscribe(MQTTUnsubscribe(packetId: id, filters: filters)))
    }

    private func request(id: UInt16, _ packet: MQTTPacket) async throws -> [UInt8] {
        guard connected, let channel else { throw MQTTClientError(.notConnected, "no connection") }
        return try await withCheckedThrowingContinuation { continuation in
            requests[id] = continuation
            channel.writeAndFlush(packet, promise: nil)
        }
    }

    private func allocatePacketId() throws -> UInt16 {
        for _ in 0..<Int(UInt16.max) {
            lastPacketId = lastPacketId == UInt16.max ? 1 : lastPacketId + 1
            if outgoing[lastPacketId] == nil, requests[lastPacketId] == nil, resubscriptions[lastPacketId] == nil { return lastPacketId }
        }
        throw MQTTClientError(.invalidArgument, "all 65,535 packet ids are in use")
    }
}

/// The pipeline's tail: every packet into the session's stream, in order; the end of the channel ends it.
private final class PacketStreamHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket

    private let sink: AsyncThrowingStream<MQTTPacket, any Error>.Continuation
    private var error: (any Error)?

    init(sink: AsyncThrowingStream<MQTTPacket, any Error>.Continuation) {
        self.sink = sink
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        sink.yield(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.error == nil { self.error = error }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let error {
            sink.finish(throwing: error)
        } else {
            sink.finish()
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sink.finish()
    }
}

/// The acknowledgements a session sends (PUBACK, PUBREC, PUBREL, PUBCOMP), written in order as the actor
/// decides them and flushed once per event-loop turn: a burst of received QoS 1/2 messages costs one
/// `writev`, not one per message.
private final class AckWriter: Sendable {
    private let channel: any Channel
    /// On the channel's event loop only.
    private let flushScheduled: NIOLoopBoundBox<Bool>

    init(channel: any Channel) {
        self.channel = channel
        self.flushScheduled = NIOLoopBoundBox.makeBoxSendingValue(false, eventLoop: channel.eventLoop)
    }

    func send(_ packet: MQTTPacket) {
        let channel = self.channel
        let flushScheduled = self.flushScheduled
        channel.eventLoop.execute {
            channel.write(packet, promise: nil)
            guard !flushScheduled.value else { return }
            flushScheduled.value = true
            // Runs after every write already queued on the event loop (tasks run in order).
            channel.eventLoop.execute {
                flushScheduled.value = false
                channel.flush()
            }
        }
    }
}
