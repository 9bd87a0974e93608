import BrokerCore
import Logging
import MQTTCore
import NIOCore

/// The MQTT side of one connection, whatever carries its bytes: waits for CONNECT, authenticates it (at once
/// or asynchronously), then feeds every packet to the broker. Writes go through the connection's
/// `ConnectionHandle`.
///
/// Two transports subclass it: `MQTTConnectionHandler` (a SwiftNIO channel handler: TLS, WebSocket, and plain
/// TCP when configured so) and `PollConnection` (the hub's own plain-TCP transport). They feed it bytes
/// (`bytesReceived`, `readComplete`, `transportClosed`, `transportFailed`) and implement the few transport
/// operations it calls (`eventLoop`, `remoteAddress`, `resolveTransportIdentity`, `setReading`,
/// `sendThenClose`, `closeTransport`, `makeOutput`). Everything runs on the connection's event loop.
///
/// It splits the byte stream into packets itself (`MQTTFrameDecoder.decodeFrame`): bytes of an incomplete
/// packet wait in `partial`; a connection between packets holds no buffer of its own.
///
/// Before CONNACK a connection is cheap to hold: its first byte must be a CONNECT fixed header (0x10), and
/// it may send at most `preConnectBytes` (the CONNECT and anything pipelined behind it) until its CONNECT is
/// decided; beyond either it is closed at once. Once connected, reading pauses while its unwritten output is
/// over the watermark (`outputBackpressure`), and a connection that stays over it too long is closed.
class MQTTConnectionCore {
    enum State {
        case awaitingConnect
        /// Boxed: a CONNECT is large, and the state of every connected client would be sized for it.
        indirect case authenticating(connect: MQTTConnect, buffered: [MQTTFrame])
        case connected(version: MQTTProtocolVersion, identity: ClientIdentity, clientId: String)
        case closed
    }

    let id: ConnectionID
    /// What every connection of the listener shares, held by one reference (the fields were ~170 bytes of
    /// every idle connection).
    let listener: MQTTListenerContext

    var host: BrokerHost { listener.host }
    var authenticator: any MQTTAuthenticator { listener.authenticator }
    var metrics: MQTTServerMetrics { listener.metrics }
    var logger: Logger { listener.logger }
    var framer: MQTTFrameDecoder { listener.framer }

    private(set) var state = State.awaitingConnect
    /// Packets of the current read burst, not yet given to the broker.
    private var received: [MQTTPacket] = []
    private(set) var handle: ConnectionHandle?
    /// The client id of the CONNECT being authenticated (for undoing a login if the connection closes first).
    private var connectingClientId = ""
    /// Bytes of the CONNECT and the packets received behind it while authenticating.
    private var bufferedBytes = 0
    /// Received bytes of a packet not complete yet.
    private var partial: ByteBuffer?
    /// Why reading is paused (`Pause` bits); reading runs when none is set.
    private var pauses: UInt8 = 0
    /// What this connection counts as in `MQTTConnectionLimits`.
    private var counted = Counted.pending
    /// When the unwritten output went over the watermark (uptime nanoseconds), 0 while it is not.
    private var outputOverSince: UInt64 = 0

    private enum Pause {
        /// A packet arrived behind CONNECT while authenticating.
        static let authenticating: UInt8 = 1
        /// The unwritten output is over the watermark.
        static let output: UInt8 = 2
    }

    private enum Counted: UInt8 {
        case pending, admitted, none
    }

    /// The transport counted the socket as pending (`MQTTConnectionLimits.acceptPending`) before.
    init(id: ConnectionID, listener: MQTTListenerContext) {
        self.id = id
        self.listener = listener
    }

    deinit {
        // A connection that never saw its transport close (a NIO handler whose WebSocket upgrade never
        // happened) gives its place back here.
        releaseCount()
    }

    // MARK: what a transport implements

    /// The event loop the connection runs on.
    var eventLoop: any EventLoop { fatalError("a transport implements eventLoop") }
    /// The client's address.
    var remoteAddress: SocketAddress? { nil }
    /// What the transport proved about the client (a TLS-PSK identity, a client certificate); calls back on
    /// the event loop.
    func resolveTransportIdentity(_ body: @escaping @Sendable (TransportIdentity) -> Void) { body(.none) }
    /// Pauses or resumes reading from the socket (resuming also reads what is waiting).
    func setReading(_ enabled: Bool) {}
    /// Writes the bytes, then closes the connection once they are written.
    func sendThenClose(_ buffer: ByteBuffer) { fatalError("a transport implements sendThenClose") }
    /// Closes the connection; `transportClosed` follows.
    func closeTransport() { fatalError("a transport implements closeTransport") }
    /// The broker's way to write to this connection.
    func makeOutput() -> ConnectionOutput { fatalError("a transport implements makeOutput") }
    /// A CONNECT arrived (the transport may stop its connect timer).
    func connectReceived() {}

