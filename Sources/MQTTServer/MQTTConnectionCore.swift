import BrokerCore
public import Logging
import MQTTCore
public import NIOCore

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
    /// Bytes of the packets received behind CONNECT while authenticating.
    private var bufferedBytes = 0
    /// Received bytes of a packet not complete yet.
    private var partial: ByteBuffer?
    /// Reading was paused while authenticating (a packet arrived behind CONNECT).
    private var readingPaused = false
    private var maxBufferedBytes: Int { max(4 * framer.maxPacketSize, 1 << 20) }

    init(id: ConnectionID, listener: MQTTListenerContext) {
        self.id = id
        self.listener = listener
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
        do {
            while case .some(let frame) = try framer.decodeFrame(&buffer) {
                receiveFrame(frame)
                if case .closed = state { return }
            }
        } catch {
            // As a ByteToMessageHandler would report it: the packets before are processed (transportClosed
            // runs them first), the connection closes.
            transportFailed(error)
            return
        }
        if buffer.readableBytes > 0 { partial = buffer }
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
        if case .connected(_, let identity, let clientId) = previous {
            let stillConnected = host.connectionClosed(id, clientId: clientId)
            metrics.disconnected()
            // A takeover already moved the client to another connection: that one is the client's presence.
            if !stillConnected { authenticator.connectionClosed(identity, clientId: clientId, eventLoop: eventLoop) }
        }
    }

    /// A transport or framing error: logged, and the connection closes.
    final func transportFailed(_ error: any Error) {
        if error is MQTTCodecError { metrics.protocolError() }
        logger.debug("connection error", metadata: metadata(["error": "\(error)"]))
        closeTransport()
    }

    /// The socket can take data again.
    final func writable() {
        handle?.resume()
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
            // never pauses), so only what was already read arrives here; the cap is a safety net.
            if !readingPaused {
                readingPaused = true
                setReading(false)
            }
            bufferedBytes += frame.packetSize
            guard bufferedBytes <= maxBufferedBytes else { return close("too much data before CONNACK") }
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
            return close("first packet is not a valid CONNECT")
        }
        connectReceived()
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
            let handle = ConnectionHandle(id: id, output: makeOutput(), version: version, maxPending: listener.maxPendingOutbound, metrics: metrics)
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
            if readingPaused, case .connected = state {
                readingPaused = false
                setReading(true)
            }
        }
    }

    private func receive(_ frame: MQTTFrame, version: MQTTProtocolVersion) {
        let packet: MQTTPacket
        do {
            packet = try MQTTPacketDecoder.decode(frame, version: version)
        } catch {
            metrics.protocolError()
            return close("malformed packet: \(error)")
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

    private func close(_ reason: String) {
        logger.info("closing connection", metadata: metadata(["hub.reason": "\(reason)"]))
        closeTransport()
    }
}

/// What the connections of one listener share.
final class MQTTListenerContext: Sendable {
    let host: BrokerHost
    let authenticator: any MQTTAuthenticator
    let connectTimeoutSeconds: Int
    let maxPendingOutbound: Int
    let framer: MQTTFrameDecoder
    let webSocket: Bool
    /// The listener speaks TLS: the transport may carry a client certificate.
    let tls: Bool
    let transportIdentity: @Sendable (any Channel) -> EventLoopFuture<TransportIdentity>
    let metrics: MQTTServerMetrics
    /// The server's logger, shared: per-connection metadata is added when a line is logged, so that an idle
    /// connection carries no metadata dictionary of its own.
    let logger: Logger

    init(
        host: BrokerHost,
        authenticator: any MQTTAuthenticator,
        configuration: MQTTServerConfiguration,
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
        self.maxPendingOutbound = configuration.maxPendingOutbound
        self.framer = MQTTFrameDecoder(maxPacketSize: configuration.maxPacketSize)
        self.webSocket = webSocket
        self.transportIdentity = transportIdentity
        self.metrics = metrics
        self.logger = logger
    }
}
