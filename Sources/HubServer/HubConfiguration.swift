public import Logging
public import HubConsole
public import HubHTTP
public import MQTTServer
public import Registry

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
    public var firmwareURLScheme: FirmwareURLScheme = .auto
    /// Largest firmware file in bytes, uploaded by the GetCOSURL PUT or the web console. Default 67108864
    /// (64 MiB).
    public var firmwareMaxSize: Int64 = 64 << 20
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
    /// A PostgreSQL URL: products, devices, the registration audit, OTA, applications, operators and bans are kept
    /// there (shared by the nodes of a cluster); nil = DATA/registry.sqlite. The URL may hold a password: never logged.
    public var database: String?
    /// NATS URLs of the cluster this node joins; empty = a hub of its own.
    public var cluster: [String] = []
    /// Bytes of messages waiting to go to the other nodes (`ClusterBridge`).
    public var clusterQueueBytes = 16 * 1024 * 1024
    /// Keep retained messages and persistent sessions in `DATA/broker.sqlite` (acknowledged once written);
    /// false: in memory only, lost at a restart.
    public var brokerPersistence = true
    /// Seconds a graceful shutdown (SIGTERM, SIGINT) may take: listeners stop accepting and finish what they
    /// started, the broker closes its connections after writing what is queued, the broker state and the
    /// registry are flushed; after it the services still running are cancelled (the registry is flushed
    /// all the same).
    public var shutdownGrace = 15
    /// Largest device HTTP request body in bytes. Default 16384.
    public var maxBodySize = 16 * 1024
    /// Management-API signatures remembered for their 5-minute window, to refuse a captured request replayed
    /// as another action or body; when full, new signatures are refused (RequestLimitExceeded). Fixed-size
    /// entries (at most ~340 bytes each, measured). Default 100000; 0 = no replay check.
    public var apiReplayCacheEntries = 100_000
    /// Refuse a known signature with a different request even on the TCP connection of its first use (where
    /// a client of the official SDKs legitimately reuses it: two actions with the same body in one second).
    /// Turn on behind a reverse proxy that shares upstream connections between clients. Default false.
    public var apiReplayStrict = false
    /// Seconds after a signature's first use in which a different request with it still passes from any
    /// connection (the official SDKs send two actions with one body in one second under one signature).
    /// Default 2.
    public var apiReplayGrace = 2
    /// Seconds from a request's first byte (the accept, for the first request) to the end of its head, on
    /// every HTTP listener. Default 10.
    public var httpHeaderTimeout = 10
    /// Seconds between two reads of a request body on every HTTP listener. Default 10.
    public var httpBodyTimeout = 10
    /// Seconds a keep-alive HTTP connection may stay without a request. Default 60.
    public var httpIdleTimeout = 60
    /// Seconds the hub reads and discards after the last response of a connection it closes (refused body,
    /// `Connection: close`, HTTP/1.0), waiting for the client to close, before closing itself. Default 5.
    public var httpLingerTimeout = 5
    public var httpLingerBytes = 256 * 1024
    /// Open connections per HTTP listener (device HTTP, device HTTPS, management API); over it a new
    /// connection is closed at once. Default 1024.
    public var httpMaxConnections = 1024
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
    /// Bytes (topic + payload) queued per session. Default 1 MiB.
    public var mqttMaxQueuedBytes = 1024 * 1024
    /// Retained messages held. Default 100000.
    public var mqttMaxRetained = 100_000
    /// Bytes (topic + payload) of all retained messages. Default 64 MiB.
    public var mqttMaxRetainedBytes = 64 * 1024 * 1024
    /// Largest retained message (topic + payload) in bytes. Default 64 KiB.
    public var mqttMaxRetainedMessageBytes = 64 * 1024
    /// Seconds a disconnected persistent session is kept. Default 7200.
    public var mqttSessionExpiry = 7200
    /// Sessions (connected or persistent) per application credential. Default 100.
    public var mqttMaxSessionsPerApp = 100
    /// Bytes of device messages waiting for the hub's services (shadow, OTA, …, webhooks). Default 16 MiB.
    public var servicesQueueBytes = 16 * 1024 * 1024
    /// Bytes of webhook events waiting to be written to the outbox (producers wait beyond). Default 4 MiB.
    public var webhookQueueBytes = 4 * 1024 * 1024
    /// Subscriptions per client. Default 100.
    public var mqttMaxSubscriptions = 100
    /// Levels of a topic. Default 32.
    public var mqttMaxTopicLevels = 32
    /// Rate limits, bans (see `AbuseLimits` for the defaults).
    public var abuse = AbuseLimits()
    /// Registration audit rows older than this many days are deleted (at start and every 10 minutes); 0 =
    /// keep. At least 1 (the replay window reloads a day of nonces). Default 30.
    public var auditMaxAgeDays = 30
    /// The audit keeps at most this many rows, deleting the oldest; 0 = no cap. Default 1000000.
    public var auditMaxRows = 1_000_000
    /// Uploaded log entries kept per device (device-protocol §7.5), the oldest deleted as new ones arrive.
    /// Default 10000.
    public var deviceLogMaxEntries = 10_000
    /// Bytes of uploaded log kept per device. Default 1 MiB.
    public var deviceLogMaxBytes = 1 << 20
    /// Bytes of uploaded log kept over all devices (pruned at start and every 10 minutes); 0 = no limit.
    /// Default 1 GiB.
    public var deviceLogMaxTotalBytes = 1 << 30
    /// Uploaded log entries older than this many days are deleted (at start and every 10 minutes) and never
    /// listed; 0 = keep. Default 7.
    public var deviceLogMaxAgeDays = 7
    /// Largest resource file in bytes, either direction (device-protocol §6.12.4): a bigger
    /// `create_upload_task` gets no reply, a bigger product resource is refused. Default 104857600 (100 MiB).
    public var resourceMaxSize: Int64 = 100 << 20
    /// Bytes of uploads one device may hold (stored or announced); a `create_upload_task` past it gets no
    /// reply. Default 1073741824 (1 GiB).
    public var resourceDeviceQuota: Int64 = 1 << 30
    /// Bytes of all product resources and device uploads together (GetUserResourceInfo `Limit`). Default
    /// 10737418240 (10 GiB).
    public var resourceTotalQuota: Int64 = 10 << 30
    /// Seconds in which refused registrations of one source with one reason are counted into one audit row
    /// (after `auditAggregateAfter` rows of their own); 0 = one row each. Default 10.
    public var auditAggregateWindow = 10
    /// Refused registrations of one source and reason written as rows of their own per window. Default 5.
    public var auditAggregateAfter = 5
    /// The web console (`console-*` settings; see `ConsoleConfiguration` for the defaults).
    public var console = ConsoleConfiguration()
    /// Log level: trace, debug, info, notice, warning, error, critical. Default info.
    public var logLevel: Logger.Level = .info

    public init() {}

    /// Checks the settings that depend on each other.
    public func validate() throws {
        if firmwareURLScheme == .https, httpsPort == nil {
            throw HubConfigurationError("firmware-url-scheme https needs an HTTPS listener (--https-port)")
        }
        if (console.tlsCertificateFile == nil) != (console.tlsKeyFile == nil) {
            throw HubConfigurationError("console-tls-cert-file and console-tls-key-file go together")
        }
        if console.tlsCertificateFile != nil, console.port == nil {
            throw HubConfigurationError("console-tls-cert-file needs the console's own listener (--console-port)")
        }
        if let port = console.port, port != 0, port == apiPort {
            throw HubConfigurationError("console-port must differ from api-port (leave it unset to serve the console on the management listener)")
        }
    }
}