    // MARK: events from the transport

    /// Bytes from the client: split into packets, each handled in order (broker events wait for
    /// `readComplete`).
    final func bytesReceived(_ bytes: ByteBuffer) {
        var buffer = bytes
        if var pending = partial {
            partial = nil
            pending.writeBuffer(&buffer)
            buffer = pending
        }
        if case .awaitingConnect = state, let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), first != 0x10 {
            // MQTT-3.1.0-1: the first packet is CONNECT; there is nothing to wait for.
            return close("first byte 0x\(String(first, radix: 16)) is not CONNECT", metric: "not_connect")
        }
        do {
            while true {
                // Before CONNECT, the frame limit is the pre-CONNECT budget: a larger declared length is
                // refused before any of it is buffered.
                let awaitingConnect: Bool
                if case .awaitingConnect = state { awaitingConnect = true } else { awaitingConnect = false }
                guard let frame = try (awaitingConnect ? listener.connectFramer : framer).decodeFrame(&buffer) else { break }
                receiveFrame(frame)
                if case .closed = state { return }
            }
        } catch {
            if case .awaitingConnect = state, error.code == .packetTooLarge {
                return close("CONNECT larger than \(listener.preConnectBytes) bytes", metric: "connect_too_large")
            }
            // As a ByteToMessageHandler would report it: the packets before are processed (transportClosed
            // runs them first), the connection closes.
            transportFailed(error)
            return
        }
        if buffer.readableBytes > 0 { partial = buffer }
        if let allowed = preConnackReadLimit, allowed <= 0 {
            close("more than \(listener.preConnectBytes) bytes before CONNACK", metric: "pre_connack_overflow")
        }
    }

    /// Before CONNACK, the most the transport may read now (one byte more than the pre-CONNECT budget leaves,
    /// so that a client over it is seen and closed); nil once connected. Zero or less: over the budget.
    final var preConnackReadLimit: Int? {
        switch state {
        case .awaitingConnect, .authenticating:
            listener.preConnectBytes + 1 - bufferedBytes - (partial?.readableBytes ?? 0)
        case .connected, .closed:
            nil
        }
    }

    /// The end of a read burst: the packets decoded so far go to the broker.
    final func readComplete() {
        performReceived()
    }

    /// The connection closed (either side).
    final func transportClosed() {
        // What arrived before the connection closed is processed first, as it would have been packet by packet.
        if case .connected = state { performReceived() }
        let previous = state
        state = .closed
        // The handle refers back to its connection (the poll transport's output is the connection itself).
        handle = nil
        releaseCount()
        if case .connected(_, let identity, let clientId) = previous {
            let stillConnected = host.connectionClosed(id, clientId: clientId)
            metrics.disconnected()
            // A takeover already moved the client to another connection: that one is the client's presence.
            if !stillConnected { authenticator.connectionClosed(identity, clientId: clientId, eventLoop: eventLoop) }
        }
    }

    /// A transport or framing error: logged, and the connection closes.
    final func transportFailed(_ error: any Error) {
        if error is MQTTCodecError {
            metrics.protocolError()
            metrics.connectionClosed("protocol_error")
        }
        logger.debug("connection error", metadata: metadata(["error": "\(error)"]))
        closeTransport()
    }

    /// The socket can take data again.
    final func writable() {
        handle?.resume()
    }

    /// The connection's unwritten output went over the watermark (`over`) or back below half of it (from its
    /// handle, on the event loop). Over it, reading pauses, so a client that sends without reading (PINGREQ
    /// or QoS 1 floods) stops being read instead of growing the queue; one that stays over it for
    /// `outputStallTimeoutSeconds` is closed.
    final func outputBackpressure(_ over: Bool) {
        guard case .connected = state else { return }
        setPause(Pause.output, over)
        guard over else {
            outputOverSince = 0
            return
        }
        let since = NIODeadline.now().uptimeNanoseconds
        outputOverSince = since
        let timeout = listener.outputStallTimeoutSeconds
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.scheduleTask(in: .seconds(Int64(timeout))) {
            let connection = loopBound.value
            guard connection.outputOverSince == since, case .connected = connection.state else { return }
            connection.close("output over the watermark for \(timeout) s", metric: "output_stalled")
        }
    }

    /// The connection's queue could not take a packet within its byte budget (on the event loop).
    final func outputBudgetExceeded(_ budget: Int) {
        guard case .connected = state else { return }
        close("output over its budget of \(budget) bytes", metric: "output_budget")
    }

    private func setPause(_ reason: UInt8, _ paused: Bool) {
        let wasReading = pauses == 0
        if paused { pauses |= reason } else { pauses &= ~reason }
        if (pauses == 0) != wasReading { setReading(pauses == 0) }
    }

    /// Gives the connection's place in `MQTTConnectionLimits` back.
    private func releaseCount() {
        switch counted {
        case .pending: listener.limits.releasePending()
        case .admitted: listener.limits.releaseAdmitted()
        case .none: break
        }
        counted = .none
    }

    // MARK: the protocol

    /// `extra` with the connection's id and, once connected, its client id.
    final func metadata(_ extra: Logger.Metadata) -> Logger.Metadata {
        var metadata = extra
        metadata["mqtt.connection"] = "\(id)"
        if case .connected(_, _, let clientId) = state { metadata["mqtt.client_id"] = "\(clientId)" }
        return metadata
    }

    private func receiveFrame(_ frame: MQTTFrame) {
        switch state {
        case .awaitingConnect:
            receiveConnect(frame)
        case .authenticating(let connect, var buffered):
            // Clients need not wait for CONNACK (MQTT 3.1.1 §3.1.4). Backpressure instead of a packet limit:
            // reading pauses at the first packet behind CONNECT (most clients send none, and then reading
            // never pauses), so only what was already read arrives here; the pre-CONNECT budget caps it.
            setPause(Pause.authenticating, true)
            bufferedBytes += frame.packetSize
            guard bufferedBytes <= listener.preConnectBytes else {
                return close("more than \(listener.preConnectBytes) bytes before CONNACK", metric: "pre_connack_overflow")
            }
            buffered.append(frame)
            state = .authenticating(connect: connect, buffered: buffered)
        case .connected(let version, _, _):
            receive(frame, version: version)
        case .closed:
            break
        }
    }

    private func receiveConnect(_ frame: MQTTFrame) {
        // MQTT-3.1.0-1: the first packet must be CONNECT.
        guard frame.typeAndFlags >> 4 == MQTTPacketType.connect.rawValue,
            case .connect(let connect)? = try? MQTTPacketDecoder.decode(frame, version: .v3_1_1)
        else {
            return close("first packet is not a valid CONNECT", metric: "not_connect")
        }
        connectReceived()
        // No longer pending: the client now needs a place among the connections, or is answered that the
        // hub is full (CONNACK 3) without being authenticated.
        releaseCount()
        guard listener.limits.admit() else {
            metrics.connectRefused("max_connections")
            metrics.connectionClosed("max_connections")
            return refuse(returnCode: 0x03, version: .v3_1_1, reason: "more than \(listener.limits.maxConnections) connections")
        }
        counted = .admitted
        bufferedBytes = frame.packetSize
        guard let version = MQTTProtocolVersion(protocolName: connect.protocolName, protocolLevel: connect.protocolLevel), version != .v5 else {
            // MQTT-3.1.2-2: unacceptable protocol level → CONNACK 1, then close.
            metrics.connectRefused("unacceptable_protocol")
            return refuse(returnCode: 0x01, version: .v3_1_1, reason: "unacceptable protocol \(connect.protocolName)/\(connect.protocolLevel)")
        }
        state = .authenticating(connect: connect, buffered: [])
        connectingClientId = connect.clientId
        let eventLoop = self.eventLoop
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        let authenticator = self.authenticator
        let webSocket = listener.webSocket
        let remoteAddress = self.remoteAddress
        resolveTransportIdentity { transport in
            let connectContext = MQTTConnectContext(connect: connect, remoteAddress: remoteAddress, transport: transport, webSocket: webSocket)
            switch authenticator.authenticate(connectContext, eventLoop: eventLoop) {
            case .decided(let decision):
                loopBound.value.finishAuthentication(decision, version: version)
            case .deferred(let future):
                future.hop(to: eventLoop).whenComplete { result in
                    let decision = (try? result.get()) ?? .refuse(returnCode: 0x03, reason: "authentication failed")
                    loopBound.value.finishAuthentication(decision, version: version)
                }
            }
        }
    }

    private func finishAuthentication(_ decision: MQTTAuthDecision, version: MQTTProtocolVersion) {
        guard case .authenticating(let connect, let buffered) = state else {
            // The connection closed while authenticating: undo the login.
            if case .accept(let identity) = decision {
                authenticator.connectionClosed(identity, clientId: connectingClientId, eventLoop: eventLoop)
            }
            return
        }
        switch decision {
        case .refuse(let returnCode, let reason):
            metrics.connectRefused("return_code_\(returnCode)")
            refuse(returnCode: returnCode, version: version, reason: reason)
        case .accept(let identity):
            let handle = ConnectionHandle(id: id, output: makeOutput(), version: version, limits: listener.output, metrics: metrics)
            self.handle = handle
            host.register(handle)
            state = .connected(version: version, identity: identity, clientId: connect.clientId)
            connectingClientId = ""
            logger.debug("client connected", metadata: metadata(["hub.identity": "\(identity)"]))
            metrics.connected()
            let id = self.id
            host.perform { broker, now in broker.connect(id, connect, identity: identity, now: now) }
            for frame in buffered {
                guard case .connected = state else { break }
                receive(frame, version: version)
            }
            performReceived()
            bufferedBytes = 0
            if case .connected = state { setPause(Pause.authenticating, false) }
        }
    }

    private func receive(_ frame: MQTTFrame, version: MQTTProtocolVersion) {
        let packet: MQTTPacket
        do {
            packet = try MQTTPacketDecoder.decode(frame, version: version)
        } catch {
            metrics.protocolError()
            return close("malformed packet: \(error)", metric: "protocol_error")
        }
        metrics.packetReceived(packet)
        received.append(packet)
    }

    /// Runs the packets decoded so far through the broker, in order, under one acquisition of the broker lock
    /// (at the end of each read burst, instead of once per packet).
    private func performReceived() {
        guard !received.isEmpty else { return }
        let packets = received
        received.removeAll(keepingCapacity: packets.count > 1)
        let id = self.id
        host.perform { broker, now in
            if packets.count == 1 { return broker.receive(id, packets[0], now: now) }
            var actions: [BrokerAction] = []
            for packet in packets { actions += broker.receive(id, packet, now: now) }
            return actions
        }
    }

    private func refuse(returnCode: UInt8, version: MQTTProtocolVersion, reason: String) {
        logger.info("connection refused", metadata: metadata(["mqtt.return_code": "\(returnCode)", "hub.reason": "\(reason)"]))
        state = .closed
        var buffer = ByteBuffer()
        buffer.reserveCapacity(4)
        MQTTPacketEncoder.encode(.connack(MQTTConnAck(sessionPresent: false, returnCode: returnCode)), version: version, into: &buffer)
        sendThenClose(buffer)
    }

    /// Closes the connection, logging why and counting it under `metric` (a bounded label).
    private func close(_ reason: String, metric: String) {
        logger.info("closing connection", metadata: metadata(["hub.reason": "\(reason)"]))
        metrics.connectionClosed(metric)
        closeTransport()
    }
}

