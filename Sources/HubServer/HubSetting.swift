import Foundation
import Logging
import MQTTServer

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
        HubSetting("sqlite-synchronous", "IOTHUB_SQLITE_SYNCHRONOUS", "sqliteSynchronous", "full (fsync each commit, default) or normal") {
            guard $1 == "full" || $1 == "normal" else { throw HubConfigurationError("sqlite-synchronous must be full or normal") }
            $0.sqliteSynchronous = $1
        },
        HubSetting("max-body-size", "IOTHUB_MAX_BODY_SIZE", "maxBodySize", "Largest device HTTP request body in bytes. Default 16384") {
            guard let size = Int($1), size > 0 else { throw HubConfigurationError("max-body-size must be a positive integer") }
            $0.maxBodySize = size
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
        HubSetting("mqtt-max-subscriptions", "IOTHUB_MQTT_MAX_SUBSCRIPTIONS", "mqttMaxSubscriptions", "Subscriptions per client. Default 100") {
            $0.mqttMaxSubscriptions = try positive($1)
        },
        HubSetting("mqtt-max-topic-levels", "IOTHUB_MQTT_MAX_TOPIC_LEVELS", "mqttMaxTopicLevels", "Levels of a topic. Default 32") {
            $0.mqttMaxTopicLevels = try positive($1)
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
