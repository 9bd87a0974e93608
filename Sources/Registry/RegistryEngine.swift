import Foundation
public import Logging

/// The registry: products, devices, credentials and the registration audit.
///
/// One actor owns the in-memory state, which is the read path for everything (device gateway, management
/// API, broker authentication). Every mutation is applied in memory and handed to the store; callers that
/// must not answer before the change is durable await `commit`, which group-commits all mutations queued
/// meanwhile in one transaction. Decisions that must be exact under concurrency (the RegisterLimit, two
/// registrations of one new name) are taken inside the actor, so they never race.
public actor RegistryEngine {
    public typealias Clock = @Sendable () -> Int64

    let store: any RegistryStore
    /// The store when other hub processes share it (PostgreSQL): registrations of names not held here are decided
    /// by it, and what is missing here is looked up in it (RegistryEngine+Shared).
    let shared: (any SharedRegistryStore)?
    let logger: Logger
    /// Unix milliseconds.
    let now: Clock
    let issuer: CredentialIssuer

    /// Products by id, in creation order, by name.
    var catalog = ProductCatalog()
    /// Devices with the indexes kept in step with them (lists, counts, gateways' sub-devices, online counts).
    var directory = DeviceDirectory()
    var replayWindow = ReplayWindow()
    var applications: [String: Application] = [:]
    /// Firmware, update tasks and their device entries (RegistryEngine+OTA).
    var ota = OTAState()
    /// Floods of refused registrations counted into one audit row per source and reason.
    var auditAggregator = AuditAggregator()

    /// Memory was read from the store at least once.
    var loaded = false
    /// `shutdown` has begun: nothing is retried any more.
    var closed = false

    // Group commit.
    let committer = GroupCommitter()
    var available = true

    /// Revocations for the broker: lossless, coalescing (`RegistryEventQueue`).
    public nonisolated let events = RegistryEventQueue()
    /// ClientId → PSK of the key devices, for the synchronous TLS-PSK handshake callback.
    public nonisolated let pskIndex = DevicePSKIndex()
    /// On a shared store: the devices online on any node (RegistryEngine+Shared).
    public nonisolated let clusterPresence = ClusterPresence()
    /// Sub-device → the gateway it is attached to, for the broker's topic rules.
    public nonisolated let attachments = GatewayAttachmentIndex()
    /// MQTT logins and logouts waiting for the actor (RegistryEngine+Presence).
    nonisolated let presence = PresenceQueue()
    /// Refused registration attempts handed over without an actor call each (`submitRefusedAttempt`).
    nonisolated let refusals = DrainQueue<RegistrationAttempt>()
    /// Registrations per minute over the last hour, accepted and refused by reason (for the overview).
    public nonisolated let registrationStatistics = RegistrationStatistics()

    init(store: any RegistryStore, issuer: CredentialIssuer, logger: Logger, now: @escaping Clock) {
        self.store = store
        self.shared = store as? any SharedRegistryStore
        self.issuer = issuer
        self.logger = logger
        self.now = now
    }

    /// Opens the registry on a store, loading its state.
    public static func open(
        store: any RegistryStore,
        issuer: CredentialIssuer,
        logger: Logger,
        now: @escaping Clock = { RegistryEngine.systemMillis() }
    ) async throws -> RegistryEngine {
        let engine = RegistryEngine(store: store, issuer: issuer, logger: logger, now: now)
        if engine.shared != nil {
            // Listening for other nodes' changes first, then reading memory (the feed's first `.resync`), so that
            // nothing committed in between is missed.
            await withCheckedContinuation { (ready: CheckedContinuation<Void, Never>) in
                let once = OnceFlag()
                Task { await engine.followSharedChanges(listening: { if once.set() { ready.resume() } }) }
            }
            guard await engine.loaded else { throw RegistryError(.storageFailure, "the shared store could not be read") }
        } else {
            try await engine.reload()
        }
        return engine
    }

    public static func systemMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    var nowSeconds: Int64 { now() / 1000 }

    /// Loads everything from the store. Presence: at start no device is connected; after a failed commit
    /// (`keepingPresence`) the devices online in memory stay online (their connections are still open).
    func reload(keepingPresence: Bool = false) async throws {
        let snapshot = try await store.load(auditSince: now() - ReplayWindow.windowMillis)
        let online: Set<DeviceKey> = keepingPresence ? Set(devices.values.filter { $0.online }.map { $0.key }) : []
        catalog = ProductCatalog()
        directory = DeviceDirectory()
        pskIndex.removeAll()
        attachments.removeAll()
        replayWindow = ReplayWindow()
        applications = Dictionary(snapshot.applications.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        for product in snapshot.products.sorted(by: { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }) {
            insert(product)
        }
        if shared != nil { clusterPresence.replaceAll(with: Set(snapshot.devices.filter(\.online).map(\.key))) }
        for var device in snapshot.devices.sorted(by: { ($0.createdAt, $0.name) < ($1.createdAt, $1.name) }) {
            // No device is connected to a registry that is just starting: one stored as online lost its
            // logout in a crash (logouts are written in the background). Corrected in memory; the stored
            // document follows with the device's next change.
            device.online = online.contains(device.key)
            insert(device)
        }
        ota = OTAState(snapshot)
        for attempt in snapshot.recentAttempts where products[attempt.productId]?.replayProtection == true {
            replayWindow.record(ReplayWindow.key(attempt), at: attempt.time)
        }
        loaded = true
        logger.info(
            "registry loaded",
            metadata: ["hub.products": "\(products.count)", "hub.devices": "\(devices.count)"]
        )
    }

    /// Writes out everything queued and closes the store.
    public func shutdown() async {
        closed = true
        takeRefusals()
        enqueue(auditAggregator.drain().map { .appendAudit($0) })
        do {
            try await flushPending()
        } catch {
            logger.error("registry flush at shutdown failed", metadata: ["error": "\(error)"])
        }
        available = false
        events.finish()
        do {
            try await store.close()
        } catch {
            logger.error("registry store close failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: in-memory indexes

    // Read-only views of the catalog and the directory, under the names the engine's extensions use.
    var products: [String: Product] { catalog.products }
    var productOrder: [String] { catalog.order }
    var productIdByName: [String: String] { catalog.idByName }
    var devices: ShardedDictionary<DeviceKey, Device> { directory.devices }
    /// Each product's devices in creation order, with their list states (`ProductDeviceList`).
    var deviceOrder: [String: ProductDeviceList] { directory.lists }
    var autoCreatedCount: [String: Int] { directory.autoCreatedCount }
    var subDevicesByGateway: [DeviceKey: Set<DeviceKey>] { directory.subDevicesByGateway }
    var onlineCounts: [String: Int] { directory.onlineCounts }

    func insert(_ product: Product) {
        catalog.insert(product)
    }

    func removeProduct(_ id: String) {
        guard catalog.remove(id) != nil else { return }
        directory.removeProduct(id)
    }

    /// Puts the device in memory, and in the indexes other parts of the hub read without the actor (PSKs for the
    /// TLS-PSK handshake, gateway attachments for the broker, the cluster's presence).
    func insert(_ device: Device) {
        let key = device.key
        // Listed as the cluster sees it on a shared store (online on any node), so that the list's presence filter
        // counts every node's connections.
        let state = ProductDeviceList.state(of: shared == nil ? device : shownWithClusterPresence(device))
        let old = directory.insert(device, listState: state)
        let secret = device.psk
        if old == nil ? secret != nil : old?.psk != secret { pskIndex.update(key, secret: secret) }
        if old?.binding?.attached == true || device.binding?.attached == true {
            attachments.set(key, gateway: device.binding?.attached == true ? device.binding?.gateway : nil)
        }
        // A connection this node holds (the store says so to the other nodes; this node's own offline writes are
        // read back from the store, which knows whether another node holds the device now).
        if shared != nil, device.online { clusterPresence.set(key, online: true) }
    }

    func removeDevice(_ key: DeviceKey) {
        guard let old = directory.remove(key) else { return }
        pskIndex.remove(key)
        if old.binding != nil { attachments.set(key, gateway: nil) }
    }

    /// Devices online now (gateway sub-devices included while their gateway keeps them online), per
    /// product; products with none are absent.
    public func onlineDeviceCounts() -> [String: Int] {
        onlineCounts
    }

    /// The same with each product's name, the product with the most devices online first (one actor call
    /// for the overview, whatever the number of products).
    public func onlineDevicesByProduct() -> [(productId: String, name: String, online: Int)] {
        onlineCounts.map { (productId: $0.key, name: products[$0.key]?.name ?? "", online: $0.value) }
            .sorted { ($1.online, $0.productId) < ($0.online, $1.productId) }
    }

    func requireAvailable() throws {
        guard available else { throw RegistryError(.storageFailure, "registry unavailable") }
    }
}