/// What the connections of one listener share.
final class MQTTListenerContext: Sendable {
    let host: BrokerHost
    let authenticator: any MQTTAuthenticator
    let connectTimeoutSeconds: Int
    let output: ConnectionHandle.Limits
    let framer: MQTTFrameDecoder
    /// The framer of the first packet: at most `preConnectBytes`.
    let connectFramer: MQTTFrameDecoder
    let preConnectBytes: Int
    let outputStallTimeoutSeconds: Int
    let refusedAtAccept: (@Sendable (String) -> Bool)?
    /// Shared by every listener of the server.
    let limits: MQTTConnectionLimits
    let webSocket: Bool
    /// The listener speaks TLS: the transport may carry a client certificate.
    let tls: Bool
    let transportIdentity: @Sendable (any Channel) -> EventLoopFuture<TransportIdentity>
    let metrics: MQTTServerMetrics
    /// The server's logger, shared: per-connection metadata is added when a line is logged, so that an idle
    /// connection carries no metadata dictionary of its own.
    let logger: Logger

    /// CONNACK 5 (not authorized), the answer to a source refused at accept (the same bytes in MQTT 3.1 and
    /// 3.1.1).
    static let refusedConnack: [UInt8] = [0x20, 0x02, 0x00, 0x05]

    init(
        host: BrokerHost,
        authenticator: any MQTTAuthenticator,
        configuration: MQTTServerConfiguration,
        limits: MQTTConnectionLimits,
        webSocket: Bool,
        tls: Bool,
        transportIdentity: @escaping @Sendable (any Channel) -> EventLoopFuture<TransportIdentity>,
        metrics: MQTTServerMetrics,
        logger: Logger
    ) {
        self.tls = tls
        self.host = host
        self.authenticator = authenticator
        self.connectTimeoutSeconds = configuration.connectTimeoutSeconds
        self.output = ConnectionHandle.Limits(
            maxPackets: configuration.maxPendingOutbound, watermark: configuration.outputWatermark, budget: configuration.outputBudget
        )
        self.framer = MQTTFrameDecoder(maxPacketSize: configuration.maxPacketSize)
        self.preConnectBytes = max(configuration.preConnectBytes, 2)
        self.connectFramer = MQTTFrameDecoder(maxPacketSize: min(self.preConnectBytes, configuration.maxPacketSize))
        self.outputStallTimeoutSeconds = configuration.outputStallTimeoutSeconds
        self.refusedAtAccept = configuration.refusedAtAccept
        self.limits = limits
        self.webSocket = webSocket
        self.transportIdentity = transportIdentity
        self.metrics = metrics
        self.logger = logger
    }
}
