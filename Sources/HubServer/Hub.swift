import Foundation
public import HubCA
import BrokerCore
import HubConsole
import HubHTTP
import MQTTCore
import MQTTServer
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
import NIOSSL
import NATSClient
public import Prometheus
public import Registry
import RegistryPostgres
import RegistrySQLite
import BrokerPostgres
import BrokerSQLite
import Synchronization
public import ServiceLifecycle
import UnixSignals

/// The composition root: the data directory, the registry, the CA, the HTTP listeners, one ServiceGroup.
public final class Hub: Sendable {
    public let configuration: HubConfiguration
    public let registry: RegistryEngine
    public let ca: HubCA
    public let credentials: ManagementCredentials
    public let logger: Logger
    /// Ports actually bound (useful with port 0).
    public let ports = BoundPorts()
    /// Served as `GET /metrics` on the management listener when set (the process bootstrapped
    /// swift-metrics with it).
    public let metrics: PrometheusCollectorRegistry?
    /// Forwards device messages and lifecycle events to product webhooks.
    let webhooks: WebhookService
    /// What the connections of each HTTP listener share: limits, open-connection count, metrics.
    let httpListeners: [BoundPorts.Listener: HTTPListener]
    /// Rate limits and bans of source addresses and devices, shared by the MQTT and HTTP listeners.
    public let abuse: AbuseGuard
    /// The broker's durable state (`broker-persistence`), and what it held at start until the broker takes it.
    let brokerStore: (any BrokerStore)?
    /// Log entries devices upload over HTTP (the registry file's `device_logs` table).
    let deviceLogs: any DeviceLogStore
    /// Resource management records (the registry file's resource tables).
    let resourceStore: any ResourceStore
    /// Console operators and the operator audit trail (the registry file's console tables).
    public let operatorStore: any OperatorStore
    private let brokerState: Mutex<BrokerState?>
    /// The connection to the cluster's NATS (`--cluster`), made at bootstrap.
    let clusterConnection: NATSConnection?
    /// The cluster's messages, subscribed to at bootstrap (before the retained messages are asked for, so that
    /// nothing routed meanwhile is missed) and consumed by `ClusterBridge`.
    let clusterPublishes: NATSSubscription?
    /// The retained messages another node of the cluster held at this node's start, if one answered, until the
    /// broker takes them (not held for the life of the process).
    private let clusterRetained: Mutex<[MQTTPublish]?>
    /// With the registry in PostgreSQL: DATA/registry.sqlite, which keeps device logs and resource records only
    /// (closed after the registry at shutdown).
    let localStore: SQLiteRegistryStore?

    struct BrokerState: Sendable {
        var retained: [MQTTPublish]
        var sessions: [StoredSession]
    }

    private init(
        configuration: HubConfiguration, registry: RegistryEngine, ca: HubCA, credentials: ManagementCredentials, metrics: PrometheusCollectorRegistry?,
        webhooks: WebhookService, abuse: AbuseGuard, deviceLogs: any DeviceLogStore, resourceStore: any ResourceStore, operatorStore: any OperatorStore, brokerStore: (any BrokerStore)?, brokerState: BrokerState?,
        clusterConnection: NATSConnection?, clusterPublishes: NATSSubscription?, clusterRetained: [MQTTPublish]?, localStore: SQLiteRegistryStore?,
        logger: Logger
    ) {
        self.clusterPublishes = clusterPublishes
        self.clusterRetained = Mutex(clusterRetained)
        self.brokerStore = brokerStore
        self.clusterConnection = clusterConnection
        self.localStore = localStore
        self.deviceLogs = deviceLogs
        self.resourceStore = resourceStore
        self.operatorStore = operatorStore
        self.brokerState = Mutex(brokerState)
        self.abuse = abuse
        self.webhooks = webhooks
        self.metrics = metrics
        self.configuration = configuration
        self.registry = registry
        self.ca = ca
        self.credentials = credentials
        self.logger = logger
        var limits = HTTPListenerLimits()
        limits.headerTimeout = .seconds(Int64(configuration.httpHeaderTimeout))
        limits.bodyTimeout = .seconds(Int64(configuration.httpBodyTimeout))
        limits.idleTimeout = .seconds(Int64(configuration.httpIdleTimeout))
        limits.lingerTimeout = .seconds(Int64(configuration.httpLingerTimeout))
        limits.lingerBytes = configuration.httpLingerBytes
        limits.maxConnections = configuration.httpMaxConnections
        var listeners: [BoundPorts.Listener: HTTPListener] = [:]
        for kind in [BoundPorts.Listener.http, .https, .api, .console] {
            listeners[kind] = HTTPListener(name: "\(kind)", limits: limits, logger: logger)
        }
        self.httpListeners = listeners
    }

