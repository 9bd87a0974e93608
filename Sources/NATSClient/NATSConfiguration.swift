import NATSCore

/// Everything a ``NATSConnection`` needs to know. Every field documents its default.
public struct NATSConfiguration: Sendable {
    /// A server to connect to. Only plain TCP is supported.
    public struct Server: Hashable, Sendable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int = 4222) {
            self.host = host
            self.port = port
        }

        public var description: String { "\(self.host):\(self.port)" }
    }

    /// Keep-alive: the client PINGs the server and declares the connection dead when PONGs stop coming.
    public struct KeepAlive: Sendable {
        /// How often the client sends a PING. Default: 2 minutes (as the official clients).
        public var pingInterval: Duration
        /// How many PINGs may be unanswered when the next is due before the connection is declared stale and
        /// closed (then reconnected). Default: 2.
        public var maxOutstandingPings: Int

        public init(pingInterval: Duration = .seconds(120), maxOutstandingPings: Int = 2) {
            self.pingInterval = pingInterval
            self.maxOutstandingPings = maxOutstandingPings
        }
    }

    /// What happens after an established connection drops.
    public struct Reconnect: Sendable {
        /// Whether to reconnect at all. Default: `true`.
        public var isEnabled: Bool
        /// Consecutive failed attempts after which the connection gives up and closes; `nil` retries forever.
        /// Default: `nil`.
        public var maxAttempts: Int?
        /// The wait before the first attempt; it doubles with each failed attempt. Default: 100 ms.
        public var initialDelay: Duration
        /// The longest wait between attempts. Default: 2 s.
        public var maxDelay: Duration
        /// A random extra wait of up to this fraction of the delay, so that many clients do not reconnect in
        /// lockstep. Default: 0.2.
        public var jitter: Double
        /// How many bytes of publishes are kept while disconnected, sent in order after reconnecting. Beyond it
        /// publishes fail with ``NATSClientError/Code/reconnectBufferFull``. Default: 8 MiB.
        public var bufferBytes: Int

        public init(
            isEnabled: Bool = true,
            maxAttempts: Int? = nil,
            initialDelay: Duration = .milliseconds(100),
            maxDelay: Duration = .seconds(2),
            jitter: Double = 0.2,
            bufferBytes: Int = 8 * 1024 * 1024
        ) {
            self.isEnabled = isEnabled
            self.maxAttempts = maxAttempts
            self.initialDelay = initialDelay
            self.maxDelay = maxDelay
            self.jitter = jitter
            self.bufferBytes = bufferBytes
        }
    }

    /// The servers, tried in order on connect and in rotation on reconnect. Default: `127.0.0.1:4222`.
    public var servers: [Server]
    /// Client name and credentials sent in CONNECT. Default: no name, no credentials, echo on.
    public var connectOptions: NATSConnectOptions
    /// The limit for opening TCP and for completing the NATS handshake, each. Default: 5 s.
    public var connectTimeout: Duration
    /// Default: ping every 2 minutes, stale after 2 unanswered.
    public var keepAlive: KeepAlive
    /// Default: reconnect forever with 100 ms…2 s back-off and an 8 MiB publish buffer.
    public var reconnect: Reconnect
    /// The buffer of each subscription, unless ``NATSConnection/subscribe(_:queue:limits:)`` is given other
    /// limits. Default: 65 536 messages, 64 MiB.
    public var subscriptionLimits: NATSSubscription.Limits
    /// Limits on what the server may send. Default: 64 KiB control lines, 8 MiB payloads.
    public var parserLimits: NATSServerOperationParser.Limits
    /// The prefix of the request/reply inbox (`<prefix>.<random>.*`). Default: `_INBOX`.
    public var inboxPrefix: String

    public init(
        servers: [Server] = [Server(host: "127.0.0.1")],
        connectOptions: NATSConnectOptions = NATSConnectOptions(),
        connectTimeout: Duration = .seconds(5),
        keepAlive: KeepAlive = KeepAlive(),
        reconnect: Reconnect = Reconnect(),
        subscriptionLimits: NATSSubscription.Limits = NATSSubscription.Limits(),
        parserLimits: NATSServerOperationParser.Limits = NATSServerOperationParser.Limits(),
        inboxPrefix: String = "_INBOX"
    ) {
        self.servers = servers
        self.connectOptions = connectOptions
        self.connectTimeout = connectTimeout
        self.keepAlive = keepAlive
        self.reconnect = reconnect
        self.subscriptionLimits = subscriptionLimits
        self.parserLimits = parserLimits
        self.inboxPrefix = inboxPrefix
    }
}
