import Foundation
import Logging
import HubConsole
import HubHTTP
import MQTTServer
import Registry

/// One setting's names on the command line, in the environment and in the config file.
public struct HubSetting: Sendable {
    public let flag: String
    public let environment: String
    public let configKey: String
    public let help: String
    let apply: @Sendable (inout HubConfiguration, String) throws -> Void

    public static let all: [HubSetting] = [
        HubSetting("data-dir", "IOTHUB_DATA_DIR", "dataDir", "Data directory (registry, CA, credentials). Default ./iothub-data") {
            $0.dataDirectory = $1
        },
        HubSetting("http-host", "IOTHUB_HTTP_HOST", "httpHost", "Bind address of the device HTTP port. Default 0.0.0.0") {
            $0.httpHost = $1
        },
        HubSetting("http-port", "IOTHUB_HTTP_PORT", "httpPort", "Device HTTP port (dynamic registration). Default 8080") {
            $0.httpPort = try port($1)
        },
        HubSetting("https-port", "IOTHUB_HTTPS_PORT", "httpsPort", "Device HTTPS port; off unless set (8443 is usual)") {
            $0.httpsPort = try port($1)
        },
        HubSetting(
            "firmware-url-scheme", "IOTHUB_FIRMWARE_URL_SCHEME", "firmwareURLScheme",
            "Scheme of the firmware URLs sent to devices: auto (https on the HTTPS port when --https-port is set, else http; default), http or https"
        ) {
            guard let scheme = FirmwareURLScheme(rawValue: $1) else { throw HubConfigurationError("firmware-url-scheme must be auto, http or https") }
            $0.firmwareURLScheme = scheme
        },
        HubSetting("firmware-max-size", "IOTHUB_FIRMWARE_MAX_SIZE", "firmwareMaxSize", "Largest firmware file in bytes (API upload or web console). Default 67108864") {
            $0.firmwareMaxSize = Int64(try positive($1))
        },
        HubSetting("tls-cert-file", "IOTHUB_TLS_CERT_FILE", "tlsCertFile", "PEM certificate chain for HTTPS. Default: issued by the hub CA") {
            $0.tlsCertificateFile = $1
        },
        HubSetting("tls-key-file", "IOTHUB_TLS_KEY_FILE", "tlsKeyFile", "PEM private key for --tls-cert-file") {
            $0.tlsKeyFile = $1
        },
        HubSetting("api-host", "IOTHUB_API_HOST", "apiHost", "Bind address of the management API. Default 127.0.0.1") {
            $0.apiHost = $1
        },
        HubSetting("api-port", "IOTHUB_API_PORT", "apiPort", "Management API port. Default 9080") {
            $0.apiPort = try port($1)
        },
        HubSetting("public-host", "IOTHUB_PUBLIC_HOSTS", "publicHosts", "Comma-separated host names devices use to reach the hub") {
            $0.publicHosts = $1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        },
        HubSetting(
            "database", "IOTHUB_DATABASE", "database",
            "Where the registry is stored: sqlite (DATA/registry.sqlite, default) or postgres://USER:PASSWORD@HOST:PORT/DATABASE, one database shared by every node of a cluster"
        ) {
            if $1 == "sqlite" {
                $0.database = nil
            } else {
                guard $1.hasPrefix("postgres://") || $1.hasPrefix("postgresql://") else {
                    throw HubConfigurationError("database must be sqlite or a postgres://USER:PASSWORD@HOST:PORT/DATABASE URL")
                }
                $0.database = $1
            }
        },
        HubSetting(
            "cluster", "IOTHUB_CLUSTER", "cluster",
            "Join a hub cluster: comma-separated nats://HOST:PORT URLs of its NATS servers (messages and takeovers cross nodes); off unless set"
        ) {
            $0.cluster = $1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        },
        HubSetting(
            "cluster-queue-bytes", "IOTHUB_CLUSTER_QUEUE_BYTES", "clusterQueueBytes",
            "Bytes of messages waiting to go to the other nodes; beyond, dropped and counted. Default 16777216"
        ) {
            $0.clusterQueueBytes = try positive($1)
        },
        HubSetting("sqlite-synchronous", "IOTHUB_SQLITE_SYNCHRONOUS", "sqliteSynchronous", "full (fsync each commit, default) or normal") {
            guard $1 == "full" || $1 == "normal" else { throw HubConfigurationError("sqlite-synchronous must be full or normal") }
            $0.sqliteSynchronous = $1
        },
        HubSetting(
            "broker-persistence", "IOTHUB_BROKER_PERSISTENCE", "brokerPersistence",
            "true: retained messages and persistent sessions are kept in DATA/broker.sqlite and survive restarts, each written before its PUBACK; false: memory only. Default true"
        ) {
            $0.brokerPersistence = try bool($1)
        },
        HubSetting(
            "shutdown-grace", "IOTHUB_SHUTDOWN_GRACE", "shutdownGrace",
            "Seconds a graceful shutdown (SIGTERM) may take before what still runs is cancelled. Default 15"
        ) {
            $0.shutdownGrace = try positive($1)
        },
        HubSetting("console", "IOTHUB_CONSOLE", "console", "true: serve the web console (under /console on the management listener, or on --console-port). Default true") {
            $0.console.enabled = try bool($1)
        },
        HubSetting(
            "console-port", "IOTHUB_CONSOLE_PORT", "consolePort",
            "The web console's own listener (pages under /console); unset: the console is served on the management listener"
        ) {
            $0.console.port = try port($1)
        },
        HubSetting("console-host", "IOTHUB_CONSOLE_HOST", "consoleHost", "Bind address of the console's own listener (--console-port). Default 127.0.0.1") {
            $0.console.host = $1
        },
        HubSetting(
            "console-tls-cert-file", "IOTHUB_CONSOLE_TLS_CERT_FILE", "consoleTlsCertFile",
            "PEM certificate chain for the console's own listener: with --console-tls-key-file it serves HTTPS and the session cookie is Secure"
        ) {
            $0.console.tlsCertificateFile = $1
        },
        HubSetting("console-tls-key-file", "IOTHUB_CONSOLE_TLS_KEY_FILE", "consoleTlsKeyFile", "PEM private key for --console-tls-cert-file") {
            $0.console.tlsKeyFile = $1
        },
        HubSetting(
            "console-session-idle", "IOTHUB_CONSOLE_SESSION_IDLE", "consoleSessionIdle",
            "Seconds a console session may stay unused before it ends. Default 1800"
        ) {
            $0.console.sessionIdleSeconds = try positive($1)
        },
        HubSetting(
            "console-max-sessions", "IOTHUB_CONSOLE_MAX_SESSIONS", "consoleMaxSessions",
            "Console sessions held at once; beyond, the least recently used one ends. Default 1000"
        ) {
            $0.console.maxSessions = try positive($1)
        },
        HubSetting(
            "console-signin-failures-per-user", "IOTHUB_CONSOLE_SIGNIN_FAILURES_PER_USER", "consoleSigninFailuresPerUser",
            "Failed console sign-ins of one operator name within --console-lockout that lock the name; 0 = no limit. Default 5"
        ) {
            $0.console.maxFailuresPerUser = try nonNegative($1)
        },
        HubSetting(
            "console-signin-failures-per-source", "IOTHUB_CONSOLE_SIGNIN_FAILURES_PER_SOURCE", "consoleSigninFailuresPerSource",
            "Failed console sign-ins from one address within --console-lockout that lock the address; 0 = no limit. Default 20"
        ) {
            $0.console.maxFailuresPerSource = try nonNegative($1)
        },
        HubSetting(
            "console-lockout", "IOTHUB_CONSOLE_LOCKOUT", "consoleLockout",
            "Seconds of the console's sign-in failure window, from its first failure; a locked name or address stays locked until it ends. Default 900"
        ) {
            $0.console.lockoutSeconds = try positive($1)
        },
        HubSetting(
            "console-secure-cookie", "IOTHUB_CONSOLE_SECURE_COOKIE", "consoleSecureCookie",
            "true: mark the console's session cookie Secure (the console is reached over HTTPS, e.g. through a TLS-terminating proxy). Default false"
        ) {
            $0.console.secureCookie = try bool($1)
        },
        HubSetting("max-body-size", "IOTHUB_MAX_BODY_SIZE", "maxBodySize", "Largest device HTTP request body in bytes. Default 16384") {
            guard let size = Int($1), size > 0 else { throw HubConfigurationError("max-body-size must be a positive integer") }
            $0.maxBodySize = size
        },
        HubSetting(
            "api-replay-cache-entries", "IOTHUB_API_REPLAY_CACHE_ENTRIES", "apiReplayCacheEntries",
            "Management-API signatures remembered (5 min) to refuse replays as another request; 0 = off. Default 100000"
        ) {
            guard let value = Int($1), value >= 0 else { throw HubConfigurationError("\($1) is not a non-negative integer") }
            $0.apiReplayCacheEntries = value
        },
        HubSetting(
            "api-replay-strict", "IOTHUB_API_REPLAY_STRICT", "apiReplayStrict",
            "true: refuse a reused management-API signature even on its first connection (behind a connection-sharing proxy). Default false"
        ) {
            $0.apiReplayStrict = try bool($1)
        },
        HubSetting(
            "api-replay-grace", "IOTHUB_API_REPLAY_GRACE", "apiReplayGrace",
            "Seconds after a management-API signature's first use in which another request may reuse it (official SDKs' same-second pairs). Default 2"
        ) {
            guard let value = Int($1), value >= 0 else { throw HubConfigurationError("\($1) is not a non-negative integer") }
            $0.apiReplayGrace = value
        },
        HubSetting("http-header-timeout", "IOTHUB_HTTP_HEADER_TIMEOUT", "httpHeaderTimeout", "Seconds from a request's first byte to the end of its head (HTTP listeners). Default 10") {
            $0.httpHeaderTimeout = try positive($1)
        },
        HubSetting("http-body-timeout", "IOTHUB_HTTP_BODY_TIMEOUT", "httpBodyTimeout", "Seconds between two reads of a request body (HTTP listeners). Default 10") {
            $0.httpBodyTimeout = try positive($1)
        },
        HubSetting("http-idle-timeout", "IOTHUB_HTTP_IDLE_TIMEOUT", "httpIdleTimeout", "Seconds a keep-alive HTTP connection may stay without a request. Default 60") {
            $0.httpIdleTimeout = try positive($1)
        },
        HubSetting("http-linger-timeout", "IOTHUB_HTTP_LINGER_TIMEOUT", "httpLingerTimeout", "Seconds input is read and discarded after a connection's last response before it is closed. Default 5") {
            $0.httpLingerTimeout = try positive($1)
        },
        HubSetting(
            "http-linger-bytes", "IOTHUB_HTTP_LINGER_BYTES", "httpLingerBytes",
            "Bytes read and discarded after a connection's last response before it is closed at once. Default 262144"
        ) {
            $0.httpLingerBytes = try positive($1)
        },
        HubSetting("http-max-connections", "IOTHUB_HTTP_MAX_CONNECTIONS", "httpMaxConnections", "Open connections per HTTP listener; more are closed at once. Default 1024") {
            $0.httpMaxConnections = try positive($1)
        },
        HubSetting("mqtt-host", "IOTHUB_MQTT_HOST", "mqttHost", "Bind address of the MQTT listeners. Default 0.0.0.0") {
            $0.mqttHost = $1
        },
        HubSetting("mqtt-port", "IOTHUB_MQTT_PORT", "mqttPort", "MQTT over TCP port, or off. Default 1883") {
            $0.mqttPort = try optionalPort($1)
        },
        HubSetting("mqtts-port", "IOTHUB_MQTTS_PORT", "mqttsPort", "MQTT over TLS port (X.509 and TLS-PSK devices), or off. Default 8883") {
            $0.mqttsPort = try optionalPort($1)
        },
        HubSetting("ws-port", "IOTHUB_WS_PORT", "wsPort", "MQTT over WebSocket port, or off. Default 8083") {
            $0.wsPort = try optionalPort($1)
        },
        HubSetting("allow-anonymous", "IOTHUB_ALLOW_ANONYMOUS", "allowAnonymous", "true: admit MQTT clients without credentials outside device topics. Default false") {
            $0.allowAnonymous = try bool($1)
        },
        HubSetting("mqtt-max-connections", "IOTHUB_MQTT_MAX_CONNECTIONS", "mqttMaxConnections", "Simultaneous MQTT clients; a CONNECT beyond it gets CONNACK 3. Default 100000") {
            $0.mqttMaxConnections = try positive($1)
        },
        HubSetting("mqtt-max-pending-connections", "IOTHUB_MQTT_MAX_PENDING_CONNECTIONS", "mqttMaxPendingConnections", "MQTT sockets that have not sent CONNECT yet; more are closed at accept. Default 10000") {
            $0.mqttMaxPendingConnections = try positive($1)
        },
        HubSetting("mqtt-pre-connect-bytes", "IOTHUB_MQTT_PRE_CONNECT_BYTES", "mqttPreConnectBytes", "Bytes an MQTT client may send before its CONNECT is decided (the CONNECT included). Default 8192") {
            $0.mqttPreConnectBytes = try positive($1)
        },
        HubSetting("mqtt-output-watermark", "IOTHUB_MQTT_OUTPUT_WATERMARK", "mqttOutputWatermark", "Unwritten bytes per MQTT connection above which the hub stops reading from it. Default 1048576") {
            $0.mqttOutputWatermark = try positive($1)
        },
        HubSetting("mqtt-output-budget", "IOTHUB_MQTT_OUTPUT_BUDGET", "mqttOutputBudget", "Bytes queued per MQTT connection; QoS 0 beyond is dropped, anything else closes it. Default 16777216") {
            $0.mqttOutputBudget = try positive($1)
        },
        HubSetting("mqtt-output-stall-timeout", "IOTHUB_MQTT_OUTPUT_STALL_TIMEOUT", "mqttOutputStallTimeout", "Seconds an MQTT connection may stay over the output watermark before it is closed. Default 60") {
            $0.mqttOutputStallTimeout = try positive($1)
        },
        HubSetting("mqtt-tcp-engine", "IOTHUB_MQTT_TCP_ENGINE", "mqttTCPEngine", "What carries plain-TCP MQTT: poll (the hub's own epoll transport, Linux) or nio. Default poll") {
            guard let engine = MQTTServerConfiguration.TCPEngine(rawValue: $1.lowercased()) else {
                throw HubConfigurationError("\($1) is not poll or nio")
            }
            $0.mqttTCPEngine = engine
        },
        HubSetting("mqtt-connect-timeout", "IOTHUB_MQTT_CONNECT_TIMEOUT", "mqttConnectTimeout", "Seconds a new MQTT connection may take to send CONNECT. Default 10") {
            $0.mqttConnectTimeout = try positive($1)
        },
        HubSetting("mqtt-max-packet-size", "IOTHUB_MQTT_MAX_PACKET_SIZE", "mqttMaxPacketSize", "Largest MQTT packet in bytes. Default 262144") {
            $0.mqttMaxPacketSize = try positive($1)
        },
        HubSetting("mqtt-max-inflight", "IOTHUB_MQTT_MAX_INFLIGHT", "mqttMaxInflight", "Outbound QoS 1/2 messages in flight per session. Default 20") {
            $0.mqttMaxInflight = try positive($1)
        },
        HubSetting("mqtt-max-queued", "IOTHUB_MQTT_MAX_QUEUED", "mqttMaxQueued", "Messages queued per session. Default 1000") {
            $0.mqttMaxQueued = try positive($1)
        },
        HubSetting("mqtt-max-queued-bytes", "IOTHUB_MQTT_MAX_QUEUED_BYTES", "mqttMaxQueuedBytes", "Bytes (topic + payload) queued per session; beyond, messages are dropped and counted. Default 1048576") {
            $0.mqttMaxQueuedBytes = try positive($1)
        },
        HubSetting("mqtt-max-retained", "IOTHUB_MQTT_MAX_RETAINED", "mqttMaxRetained", "Retained messages held. Default 100000") {
            $0.mqttMaxRetained = try positive($1)
        },
        HubSetting("mqtt-max-retained-bytes", "IOTHUB_MQTT_MAX_RETAINED_BYTES", "mqttMaxRetainedBytes", "Bytes (topic + payload) of all retained messages. Default 67108864") {
            $0.mqttMaxRetainedBytes = try positive($1)
        },
        HubSetting("mqtt-max-retained-message-size", "IOTHUB_MQTT_MAX_RETAINED_MESSAGE_SIZE", "mqttMaxRetainedMessageSize", "Largest retained message (topic + payload) in bytes; larger ones are not retained. Default 65536") {
            $0.mqttMaxRetainedMessageBytes = try positive($1)
        },
        HubSetting("mqtt-session-expiry", "IOTHUB_MQTT_SESSION_EXPIRY", "mqttSessionExpiry", "Seconds a disconnected persistent session is kept (caps MQTT 5 Session Expiry Interval). Default 7200") {
            $0.mqttSessionExpiry = try positive($1)
        },
        HubSetting("mqtt-max-sessions-per-app", "IOTHUB_MQTT_MAX_SESSIONS_PER_APP", "mqttMaxSessionsPerApp", "Sessions (connected or persistent) per application credential; over it CONNACK 3. Default 100") {
            $0.mqttMaxSessionsPerApp = try positive($1)
        },
        HubSetting("services-queue-bytes", "IOTHUB_SERVICES_QUEUE_BYTES", "servicesQueueBytes", "Bytes of device messages waiting for the hub's services; beyond, dropped and counted. Default 16777216") {
            $0.servicesQueueBytes = try positive($1)
        },
        HubSetting("webhook-queue-bytes", "IOTHUB_WEBHOOK_QUEUE_BYTES", "webhookQueueBytes", "Bytes of webhook events waiting for the outbox; beyond, producers wait. Default 4194304") {
            $0.webhookQueueBytes = try positive($1)
        },
        HubSetting("mqtt-max-subscriptions", "IOTHUB_MQTT_MAX_SUBSCRIPTIONS", "mqttMaxSubscriptions", "Subscriptions per client. Default 100") {
            $0.mqttMaxSubscriptions = try positive($1)
        },
        HubSetting("mqtt-max-topic-levels", "IOTHUB_MQTT_MAX_TOPIC_LEVELS", "mqttMaxTopicLevels", "Levels of a topic. Default 32") {
            $0.mqttMaxTopicLevels = try positive($1)
        },
        HubSetting("registration-rate", "IOTHUB_REGISTRATION_RATE", "registrationRate", "Dynamic registrations per second per source address; 0 = unlimited. Default 20") {
            $0.abuse.registrationPerSource.rate = try rate($1)
        },
        HubSetting("registration-burst", "IOTHUB_REGISTRATION_BURST", "registrationBurst", "Registrations a source may make at once after a quiet spell. Default 100") {
            $0.abuse.registrationPerSource.burst = try positive($1)
        },
        HubSetting("log-upload-rate", "IOTHUB_LOG_UPLOAD_RATE", "logUploadRate", "Device log uploads (HTTP) per second per source address; 0 = unlimited. Default 20") {
            $0.abuse.logUploadPerSource.rate = try rate($1)
        },
        HubSetting("log-upload-burst", "IOTHUB_LOG_UPLOAD_BURST", "logUploadBurst", "Log uploads a source may make at once. Default 200") {
            $0.abuse.logUploadPerSource.burst = try positive($1)
        },
        HubSetting("mqtt-connect-rate", "IOTHUB_MQTT_CONNECT_RATE", "mqttConnectRate", "MQTT CONNECTs per second per source address; 0 = unlimited. Default 100") {
            $0.abuse.connectPerSource.rate = try rate($1)
        },
        HubSetting("mqtt-connect-burst", "IOTHUB_MQTT_CONNECT_BURST", "mqttConnectBurst", "MQTT CONNECTs a source may send at once. Default 500") {
            $0.abuse.connectPerSource.burst = try positive($1)
        },
        HubSetting("device-connect-rate", "IOTHUB_DEVICE_CONNECT_RATE", "deviceConnectRate", "MQTT CONNECTs per second per device (ClientId); 0 = unlimited. Default 1") {
            $0.abuse.connectPerDevice.rate = try rate($1)
        },
        HubSetting("device-connect-burst", "IOTHUB_DEVICE_CONNECT_BURST", "deviceConnectBurst", "MQTT CONNECTs a device may send at once. Default 30") {
            $0.abuse.connectPerDevice.burst = try positive($1)
        },
        HubSetting("device-publish-rate", "IOTHUB_DEVICE_PUBLISH_RATE", "devicePublishRate", "PUBLISH packets per second per connected device (more are acknowledged and dropped); 0 = unlimited. Default 500") {
            $0.abuse.publishPerDevice.rate = try rate($1)
        },
        HubSetting("device-publish-burst", "IOTHUB_DEVICE_PUBLISH_BURST", "devicePublishBurst", "PUBLISH packets a device may send at once. Default 1000") {
            $0.abuse.publishPerDevice.burst = try positive($1)
        },
        HubSetting("rate-limit-table-size", "IOTHUB_RATE_LIMIT_TABLE_SIZE", "rateLimitTableSize", "Entries per rate-limit, failure and ban table (sources or devices). Default 100000") {
            $0.abuse.tableCapacity = try positive($1)
        },
        HubSetting("ban-after-failures", "IOTHUB_BAN_AFTER_FAILURES", "banAfterFailures", "Authentication failures from one source within --ban-window that ban it; 0 = never. Default 15") {
            $0.abuse.banAfterFailures = try nonNegative($1)
        },
        HubSetting("ban-window", "IOTHUB_BAN_WINDOW", "banWindow", "Seconds in which authentication failures are counted. Default 60") {
            $0.abuse.banWindowSeconds = try positive($1)
        },
        HubSetting("ban-duration", "IOTHUB_BAN_DURATION", "banDuration", "Seconds an automatic ban lasts. Default 300") {
            $0.abuse.banSeconds = try positive($1)
        },
        HubSetting("audit-max-age-days", "IOTHUB_AUDIT_MAX_AGE_DAYS", "auditMaxAgeDays", "Days the registration audit (and the operator audit) keeps a row; 0 = forever. Default 30") {
            $0.auditMaxAgeDays = try nonNegative($1)
        },
        HubSetting("audit-max-rows", "IOTHUB_AUDIT_MAX_ROWS", "auditMaxRows", "Rows the registration audit (and the operator audit) keeps, oldest deleted first; 0 = no cap. Default 1000000") {
            $0.auditMaxRows = try nonNegative($1)
        },
        HubSetting("device-log-max-entries", "IOTHUB_DEVICE_LOG_MAX_ENTRIES", "deviceLogMaxEntries", "Uploaded log entries kept per device, oldest deleted first. Default 10000") {
            $0.deviceLogMaxEntries = try positive($1)
        },
        HubSetting("device-log-max-bytes", "IOTHUB_DEVICE_LOG_MAX_BYTES", "deviceLogMaxBytes", "Bytes of uploaded log kept per device, oldest deleted first. Default 1048576") {
            $0.deviceLogMaxBytes = try positive($1)
        },
        HubSetting(
            "device-log-max-total-bytes", "IOTHUB_DEVICE_LOG_MAX_TOTAL_BYTES", "deviceLogMaxTotalBytes",
            "Bytes of uploaded log kept over all devices, oldest deleted first at start and every 10 minutes; 0 = no limit. Default 1073741824"
        ) {
            $0.deviceLogMaxTotalBytes = try nonNegative($1)
        },
        HubSetting("device-log-max-age-days", "IOTHUB_DEVICE_LOG_MAX_AGE_DAYS", "deviceLogMaxAgeDays", "Days an uploaded device log entry is kept; 0 = forever. Default 7") {
            $0.deviceLogMaxAgeDays = try nonNegative($1)
        },
        HubSetting("resource-max-size", "IOTHUB_RESOURCE_MAX_SIZE", "resourceMaxSize", "Largest resource file in bytes, device uploads and product resources. Default 104857600") {
            $0.resourceMaxSize = Int64(try positive($1))
        },
        HubSetting("resource-device-quota", "IOTHUB_RESOURCE_DEVICE_QUOTA", "resourceDeviceQuota", "Bytes of resource uploads one device may hold. Default 1073741824") {
            $0.resourceDeviceQuota = Int64(try positive($1))
        },
        HubSetting("resource-total-quota", "IOTHUB_RESOURCE_TOTAL_QUOTA", "resourceTotalQuota", "Bytes of all product resources and device uploads together. Default 10737418240") {
            $0.resourceTotalQuota = Int64(try positive($1))
        },
        HubSetting("audit-aggregate-window", "IOTHUB_AUDIT_AGGREGATE_WINDOW", "auditAggregateWindow", "Seconds in which refused registrations of one source and reason share one counted audit row; 0 = a row each. Default 10") {
            $0.auditAggregateWindow = try nonNegative($1)
        },
        HubSetting("audit-aggregate-after", "IOTHUB_AUDIT_AGGREGATE_AFTER", "auditAggregateAfter", "Refused registrations of one source and reason written as their own rows per window before counting starts. Default 5") {
            $0.auditAggregateAfter = try nonNegative($1)
        },
        HubSetting("abuse-exempt", "IOTHUB_ABUSE_EXEMPT", "abuseExempt", "Comma-separated source addresses never rate-limited or banned automatically. Default 127.0.0.1,::1") {
            $0.abuse.exemptSources = Set($1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        },
        HubSetting("log-level", "IOTHUB_LOG_LEVEL", "logLevel", "trace, debug, info, notice, warning, error or critical. Default info") {
            guard let level = Logger.Level(rawValue: $1) else { throw HubConfigurationError("unknown log level \($1)") }
            $0.logLevel = level
        },
    ]

    init(_ flag: String, _ environment: String, _ configKey: String, _ help: String, apply: @escaping @Sendable (inout HubConfiguration, String) throws -> Void) {
        self.flag = flag
        self.environment = environment
        self.configKey = configKey
        self.help = help
        self.apply = apply
    }

    private static func optionalPort(_ text: String) throws -> Int? {
        text == "off" ? nil : try port(text)
    }

    private static func positive(_ text: String) throws -> Int {
        guard let value = Int(text), value > 0 else { throw HubConfigurationError("\(text) is not a positive integer") }
        return value
    }

    private static func nonNegative(_ text: String) throws -> Int {
        guard let value = Int(text), value >= 0 else { throw HubConfigurationError("\(text) is not a non-negative integer") }
        return value
    }

    /// Tokens per second: a non-negative number (fractions allowed: 0.2 = one every 5 s).
    private static func rate(_ text: String) throws -> Double {
        guard let value = Double(text), value >= 0, value.isFinite else { throw HubConfigurationError("\(text) is not a non-negative number") }
        return value
    }

    private static func bool(_ text: String) throws -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw HubConfigurationError("\(text) is not true or false")
        }
    }

    private static func port(_ text: String) throws -> Int {
        guard let port = Int(text), (0...65535).contains(port) else { throw HubConfigurationError("invalid port \(text)") }
        return port
    }
}

