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

    var products: [String: Product] = [:]
    var productOrder: [String] = []
    var productIdByName: [String: String] = [:]
    var devices: ShardedDictionary<DeviceKey, Device> = [:]
    /// Each product's devices in creation order, with their list states (`ProductDeviceList`).
    var deviceOrder: [String: ProductDeviceList] = [:]
    var autoCreatedCount: [String: Int] = [:]
    var replayWindow = ReplayWindow()
    var applications: [String: Application] = [:]
    /// Firmware, update tasks and their device entries (RegistryEngine+OTA).
    var ota = OTAState()
    /// Floods of refused registrations counted into one audit row per source and reason.
    var auditAggregator = AuditAggregator()
    /// Gateway → its bound sub-devices (in no particular order; listings sort by bind time).
    var subDevicesByGateway: [DeviceKey: Set<DeviceKey>] = [:]
    /// Devices online now, per product (only products with some), kept in step by `insert`/`removeDevice`.
    var onlineCounts: [String: Int] = [:]

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
        products = [:]
        productOrder = []
        productIdByName = [:]
        devices = [:]
        pskIndex.removeAll()
        attachments.removeAll()
        subDevicesByGateway = [:]
        deviceOrder = [:]
        autoCreatedCount = [:]
        onlineCounts = [:]
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

    func insert(_ product: Product) {
        if products[product.id] == nil { productOrder.append(product.id) }
        if let old = products[product.id], old.name != product.name { productIdByName[old.name] = nil }
        products[product.id] = product
        productIdByName[product.name] = product.id
    }

    func removeProduct(_ id: String) {
        guard let product = products.removeValue(forKey: id) else { return }
        productOrder.removeAll { $0 == id }
        productIdByName[product.name] = nil
        deviceOrder[id] = nil
        autoCreatedCount[id] = nil
    }

    func insert(_ device: Device) {
        let key = device.key
        let secret = device.psk
        // Listed as the cluster sees it on a shared store (online on any node), so that the list's presence filter
        // counts every node's connections.
        let state = ProductDeviceList.state(of: shared == nil ? device : shownWithClusterPresence(device))
        let old = devices[key]
        if let old {
            if old.createdByRegistration { autoCreatedCount[key.productId, default: 0] -= 1 }
            if old.psk != secret { pskIndex.update(key, secret: secret) }
            deviceOrder[key.productId]?.setState(key.name, state)
        } else {
            deviceOrder[key.productId, default: []].append(key.name, state: state)
            if secret != nil { pskIndex.update(key, secret: secret) }
        }
        if device.createdByRegistration { autoCreatedCount[key.productId, default: 0] += 1 }
        if let old = old?.binding, old.gateway != device.binding?.gateway { subDevicesByGateway[old.gateway]?.remove(key) }
        if let binding = device.binding { subDevicesByGateway[binding.gateway, default: []].insert(key) }
        if old?.binding?.attached == true || device.binding?.attached == true {
            attachments.set(key, gateway: device.binding?.attached == true ? device.binding?.gateway : nil)
        }
        if (old?.online ?? false) != device.online { countOnline(key.productId, device.online ? 1 : -1) }
        // A connection this node holds (the store says so to the other nodes; this node's own offline writes are
        // read back from the store, which knows whether another node holds the device now).
        if shared != nil, device.online { clusterPresence.set(key, online: true) }
        devices[key] = device
    }

    private func countOnline(_ productId: String, _ delta: Int) {
        let count = onlineCounts[productId, default: 0] + delta
        onlineCounts[productId] = count > 0 ? count : nil
    }

    func removeDevice(_ key: DeviceKey) {
        guard let old = devices.removeValue(forKey: key) else { return }
        pskIndex.remove(key)
        if let binding = old.binding {
            subDevicesByGateway[binding.gateway]?.remove(key)
            attachments.set(key, gateway: nil)
        }
        deviceOrder[key.productId]?.remove(key.name)
        if old.createdByRegistration { autoCreatedCount[key.productId, default: 0] -= 1 }
        if old.online { countOnline(key.productId, -1) }
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
