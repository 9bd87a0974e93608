public import MQTTCore
public import NIOSSL

/// Everything an ``MQTTClient`` needs to reach its broker and keep the connection alive.
public struct MQTTClientConfiguration: Sendable {
    /// How bytes reach the broker.
    public enum Transport: Sendable {
        /// Plain TCP (port 1883).
        case tcp
        /// TLS (port 8883): server verification against the configuration's trust roots, and the X.509
        /// client certificate it carries, if any. `serverName` is the name checked and sent as SNI; nil
        /// checks the broker's IP address against the certificate.
        case tls(TLSConfiguration, serverName: String?)
    }

    /// The username and password sent in one CONNECT. Asked anew for every connection attempt, so that
    /// signed usernames (Tencent's carry a connection id and an expiry) are fresh each time.
    public struct Credentials: Sendable {
        public var username: String?
        public var password: [UInt8]?

        public init(username: String? = nil, password: [UInt8]? = nil) {
            self.username = username
            self.password = password
        }
    }

    public var host: String
    public var port: Int
    public var transport: Transport
    /// 3.1.1 by default; 3.1 for old brokers.
    public var version: MQTTProtocolVersion
    public var clientId: String
    /// Clean session (default). With `false` the broker keeps subscriptions and queued QoS 1/2 messages
    /// across connections.
    public var cleanSession: Bool
    /// Seconds; 0 turns keep-alive off.
    public var keepAlive: UInt16
    public var credentials: @Sendable () throws -> Credentials
    public var will: MQTTWill?
    /// How long a connection attempt may take until CONNACK.
    public var connectTimeout: Duration
    public var reconnect: ReconnectPolicy
    /// Publishes accepted while disconnected (sent in order after the next CONNACK). Beyond it,
    /// ``MQTTClient/publish(_:payload:qos:retain:)`` throws ``MQTTClientError/Code/offlineQueueFull``.
    public var offlineQueueCapacity: Int
    /// Bytes of publishes the client may hold (topic and payload of QoS 0 publishes waiting for the connection
    /// or the socket, and of QoS 1/2 publishes not yet acknowledged). A publish that does not fit throws
    /// ``MQTTClientError/Code/outboundBufferFull`` and is counted in ``MQTTClient/droppedPublishes``.
    /// Default 1 MiB.
    public var outboundBufferBytes: Int
    /// Received messages buffered for ``MQTTClient/messages``; beyond it the oldest are dropped
    /// (and counted in ``MQTTClient/droppedMessages``).
    public var messageBufferCapacity: Int
    /// Largest packet accepted from the broker.
    public var maxPacketSize: Int

    public init(
        host: String,
        port: Int,
        transport: Transport = .tcp,
        version: MQTTProtocolVersion = .v3_1_1,
        clientId: String,
        cleanSession: Bool = true,
        keepAlive: UInt16 = 60,
        credentials: @escaping @Sendable () throws -> Credentials = { Credentials() },
        will: MQTTWill? = nil,
        connectTimeout: Duration = .seconds(10),
        reconnect: ReconnectPolicy = ReconnectPolicy(),
        offlineQueueCapacity: Int = 1_000,
        outboundBufferBytes: Int = 1 << 20,
        messageBufferCapacity: Int = 10_000,
        maxPacketSize: Int = 1 << 20
    ) {
        self.host = host
        self.port = port
        self.transport = transport
        self.version = version
        self.clientId = clientId
        self.cleanSession = cleanSession
        self.keepAlive = keepAlive
        self.credentials = credentials
        self.will = will
        self.connectTimeout = connectTimeout
        self.reconnect = reconnect
        self.offlineQueueCapacity = offlineQueueCapacity
        self.outboundBufferBytes = outboundBufferBytes
        self.messageBufferCapacity = messageBufferCapacity
        self.maxPacketSize = maxPacketSize
    }
}