    /// Connections open now on an HTTP listener (`.http`, `.https`, `.api`, `.console`).
    public func openHTTPConnections(_ listener: BoundPorts.Listener) -> Int {
        httpListeners[listener]?.openConnections ?? 0
    }

    private func httpServer(_ listener: BoundPorts.Listener) -> HTTPServerBuilder {
        .guardedHTTP1(listener: httpListeners[listener]!)
    }

    /// Creates the data directory on first start (registry, CA, management credentials) and reuses it later.
    /// `onCredentialsCreated` is called once, when new management credentials were generated.
    public static func bootstrap(
        configuration: HubConfiguration,
        logger: Logger,
        metrics: PrometheusCollectorRegistry? = nil,
        onCredentialsCreated: (ManagementCredentials, String) -> Void = { _, _ in }
    ) async throws -> Hub {
        try configuration.validate()
        // First, before any store is opened: a node that cannot reach its cluster stops here.
        let clusterConnection = configuration.cluster.isEmpty ? nil : try await ClusterBridge.connect(urls: configuration.cluster, logger: logger)
        let clusterPublishes = try await clusterConnection?.subscribe(ClusterBridge.publishSubject)
        let directory = configuration.dataDirectory
        // Everything created from here on is private to the hub's user; what exists is tightened (with a warning).
        DataDirectoryPermissions.restrictUmask()
        _ = try DataDirectoryPermissions.secure(directory, logger: logger)
        let (credentials, created) = try ManagementCredentials.loadOrCreate(dataDirectory: directory)
        if created { onCredentialsCreated(credentials, ManagementCredentials.path(dataDirectory: directory)) }
        let ca = try HubCA.loadOrCreate(directory: (directory as NSString).appendingPathComponent("ca"))
        // Device logs and resource records stay in DATA/registry.sqlite on every node, whatever holds the registry.
        let local = try await SQLiteRegistryStore.open(
            path: (directory as NSString).appendingPathComponent("registry.sqlite"),
            durability: configuration.sqliteSynchronous == "normal" ? .normal : .full,
            logger: logger
        )
        let store: any RegistryStore & OperatorStore & SourceBanStore
        var postgres: PostgresRegistryStore?
        if let url = configuration.database {
            do {
                let opened = try await PostgresRegistryStore.open(
                    configuration: try PostgresRegistryStore.configuration(url: url), node: try NodeIdentity.loadOrCreate(dataDirectory: directory),
                    logger: logger
                )
                store = opened
                postgres = opened
            } catch {
                try? await local.close()
                await clusterConnection?.close()
                throw HubConfigurationError("database: cannot open the PostgreSQL registry at \(PostgresRegistryStore.redacted(url)): \(error)")
            }
            logger.info("registry on PostgreSQL", metadata: ["hub.database": "\(PostgresRegistryStore.redacted(url))"])
        } else {
            store = local
        }
        let issuer = CredentialIssuer(issueCertificate: { device in
            let issued = try ca.issueDeviceCertificate(productId: device.productId, deviceName: device.name)
            return .certificate(certificatePEM: issued.certificatePEM, privateKeyPEM: issued.privateKeyPEM, serialNumber: issued.serialNumber)
        })
        let registry = try await RegistryEngine.open(store: store, issuer: issuer, logger: logger)
        await registry.configureAuditAggregation(
            windowMillis: Int64(configuration.auditAggregateWindow) * 1000, individualRows: configuration.auditAggregateAfter
        )
        logger.info("data directory ready", metadata: ["hub.data_dir": "\(directory)"])
        let outbox = try await WebhookOutbox.open(path: (directory as NSString).appendingPathComponent("webhooks.sqlite"), logger: logger)
        let webhooks = WebhookService(registry: registry, outbox: outbox, logger: logger, queueBytes: configuration.webhookQueueBytes)
        let abuse = AbuseGuard(limits: configuration.abuse, operatorBans: try await store.loadBans(), store: store)
        var brokerStore: (any BrokerStore)?
        var brokerState: BrokerState?
        if configuration.brokerPersistence {
            // In a cluster the broker's state is in the shared database, where the survivors of a node find its
            // persistent sessions (PostgresBrokerStore); on one node it is DATA/broker.sqlite.
            let opened: any BrokerStore
            if let postgres, let url = configuration.database {
                opened = try await PostgresBrokerStore.open(configuration: try PostgresRegistryStore.configuration(url: url), node: postgres.node, logger: logger)
            } else {
                opened = try await SQLiteBrokerStore.open(
                    path: (directory as NSString).appendingPathComponent("broker.sqlite"),
                    durability: configuration.sqliteSynchronous == "normal" ? .normal : .full,
                    logger: logger
                )
            }
            let loaded = try await opened.load()
            brokerStore = opened
            brokerState = BrokerState(retained: loaded.retained, sessions: loaded.sessions)
            logger.info(
                "broker state loaded",
                metadata: [
                    "hub.retained": "\(loaded.retained.count)", "hub.sessions": "\(loaded.sessions.count)",
                    "hub.messages": "\(loaded.sessions.reduce(0) { $0 + $1.messages.count })",
                ]
            )
        }
        var clusterRetained: [MQTTPublish]?
        if let clusterConnection {
            clusterRetained = await ClusterRetained.fetch(connection: clusterConnection, logger: logger)
            logger.info("cluster retained messages", metadata: ["hub.retained": "\(clusterRetained.map { "\($0.count) from another node" } ?? "no other node answered")"])
        }
        return Hub(
            configuration: configuration, registry: registry, ca: ca, credentials: credentials, metrics: metrics, webhooks: webhooks, abuse: abuse,
            deviceLogs: local, resourceStore: local, operatorStore: store, brokerStore: brokerStore, brokerState: brokerState,
            clusterConnection: clusterConnection, clusterPublishes: clusterPublishes, clusterRetained: clusterRetained,
            localStore: configuration.database == nil ? nil : local, logger: logger
        )
    }

