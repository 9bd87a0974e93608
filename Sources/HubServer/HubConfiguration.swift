public import Logging
public import MQTTServer

/// Every setting of `iothub serve`. Each has a flag, an environment variable and a config-file key; the
/// table `HubSetting.all` is the one place that names them.
public struct HubConfiguration: Sendable, Equatable {
    /// Data directory: registry, CA, management credentials. Default `./iothub-data`.
    public var dataDirectory = "./iothub-data"
    /// Bind address of the device HTTP listener. Default `0.0.0.0`.
    public var httpHost = "0.0.0.0"
    /// Device HTTP port (registration). Default 8080; 0 picks a free port.
    public var httpPort = 8080
    /// Device HTTPS port; nil (default) = no HTTPS listener.
    public var httpsPort: Int?
    /// PEM certificate chain for HTTPS; default: a server certificate issued by the hub CA.
    public var tlsCertificateFile: String?
    /// PEM private key for `tlsCertificateFile`.
    public var tlsKeyFile: String?
    /// Bind address of the management API. Default `127.0.0.1`.
    public var apiHost = "127.0.0.1"
    /// Management API port. Default 9080; 0 picks a free port.
    public var apiPort = 9080
    /// Host names devices use to reach the hub (v2 registration CanonicalHost, server certificate SANs).
    public var publicHosts: [String] = []
    /// SQLite durability: `full` (fsync every commit, default) or `normal` (survives kill -9, not power loss).
    public var sqliteSynchronous = "full"
    /// Largest device HTTP request body in bytes. Default 16384.
    public var maxBodySize = 16 * 1024
    /// Bind address of the MQTT listeners. Default `0.0.0.0`.
    public var mqttHost = "0.0.0.0"
    /// MQTT over TCP. Default 1883; nil = off.
    public var mqttPort: Int? = 1883
    /// MQTT over TLS (hub-CA or operator certificate; X.509 client certificates; TLS-PSK). Default 8883; nil = off.
    public var mqttsPort: Int? = 8883
    /// MQTT over WebSocket (any path, subprotocol mqtt). Default 8083; nil = off.
    public var wsPort: Int? = 8083
    /// Admit MQTT clients without credentials, with access outside the device namespaces. Default false.
    public var allowAnonymous = false
    /// Simultaneous MQTT clients (connected or being authenticated); a CONNECT beyond it gets CONNACK 3 and
    /// is closed. Default 100000.
    public var mqttMaxConnections = 100_000
    /// MQTT sockets that have not sent CONNECT yet (TLS handshakes, WebSocket upgrades included); beyond it a
    /// new socket is closed at accept. Default 10000.
    public var mqttMaxPendingConnections = 10_000
    /// Bytes an MQTT client may send before its CONNECT is decided (the CONNECT and anything behind it). Default 8192.
    public var mqttPreConnectBytes = 8 * 1024
    /// Unwritten output per MQTT connection above which the hub stops reading from it. Default 1048576.
    public var mqttOutputWatermark = 1 << 20
    /// Bytes queued per MQTT connection: QoS 0 beyond it is dropped, anything else closes the connection.
    /// Default 16777216.
    public var mqttOutputBudget = 16 << 20
    /// Seconds an MQTT connection may stay over the output watermark before it is closed. Default 60.
    public var mqttOutputStallTimeout = 60
    /// What carries the plain-TCP MQTT listener: `poll` (the hub's own epoll transport, Linux) or `nio`
    /// (a SwiftNIO channel per connection). Default poll on Linux.
    public var mqttTCPEngine = MQTTServerConfiguration.defaultTCPEngine
    /// Seconds a new MQTT connection may take to send CONNECT before it is closed. Default 10.
    public var mqttConnectTimeout = 10
    /// Largest MQTT packet in bytes. Default 262144.
    public var mqttMaxPacketSize = 256 * 1024
    /// Outbound QoS 1/2 messages in flight per session. Default 20.
    public var mqttMaxInflight = 20
    /// Messages queued per session (offline or window full). Default 1000.
    public var mqttMaxQueued = 1000
    /// Subscriptions per client. Default 100.
    public var mqttMaxSubscriptions = 100
    /// Levels of a topic. Default 32.
    public var mqttMaxTopicLevels = 32
    /// Log level: trace, debug, info, notice, warning, error, critical. Default info.
    public var logLevel: Logger.Level = .info

    public init() {}
}
