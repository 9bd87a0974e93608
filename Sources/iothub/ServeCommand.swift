import ArgumentParser
import Foundation
import HubConsole
import HubServer
import Logging
import Metrics
import Prometheus

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the hub: device HTTP endpoints and the management API, on a SQLite registry.",
        discussion: """
            Every setting can be given as a flag, an environment variable or a key of the JSON config file
            (--config FILE or IOTHUB_CONFIG); flags win over the environment, which wins over the file.

            \(HubSetting.all.map { "  --\($0.flag)  env \($0.environment)  config \"\($0.configKey)\"" }.joined(separator: "\n"))
            """
    )

    @Option(name: .customLong("config"), help: "JSON config file (env IOTHUB_CONFIG).")
    var configFile: String?
    @Option(name: .customLong("data-dir"), help: help("data-dir")) var dataDir: String?
    @Option(name: .customLong("http-host"), help: help("http-host")) var httpHost: String?
    @Option(name: .customLong("http-port"), help: help("http-port")) var httpPort: String?
    @Option(name: .customLong("https-port"), help: help("https-port")) var httpsPort: String?
    @Option(name: .customLong("firmware-url-scheme"), help: help("firmware-url-scheme")) var firmwareURLScheme: String?
    @Option(name: .customLong("tls-cert-file"), help: help("tls-cert-file")) var tlsCertFile: String?
    @Option(name: .customLong("tls-key-file"), help: help("tls-key-file")) var tlsKeyFile: String?
    @Option(name: .customLong("api-host"), help: help("api-host")) var apiHost: String?
    @Option(name: .customLong("api-port"), help: help("api-port")) var apiPort: String?
    @Option(name: .customLong("public-host"), help: help("public-host")) var publicHost: String?
    @Option(name: .customLong("sqlite-synchronous"), help: help("sqlite-synchronous")) var sqliteSynchronous: String?
    @Option(name: .customLong("database"), help: help("database")) var database: String?
    @Option(name: .customLong("cluster"), help: help("cluster")) var cluster: String?
    @Option(name: .customLong("cluster-queue-bytes"), help: help("cluster-queue-bytes")) var clusterQueueBytes: String?
    @Option(name: .customLong("broker-persistence"), help: help("broker-persistence")) var brokerPersistence: String?
    @Option(name: .customLong("shutdown-grace"), help: help("shutdown-grace")) var shutdownGrace: String?
    @Option(name: .customLong("max-body-size"), help: help("max-body-size")) var maxBodySize: String?
    @Option(name: .customLong("api-replay-cache-entries"), help: help("api-replay-cache-entries")) var apiReplayCacheEntries: String?
    @Option(name: .customLong("api-replay-strict"), help: help("api-replay-strict")) var apiReplayStrict: String?
    @Option(name: .customLong("api-replay-grace"), help: help("api-replay-grace")) var apiReplayGrace: String?
    @Option(name: .customLong("http-header-timeout"), help: help("http-header-timeout")) var httpHeaderTimeout: String?
    @Option(name: .customLong("http-body-timeout"), help: help("http-body-timeout")) var httpBodyTimeout: String?
    @Option(name: .customLong("http-idle-timeout"), help: help("http-idle-timeout")) var httpIdleTimeout: String?
    @Option(name: .customLong("http-linger-timeout"), help: help("http-linger-timeout")) var httpLingerTimeout: String?
    @Option(name: .customLong("http-linger-bytes"), help: help("http-linger-bytes")) var httpLingerBytes: String?
    @Option(name: .customLong("http-max-connections"), help: help("http-max-connections")) var httpMaxConnections: String?
    @Option(name: .customLong("mqtt-host"), help: help("mqtt-host")) var mqttHost: String?
    @Option(name: .customLong("mqtt-port"), help: help("mqtt-port")) var mqttPort: String?
    @Option(name: .customLong("mqtts-port"), help: help("mqtts-port")) var mqttsPort: String?
    @Option(name: .customLong("ws-port"), help: help("ws-port")) var wsPort: String?
    @Option(name: .customLong("allow-anonymous"), help: help("allow-anonymous")) var allowAnonymous: String?
    @Option(name: .customLong("mqtt-max-connections"), help: help("mqtt-max-connections")) var mqttMaxConnections: String?
    @Option(name: .customLong("mqtt-max-pending-connections"), help: help("mqtt-max-pending-connections")) var mqttMaxPendingConnections: String?
    @Option(name: .customLong("mqtt-pre-connect-bytes"), help: help("mqtt-pre-connect-bytes")) var mqttPreConnectBytes: String?
    @Option(name: .customLong("mqtt-output-watermark"), help: help("mqtt-output-watermark")) var mqttOutputWatermark: String?
    @Option(name: .customLong("mqtt-output-budget"), help: help("mqtt-output-budget")) var mqttOutputBudget: String?
    @Option(name: .customLong("mqtt-output-stall-timeout"), help: help("mqtt-output-stall-timeout")) var mqttOutputStallTimeout: String?
    @Option(name: .customLong("mqtt-tcp-engine"), help: help("mqtt-tcp-engine")) var mqttTCPEngine: String?
    @Option(name: .customLong("mqtt-connect-timeout"), help: help("mqtt-connect-timeout")) var mqttConnectTimeout: String?
    @Option(name: .customLong("mqtt-max-packet-size"), help: help("mqtt-max-packet-size")) var mqttMaxPacketSize: String?
    @Option(name: .customLong("mqtt-max-inflight"), help: help("mqtt-max-inflight")) var mqttMaxInflight: String?
    @Option(name: .customLong("mqtt-max-queued"), help: help("mqtt-max-queued")) var mqttMaxQueued: String?
    @Option(name: .customLong("mqtt-max-subscriptions"), help: help("mqtt-max-subscriptions")) var mqttMaxSubscriptions: String?
    @Option(name: .customLong("mqtt-max-topic-levels"), help: help("mqtt-max-topic-levels")) var mqttMaxTopicLevels: String?
    @Option(name: .customLong("registration-rate"), help: help("registration-rate")) var registrationRate: String?
    @Option(name: .customLong("registration-burst"), help: help("registration-burst")) var registrationBurst: String?
    @Option(name: .customLong("log-upload-rate"), help: help("log-upload-rate")) var logUploadRate: String?
    @Option(name: .customLong("log-upload-burst"), help: help("log-upload-burst")) var logUploadBurst: String?
    @Option(name: .customLong("mqtt-connect-rate"), help: help("mqtt-connect-rate")) var mqttConnectRate: String?
    @Option(name: .customLong("mqtt-connect-burst"), help: help("mqtt-connect-burst")) var mqttConnectBurst: String?
    @Option(name: .customLong("device-connect-rate"), help: help("device-connect-rate")) var deviceConnectRate: String?
    @Option(name: .customLong("device-connect-burst"), help: help("device-connect-burst")) var deviceConnectBurst: String?
    @Option(name: .customLong("device-publish-rate"), help: help("device-publish-rate")) var devicePublishRate: String?
    @Option(name: .customLong("device-publish-burst"), help: help("device-publish-burst")) var devicePublishBurst: String?
    @Option(name: .customLong("rate-limit-table-size"), help: help("rate-limit-table-size")) var rateLimitTableSize: String?
    @Option(name: .customLong("ban-after-failures"), help: help("ban-after-failures")) var banAfterFailures: String?
    @Option(name: .customLong("ban-window"), help: help("ban-window")) var banWindow: String?
    @Option(name: .customLong("ban-duration"), help: help("ban-duration")) var banDuration: String?
    @Option(name: .customLong("audit-max-age-days"), help: help("audit-max-age-days")) var auditMaxAgeDays: String?
    @Option(name: .customLong("audit-max-rows"), help: help("audit-max-rows")) var auditMaxRows: String?
    @Option(name: .customLong("device-log-max-entries"), help: help("device-log-max-entries")) var deviceLogMaxEntries: String?
    @Option(name: .customLong("device-log-max-bytes"), help: help("device-log-max-bytes")) var deviceLogMaxBytes: String?
    @Option(name: .customLong("device-log-max-total-bytes"), help: help("device-log-max-total-bytes")) var deviceLogMaxTotalBytes: String?
    @Option(name: .customLong("device-log-max-age-days"), help: help("device-log-max-age-days")) var deviceLogMaxAgeDays: String?
    @Option(name: .customLong("firmware-max-size"), help: help("firmware-max-size")) var firmwareMaxSize: String?
    @Option(name: .customLong("resource-max-size"), help: help("resource-max-size")) var resourceMaxSize: String?
    @Option(name: .customLong("resource-device-quota"), help: help("resource-device-quota")) var resourceDeviceQuota: String?
    @Option(name: .customLong("resource-total-quota"), help: help("resource-total-quota")) var resourceTotalQuota: String?
    @Option(name: .customLong("audit-aggregate-window"), help: help("audit-aggregate-window")) var auditAggregateWindow: String?
    @Option(name: .customLong("audit-aggregate-after"), help: help("audit-aggregate-after")) var auditAggregateAfter: String?
    @Option(name: .customLong("abuse-exempt"), help: help("abuse-exempt")) var abuseExempt: String?
    @Option(name: .customLong("console"), help: help("console")) var console: String?
    @Option(name: .customLong("console-session-idle"), help: help("console-session-idle")) var consoleSessionIdle: String?
    @Option(name: .customLong("console-max-sessions"), help: help("console-max-sessions")) var consoleMaxSessions: String?
    @Option(name: .customLong("console-signin-failures-per-user"), help: help("console-signin-failures-per-user")) var consoleSigninFailuresPerUser: String?
    @Option(name: .customLong("console-signin-failures-per-source"), help: help("console-signin-failures-per-source")) var consoleSigninFailuresPerSource: String?
    @Option(name: .customLong("console-lockout"), help: help("console-lockout")) var consoleLockout: String?
    @Option(name: .customLong("console-secure-cookie"), help: help("console-secure-cookie")) var consoleSecureCookie: String?
    @Option(name: .customLong("console-port"), help: help("console-port")) var consolePort: String?
    @Option(name: .customLong("console-host"), help: help("console-host")) var consoleHost: String?
    @Option(name: .customLong("console-tls-cert-file"), help: help("console-tls-cert-file")) var consoleTLSCertFile: String?
    @Option(name: .customLong("console-tls-key-file"), help: help("console-tls-key-file")) var consoleTLSKeyFile: String?
    @Option(name: .customLong("log-level"), help: help("log-level")) var logLevel: String?

    static func help(_ flag: String) -> ArgumentHelp {
        guard let setting = HubSetting.all.first(where: { $0.flag == flag }) else { return ArgumentHelp("") }
        return ArgumentHelp("\(setting.help) (env \(setting.environment), config \"\(setting.configKey)\")")
    }

    var flags: [String: String] {
        let pairs: [(String, String?)] = [
            ("data-dir", dataDir), ("http-host", httpHost), ("http-port", httpPort), ("https-port", httpsPort), ("firmware-url-scheme", firmwareURLScheme), ("firmware-max-size", firmwareMaxSize),
            ("tls-cert-file", tlsCertFile), ("tls-key-file", tlsKeyFile), ("api-host", apiHost), ("api-port", apiPort),
            ("public-host", publicHost), ("sqlite-synchronous", sqliteSynchronous), ("database", database), ("cluster", cluster), ("cluster-queue-bytes", clusterQueueBytes), ("broker-persistence", brokerPersistence), ("shutdown-grace", shutdownGrace),
            ("max-body-size", maxBodySize),
            ("api-replay-cache-entries", apiReplayCacheEntries), ("api-replay-strict", apiReplayStrict), ("api-replay-grace", apiReplayGrace),
            ("http-header-timeout", httpHeaderTimeout), ("http-body-timeout", httpBodyTimeout), ("http-idle-timeout", httpIdleTimeout),
            ("http-linger-timeout", httpLingerTimeout), ("http-linger-bytes", httpLingerBytes), ("http-max-connections", httpMaxConnections),
            ("mqtt-host", mqttHost), ("mqtt-port", mqttPort), ("mqtts-port", mqttsPort), ("ws-port", wsPort),
            ("allow-anonymous", allowAnonymous), ("mqtt-max-connections", mqttMaxConnections), ("mqtt-tcp-engine", mqttTCPEngine), ("mqtt-connect-timeout", mqttConnectTimeout),
            ("mqtt-max-packet-size", mqttMaxPacketSize), ("mqtt-max-inflight", mqttMaxInflight), ("mqtt-max-queued", mqttMaxQueued),
            ("mqtt-max-subscriptions", mqttMaxSubscriptions), ("mqtt-max-topic-levels", mqttMaxTopicLevels),
            ("registration-rate", registrationRate), ("registration-burst", registrationBurst), ("log-upload-rate", logUploadRate), ("log-upload-burst", logUploadBurst), ("mqtt-connect-rate", mqttConnectRate), ("mqtt-connect-burst", mqttConnectBurst), ("device-connect-rate", deviceConnectRate), ("device-connect-burst", deviceConnectBurst), ("device-publish-rate", devicePublishRate), ("device-publish-burst", devicePublishBurst), ("rate-limit-table-size", rateLimitTableSize), ("ban-after-failures", banAfterFailures), ("ban-window", banWindow), ("ban-duration", banDuration),
            ("audit-max-age-days", auditMaxAgeDays), ("audit-max-rows", auditMaxRows), ("audit-aggregate-window", auditAggregateWindow), ("audit-aggregate-after", auditAggregateAfter),
            ("device-log-max-entries", deviceLogMaxEntries), ("device-log-max-bytes", deviceLogMaxBytes), ("device-log-max-total-bytes", deviceLogMaxTotalBytes), ("device-log-max-age-days", deviceLogMaxAgeDays),
            ("resource-max-size", resourceMaxSize), ("resource-device-quota", resourceDeviceQuota), ("resource-total-quota", resourceTotalQuota),
            ("abuse-exempt", abuseExempt),
            ("mqtt-max-pending-connections", mqttMaxPendingConnections), ("mqtt-pre-connect-bytes", mqttPreConnectBytes),
            ("mqtt-output-watermark", mqttOutputWatermark), ("mqtt-output-budget", mqttOutputBudget),
            ("mqtt-output-stall-timeout", mqttOutputStallTimeout),
            ("console", console), ("console-session-idle", consoleSessionIdle), ("console-max-sessions", consoleMaxSessions),
            ("console-signin-failures-per-user", consoleSigninFailuresPerUser), ("console-signin-failures-per-source", consoleSigninFailuresPerSource),
            ("console-lockout", consoleLockout), ("console-secure-cookie", consoleSecureCookie),
            ("console-port", consolePort), ("console-host", consoleHost), ("console-tls-cert-file", consoleTLSCertFile), ("console-tls-key-file", consoleTLSKeyFile),
            ("log-level", logLevel),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { name, value in value.map { (name, $0) } })
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration: HubConfiguration
        do {
            configuration = try HubConfiguration.resolve(
                flags: flags,
                environment: environment,
                configFile: configFile ?? environment["IOTHUB_CONFIG"]
            )
        } catch {
            throw ValidationError("\(error)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "iothub")
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))
        let hub = try await Hub.bootstrap(configuration: configuration, logger: logger, metrics: metrics) { credentials, path in
            // Shown once, on the terminal only (never logged); kept in the data directory with mode 0600.
            say(
                """
                Management API credentials created (stored in \(path), mode 0600):
                  SecretId:  \(credentials.secretId)
                  SecretKey: \(credentials.secretKey)
                """
            )
        }
        let ports = hub.ports
        let api = "\(configuration.apiHost)"
        Task {
            let http = await ports.port(.http)
            let apiPort = await ports.port(.api)
            var mqtt: [String] = []
            if configuration.mqttPort != nil { mqtt.append("MQTT \(await ports.port(.mqtt))") }
            if configuration.mqttsPort != nil { mqtt.append("MQTTS \(await ports.port(.mqtts))") }
            if configuration.wsPort != nil { mqtt.append("WebSocket \(await ports.port(.websocket))") }
            var console = ""
            if configuration.console.enabled {
                if configuration.console.port != nil {
                    let scheme = configuration.console.servesHTTPS ? "https" : "http"
                    console = ", web console on \(scheme)://\(configuration.console.host):\(await ports.port(.console))/console"
                } else {
                    console = ", web console on http://\(api):\(apiPort)/console"
                }
            }
            say(
                "IoTHub ready: device HTTP on port \(http), management API on \(api):\(apiPort), \(mqtt.joined(separator: ", ")), data in \(configuration.dataDirectory)"
                    + console
            )
        }
        try await hub.run()
    }
}

/// Writes a line to standard output unbuffered (scripts wait for these lines).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
