import Logging
/// One durable change to the registry. A batch of mutations is applied atomically.
public enum RegistryMutation: Sendable {
    case upsertProduct(Product)
    case deleteProduct(id: String)
    case upsertDevice(Device)
    case deleteDevice(DeviceKey)
    case appendAudit(RegistrationAttempt)
    case upsertApplication(Application)
    case deleteApplication(id: String)
    case upsertFirmware(Firmware)
    case upsertFirmwareTask(FirmwareTask)
    case upsertFirmwareTaskDevice(FirmwareTaskDevice)
}

/// Everything the registry keeps in memory, as loaded at start.
public struct RegistrySnapshot: Sendable {
    public var products: [Product]
    public var devices: [Device]
    /// Nonces seen within the replay window, for products with replay protection.
    public var recentAttempts: [RegistrationAttempt]
    public var applications: [Application]
    public var firmwares: [Firmware] = []
    public var firmwareTasks: [FirmwareTask] = []
    public var firmwareTaskDevices: [FirmwareTaskDevice] = []

    public init(products: [Product] = [], devices: [Device] = [], recentAttempts: [RegistrationAttempt] = [], applications: [Application] = []) {
        self.products = products
        self.devices = devices
        self.recentAttempts = recentAttempts
        self.applications = applications
    }
}

/// Persistence driver of the registry (SQLite file by default, PostgreSQL later).
///
/// The engine serialises all calls to `apply`; a driver need not be re-entrant for writes.
public protocol RegistryStore: Sendable {
    /// Loads products, devices and the audit entries newer than `auditSince` (Unix ms) that carry a nonce.
    func load(auditSince: Int64) async throws -> RegistrySnapshot
    /// Applies the mutations in one transaction: all or nothing, durable when it returns.
    func apply(_ mutations: [RegistryMutation]) async throws
    /// Queries the registration audit log, newest first. Returns the total number of matches too.
    func queryAudit(_ query: AuditQuery) async throws -> (total: Int, attempts: [RegistrationAttempt])
    /// Deletes audit rows older than `before` (Unix ms; nil = none by age), then the oldest rows beyond the
    /// newest `maxRows` (nil = no cap). Returns how many rows were deleted.
    func pruneAudit(before: Int64?, maxRows: Int?) async throws -> Int
    /// Releases the underlying resources.
    func close() async throws
}

extension RegistryStore {
    /// Stores without an audit table of their own keep everything.
    public func pruneAudit(before: Int64?, maxRows: Int?) async throws -> Int { 0 }
}

/// What ``SharedRegistryStore/createRegisteredDevice(_:audit:)`` found.
public enum SharedRegistration: Sendable {
    /// The device was created with the credential it was given.
    case created
    /// A device of that name exists already (created by a racing registration or an operator, on any node).
    case existing(Device)
    /// The product has `RegisterLimit` devices created by registration already; nothing was written.
    case limitReached(count: Int, limit: Int)
    /// The product no longer exists.
    case productNotFound
}

/// A store several hub processes share (PostgreSQL): the one place that can decide what must be exact across
/// nodes, and the one a node reads the devices and products it decides about from.
///
/// A registry on a shared store reads the product and device of every registration and of every
/// MQTT login from the store (so a change made on another node counts at once), and has the store create devices,
/// so racing registrations on different nodes create exactly as many devices as the limit leaves and one device,
/// with one credential, per name.
public protocol SharedRegistryStore: RegistryStore {
    /// Creates `device` (made by a dynamic registration) and appends `audit` in one transaction, unless a device of
    /// that name exists or the product has its `RegisterLimit` of devices created by registration. The product's
    /// row is locked while counting, so concurrent calls, from any process, are decided one after another.
    func createRegisteredDevice(_ device: Device, audit: RegistrationAttempt) async throws -> SharedRegistration
    /// The devices of `keys` that exist, as stored now.
    func loadDevices(_ keys: [DeviceKey]) async throws -> [Device]
    /// The products of `ids` that exist, as stored now.
    func loadProducts(ids: [String]) async throws -> [Product]
    /// The applications, firmware, update tasks and their device entries as stored now (the rest of the snapshot
    /// empty).
    func loadApplicationsAndOTA() async throws -> RegistrySnapshot
    /// The records other processes change, as their transactions commit. Each (re)connection of the feed begins
    /// with `.resync` once it is listening (what changed before is to be read again). Ends when the store closes.
    func changes() -> AsyncStream<RegistryChange>
    /// Claims a validly signed registration's nonce (`ReplayWindow.key`) for `windowMillis`, for every process on
    /// the store at once: false if any of them claimed it within the window (a replay, wherever it arrives).
    func claimNonce(_ key: String, at millis: Int64, windowMillis: Int64) async throws -> Bool
    /// A firmware task id no process on the store has used or will be given.
    func nextFirmwareTaskId() async throws -> Int64
}

/// A record another process sharing the store changed (``SharedRegistryStore/changes()``).
public enum RegistryChange: Sendable, Hashable {
    case product(id: String)
    case device(DeviceKey)
    case application(id: String)
    /// Firmware or update tasks of the product.
    case ota(productId: String)
    /// The operator's source bans (``SourceBanStore``).
    case sourceBans
    /// Changes may have been missed: read everything again.
    case resync
}
