public import BrokerCore
public import MQTTCore
public import NIOCore

/// What the transport proved about the client before CONNECT.
public enum TransportIdentity: Sendable, Hashable {
    /// Plain TCP, or TLS without a client identity.
    case none
    /// TLS-PSK: the PSK identity the handshake succeeded with (the device's ClientId).
    case pskIdentity(String)
    /// Mutual TLS: the client's leaf certificate, DER.
    case clientCertificate([UInt8])
}

/// Everything known about a client at CONNECT.
public struct MQTTConnectContext: Sendable {
    public var connect: MQTTConnect
    public var remoteAddress: SocketAddress?
    public var transport: TransportIdentity
    /// The connection came over WebSocket.
    public var webSocket: Bool

    public init(connect: MQTTConnect, remoteAddress: SocketAddress?, transport: TransportIdentity, webSocket: Bool) {
        self.connect = connect
        self.remoteAddress = remoteAddress
        self.transport = transport
        self.webSocket = webSocket
    }
}

/// The outcome of authentication.
public enum MQTTAuthDecision: Sendable, Equatable {
    case accept(ClientIdentity)
    /// CONNACK return code (v3: 1–5) and a reason for the log.
    case refuse(returnCode: UInt8, reason: String)
}

/// How an authenticator answers a CONNECT.
public enum MQTTAuthOutcome: Sendable {
    /// Decided at once.
    case decided(MQTTAuthDecision)
    /// Decided later; the future is on the connection's event loop.
    case deferred(EventLoopFuture<MQTTAuthDecision>)
}

/// Authenticates CONNECTs and learns when sessions end.
///
/// Both are called on the connection's event loop and must not block it: an authenticator that needs
/// the registry answers with a deferred decision (a future of that event loop), and hands session ends
/// on without waiting.
public protocol MQTTAuthenticator: Sendable {
    func authenticate(_ context: MQTTConnectContext, eventLoop: any EventLoop) -> MQTTAuthOutcome
    /// The connection of an accepted client closed (called on the connection's event loop).
    func connectionClosed(_ identity: ClientIdentity, clientId: String, eventLoop: any EventLoop)
}

/// Accepts every client as anonymous: for trusted setups and tests.
public struct AnonymousAuthenticator: MQTTAuthenticator {
    public init() {}
    public func authenticate(_ context: MQTTConnectContext, eventLoop: any EventLoop) -> MQTTAuthOutcome { .decided(.accept(.anonymous)) }
    public func connectionClosed(_ identity: ClientIdentity, clientId: String, eventLoop: any EventLoop) {}
}
