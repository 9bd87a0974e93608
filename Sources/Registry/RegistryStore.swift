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