public struct HubConfigurationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension HubConfiguration {
    /// Resolves the configuration: command-line values win over the environment, which wins over the
    /// config file (JSON object keyed by `configKey`), which wins over the defaults.
    public static func resolve(
        flags: [String: String],
        environment: [String: String],
        configFile: String?
    ) throws -> HubConfiguration {
        var configuration = HubConfiguration()
        var fileValues: [String: String] = [:]
        if let configFile {
            let data = try Data(contentsOf: URL(fileURLWithPath: configFile))
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw HubConfigurationError("config file \(configFile) must hold a JSON object")
            }
            let known = Set(HubSetting.all.map(\.configKey))
            for (key, value) in object {
                guard known.contains(key) else { throw HubConfigurationError("unknown key \(key) in \(configFile)") }
                switch value {
                case let list as [Any]: fileValues[key] = list.map { "\($0)" }.joined(separator: ",")
                default: fileValues[key] = "\(value)"
                }
            }
        }
        for setting in HubSetting.all {
            let value = flags[setting.flag] ?? environment[setting.environment] ?? fileValues[setting.configKey]
            if let value {
                do {
                    try setting.apply(&configuration, value)
                } catch let error as HubConfigurationError {
                    throw HubConfigurationError("--\(setting.flag): \(error.description)")
                }
            }
        }
        return configuration
    }
}