    /// The hub's services, in start order (they stop in reverse order: listeners first, the registry last).
    public func services() throws -> [any Service] {
        var services: [any Service] = [RegistryService(registry: registry, localStore: localStore)]
        let gateway = DeviceGateway(
            registry: registry,
            configuration: .init(maxBodySize: configuration.maxBodySize, publicHostNames: configuration.publicHosts),
            abuse: abuse,
            logger: logger
        )
        let deviceRouter = Router(context: HubRequestContext.self)
        gateway.addRoutes(to: deviceRouter)
        let firmware = try FirmwareRepository(
            directory: (configuration.dataDirectory as NSString).appendingPathComponent("firmware"), publicHosts: configuration.publicHosts,
            maxFileSize: configuration.firmwareMaxSize,
            httpPort: { [ports] in await ports.port(.http) },
            httpsPort: { [ports, configuration] in configuration.httpsPort == nil ? nil : await ports.port(.https) },
            downloadScheme: configuration.firmwareURLScheme
        )
        FirmwareGateway(registry: registry, files: firmware, logger: logger).addRoutes(to: deviceRouter)
        let resources = try ResourceRepository(
            store: resourceStore, directory: (configuration.dataDirectory as NSString).appendingPathComponent("resources"),
            limits: .init(maxFileSize: configuration.resourceMaxSize, deviceQuota: configuration.resourceDeviceQuota, totalQuota: configuration.resourceTotalQuota),
            baseURL: { [firmware] host in await firmware.downloadBaseURL(operatorHost: host) },
            logger: logger
        )
        ResourceGateway(files: resources, logger: logger).addRoutes(to: deviceRouter)
        DeviceLogGateway(
            registry: registry, store: deviceLogs,
            configuration: .init(publicHostNames: configuration.publicHosts, retention: deviceLogRetention),
            abuse: abuse,
            logger: logger
        ).addRoutes(to: deviceRouter)
        services.append(
            Application(
                router: deviceRouter,
                server: httpServer(.http),
                configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: nil),
                onServerRunning: { [ports] channel in await ports.bound(.http, channel.localAddress?.port) },
                logger: logger
            )
        )
        if let httpsPort = configuration.httpsPort {
            let tls = try serverTLSConfiguration()
            services.append(
                Application(
                    router: deviceRouter,
                    server: try .tls(httpServer(.https), tlsConfiguration: tls),
                    configuration: .init(address: .hostname(configuration.httpHost, port: httpsPort), serverName: nil),
                    onServerRunning: { [ports] channel in await ports.bound(.https, channel.localAddress?.port) },
                    logger: logger
                )
            )
        }
        services.append(webhooks)
        let deviceServices = HubServices(registry: registry, webhooks: webhooks, resources: resources, logger: logger, queueBytes: configuration.servicesQueueBytes)
        let journal = brokerStore == nil ? nil : BrokerJournalQueue()
        // One id names this node to the others for the life of the process: with the broker state in PostgreSQL, the
        // id its rows are keyed by (a session handed to a node is recorded as moved to that id).
        let clusterNode = (brokerStore as? PostgresBrokerStore)?.node
            ?? String(UInt64.random(in: 0...UInt64.max), radix: 16) + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let clusterSessions = clusterConnection.map { ClusterSessions(connection: $0, node: clusterNode, logger: logger) }
        let mqtt = try mqttServer(services: deviceServices, journal: journal, clusterSessions: clusterSessions)
        deviceServices.host = mqtt.host
        clusterSessions?.host = mqtt.host
        // The cluster's retained messages replace this node's, through the host: journaled (the host turns the
        // broker's journaling on) and written to broker.sqlite with the first batch.
        if let clusterRetained = clusterRetained.withLock({ retained in defer { retained = nil }; return retained }) {
            mqtt.host.perform { broker, _ in
                broker.replaceRetained(with: clusterRetained)
                return []
            }
        }
        if let brokerStore, let journal {
            // Before the MQTT server, so that it stops after it and writes what the broker recorded last.
            services.append(BrokerJournalService(store: brokerStore, journal: journal, host: mqtt.host, logger: logger))
        }
        if let shared = brokerStore as? PostgresBrokerStore {
            // The persistent sessions of nodes that stopped come here (and follow their clients from here); a client
            // connecting here whose session no node gives is looked for among the sessions of silent nodes.
            services.append(BrokerOrphanService(store: shared, host: mqtt.host, logger: logger))
            clusterSessions?.orphanLookup = { [shared, logger] clientId in
                do {
                    return try await shared.adoptSession(clientId: clientId)
                } catch {
                    logger.warning("looking for the session of a stopped node failed", metadata: ["error": "\(String(reflecting: error))"])
                    return nil
                }
            }
        }
        // Before the MQTT server: it stops after it, and passes on what the broker routed last.
        if let clusterConnection, let clusterPublishes {
            let bridge = ClusterBridge(
                connection: clusterConnection, publishes: clusterPublishes, node: clusterNode, host: mqtt.host, services: deviceServices,
                queueBytes: configuration.clusterQueueBytes, logger: logger)
            mqtt.host.clusterSink = { [bridge] event in bridge.offer(event) }
            services.append(bridge)
            if let clusterSessions { services.append(clusterSessions) }
        }
        services.append(mqtt)
        let activity = MessageActivityService(read: { [mqtt] in mqtt.publishesReceived })
        services.append(activity)
        services.append(deviceServices)
        services.append(BrokerKickService(registry: registry, host: mqtt.host, abuse: abuse, logger: logger))
        services.append(FirmwareTimeoutService(registry: registry))
        services.append(
            AuditRetentionService(
                registry: registry,
                operators: operatorStore,
                maxAgeMillis: configuration.auditMaxAgeDays > 0 ? Int64(configuration.auditMaxAgeDays) * 86_400_000 : nil,
                maxRows: configuration.auditMaxRows > 0 ? configuration.auditMaxRows : nil,
                logger: logger
            )
        )
        services.append(
            DeviceLogRetentionService(
                store: deviceLogs, maxAgeMillis: deviceLogRetention.maxAgeMillis,
                maxTotalBytes: configuration.deviceLogMaxTotalBytes > 0 ? Int64(configuration.deviceLogMaxTotalBytes) : nil, logger: logger
            )
        )
        let api = ManagementAPI(
            registry: registry, credentials: [credentials.secretId: credentials.secretKey], messaging: BrokerMessaging(host: mqtt.host, services: deviceServices),
            firmware: firmware, webhooks: webhooks, abuse: abuse, deviceLogs: deviceLogs, deviceLogRetention: deviceLogRetention, resources: resources, activity: activity, logger: logger, replayCacheEntries: configuration.apiReplayCacheEntries,
            replayStrict: configuration.apiReplayStrict, replayGrace: configuration.apiReplayGrace
        )
        let apiRouter = Router(context: HubRequestContext.self)
        api.addRoutes(to: apiRouter)
        if let metrics {
            apiRouter.get("/metrics") { _, _ in
                let bytes = metrics.emitToBuffer()
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
            }
        }
        if configuration.console.enabled {
            let console = try Console(
                perform: { [api] action, parameters in await api.perform(action, parameters) }, store: operatorStore,
                configuration: configuration.console, firmware: firmware, logger: logger
            )
            if let port = configuration.console.port {
                services.append(try consoleListener(console, port: port))
            } else {
                console.addRoutes(to: apiRouter)
            }
        }
        services.append(
            Application(
                router: apiRouter,
                server: httpServer(.api),
                configuration: .init(address: .hostname(configuration.apiHost, port: configuration.apiPort), serverName: nil),
                onServerRunning: { [ports] channel in await ports.bound(.api, channel.localAddress?.port) },
                logger: logger
            )
        )
        return services
    }

    /// The console on a listener of its own (`console-port`): its pages only, over HTTPS when the operator
    /// gave a certificate and key, with the same connection limits as the other HTTP listeners.
    private func consoleListener(_ console: Console, port: Int) throws -> any Service {
        let router = Router(context: HubRequestContext.self)
        console.addRoutes(to: router)
        router.get("/") { _, _ in Response.redirect(to: "/console") }
        var server = httpServer(.console)
        if let certificateFile = configuration.console.tlsCertificateFile, let keyFile = configuration.console.tlsKeyFile {
            let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            server = try .tls(server, tlsConfiguration: TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.console.host, port: port), serverName: nil),
            onServerRunning: { [ports] channel in await ports.bound(.console, channel.localAddress?.port) },
            logger: logger
        )
    }

    /// How much of each device's uploaded log is kept (`device-log-max-entries`, `device-log-max-age-days`).
    var deviceLogRetention: DeviceLogRetention {
        DeviceLogRetention(
            maxEntriesPerDevice: configuration.deviceLogMaxEntries,
            maxBytesPerDevice: configuration.deviceLogMaxBytes,
            maxAgeMillis: configuration.deviceLogMaxAgeDays > 0 ? Int64(configuration.deviceLogMaxAgeDays) * 86_400_000 : nil
        )
    }

    /// The MQTT listeners around the broker engine, authenticating against the registry.
    func mqttServer(services: HubServices, journal: BrokerJournalQueue?, clusterSessions: ClusterSessions? = nil) throws -> MQTTServer {
        var listeners: [MQTTServerConfiguration.Listener] = []
        var kinds: [BoundPorts.Listener] = []
        if let port = configuration.mqttPort {
            listeners.append(.init(host: configuration.mqttHost, port: port, transport: .tcp))
            kinds.append(.mqtt)
        }
        if let port = configuration.mqttsPort {
            var tls = try serverTLSConfiguration()
            // X.509 client certificates of certificate devices, checked against the hub CA; optional so
            // that TLS clients without one can still use passwords.
            tls.certificateVerification = .optionalVerification
            tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: ca.certificateDER, format: .der)])
            // TLS-PSK of key devices on the same port (§5.6): identity = ClientId, key = decoded DeviceSecret.
            let pskIndex = registry.pskIndex
            let psk = TLSPreSharedKeys(lookup: { pskIndex.key(forClientId: $0) })
            listeners.append(.init(host: configuration.mqttHost, port: port, transport: .tls(tls, psk: psk)))
            kinds.append(.mqtts)
        }
        if let port = configuration.wsPort {
            listeners.append(.init(host: configuration.mqttHost, port: port, transport: .webSocket))
            kinds.append(.websocket)
        }
        let listenerKinds = kinds
        var mqttConfiguration = MQTTServerConfiguration(listeners: listeners)
        // Banned sources get CONNACK 5 at accept, their CONNECT unread (the authenticator refuses them too,
        // should a ban start between accept and CONNECT).
        mqttConfiguration.refusedAtAccept = { [abuse] address in abuse.refusesAtAccept(address) }
        mqttConfiguration.maxConnections = configuration.mqttMaxConnections
        mqttConfiguration.maxPendingConnections = configuration.mqttMaxPendingConnections
        mqttConfiguration.preConnectBytes = configuration.mqttPreConnectBytes
        mqttConfiguration.outputWatermark = configuration.mqttOutputWatermark
        mqttConfiguration.outputBudget = configuration.mqttOutputBudget
        mqttConfiguration.outputStallTimeoutSeconds = configuration.mqttOutputStallTimeout
        mqttConfiguration.tcpEngine = configuration.mqttTCPEngine
        mqttConfiguration.connectTimeoutSeconds = configuration.mqttConnectTimeout
        mqttConfiguration.maxPacketSize = configuration.mqttMaxPacketSize
        mqttConfiguration.broker.clustered = !configuration.cluster.isEmpty
        mqttConfiguration.broker.maxInflightMessages = configuration.mqttMaxInflight
        mqttConfiguration.broker.maxQueuedMessages = configuration.mqttMaxQueued
        mqttConfiguration.broker.maxQueuedBytes = configuration.mqttMaxQueuedBytes
        mqttConfiguration.broker.maxRetainedMessages = configuration.mqttMaxRetained
        mqttConfiguration.broker.maxRetainedBytes = configuration.mqttMaxRetainedBytes
        mqttConfiguration.broker.maxRetainedMessageBytes = configuration.mqttMaxRetainedMessageBytes
        mqttConfiguration.broker.sessionExpirySeconds = UInt32(clamping: configuration.mqttSessionExpiry)
        mqttConfiguration.broker.maxSessionsPerApplication = configuration.mqttMaxSessionsPerApp
        mqttConfiguration.broker.maxSubscriptionsPerClient = configuration.mqttMaxSubscriptions
        mqttConfiguration.broker.maxTopicLevels = configuration.mqttMaxTopicLevels
        mqttConfiguration.broker.devicePublishRate = configuration.abuse.publishPerDevice.rate
        mqttConfiguration.broker.devicePublishBurst = configuration.abuse.publishPerDevice.burst
        let broker = Broker(configuration: mqttConfiguration.broker, authorizer: TencentTopicACL(proxies: RegistryGatewayProxies(index: registry.attachments)), observer: BrokerMetricsObserver(drops: DropLog(logger: logger)))
        for filter in HubServices.filters { broker.subscribeHub(filter) }
        if journal != nil, let state = brokerState.withLock({ state in defer { state = nil }; return state }) {
            broker.restore(retained: state.retained, sessions: state.sessions, now: BrokerHost.now())
        }
        let hubAuthenticator = HubMQTTAuthenticator(
            registry: registry, ca: ca, allowAnonymous: configuration.allowAnonymous, webhooks: webhooks, abuse: abuse, logger: logger
        )
        let authenticator: any MQTTAuthenticator = clusterSessions.map { ClusterSessionAuthenticator(inner: hubAuthenticator, sessions: $0) } ?? hubAuthenticator
        return MQTTServer(
            configuration: mqttConfiguration,
            broker: broker,
            authenticator: authenticator,
            logger: logger,
            transportIdentity: TransportIdentityResolver.resolve,
            onBound: { [ports] index, port in await ports.bound(listenerKinds[index], port) },
            journal: journal,
            hubAcknowledges: HubServices.acknowledgesAfterHandling,
            hubSink: { [services, webhooks] message, identity, completion in
                // Device traffic in its own namespace only matters to products with a webhook: keep the
                // rest of the telemetry off the services' queue (this runs on the broker's hot path).
                // The namespace's product is the topic's first level: the publisher's own, or that of a
                // sub-device its gateway publishes for.
                if message.topic.utf8.first != UInt8(ascii: "$") {
                    let owner = message.topic.utf8.firstIndex(of: UInt8(ascii: "/")).map { String(message.topic[..<$0]) } ?? message.topic
                    guard case .device = identity, webhooks.forwards(owner) else {
                        completion?(true)
                        return
                    }
                }
                services.offer(message, from: identity, completion: completion)
            }
        )
    }

    /// Runs until SIGINT/SIGTERM, then shuts down gracefully.
    public func run() async throws {
        var groupConfiguration = ServiceGroupConfiguration(services: try services(), gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(configuration.shutdownGrace)
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
    }

    private func serverTLSConfiguration() throws -> TLSConfiguration {
        if let certFile = configuration.tlsCertificateFile, let keyFile = configuration.tlsKeyFile {
            let chain = try NIOSSLCertificate.fromPEMFile(certFile).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        }
        let names = ServerNames(publicHosts: configuration.publicHosts)
        let issued = try ca.loadOrCreateServerCredential(
            directory: (configuration.dataDirectory as NSString).appendingPathComponent("ca"),
            hostnames: names.hostnames,
            ipAddresses: names.ipAddresses
        )
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)) + [NIOSSLCertificate(bytes: ca.certificateDER, format: .der)]
        let key = try NIOSSLPrivateKey(bytes: Array(issued.privateKeyPEM.utf8), format: .pem)
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}

/// Keeps the registry open while the listeners run, and flushes and closes it last.
struct RegistryService: Service {
    let registry: RegistryEngine
    /// A store of its own for device logs and resources (the registry in PostgreSQL), closed after the registry.
    var localStore: SQLiteRegistryStore? = nil

    func run() async throws {
        try? await gracefulShutdown()
        await registry.shutdown()
        try? await localStore?.close()
    }
}

/// The ports the listeners actually bound.
public actor BoundPorts {
    public enum Listener: Sendable, Hashable { case http, https, api, console, mqtt, mqtts, websocket }

    private var ports: [Listener: Int] = [:]
    private var waiters: [Listener: [CheckedContinuation<Int, Never>]] = [:]

    public init() {}

    func bound(_ listener: Listener, _ port: Int?) {
        guard let port else { return }
        ports[listener] = port
        for waiter in waiters.removeValue(forKey: listener) ?? [] { waiter.resume(returning: port) }
    }

    /// Waits until the listener is bound and returns its port.
    public func port(_ listener: Listener) async -> Int {
        if let port = ports[listener] { return port }
        return await withCheckedContinuation { waiters[listener, default: []].append($0) }
    }
}
