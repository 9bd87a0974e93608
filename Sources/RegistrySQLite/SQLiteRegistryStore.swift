public import Logging
public import Registry
import SQLiteNIO
import Synchronization

/// The embedded default registry store: one SQLite file in WAL mode.
///
/// Every record is stored as columns (``SQLiteRecords``, schema step 10): the engine keeps products and devices
/// in memory, the store makes them durable and gives them back at start; the audit log is filtered in SQL.
public final class SQLiteRegistryStore: RegistryStore {
    /// How hard SQLite works to make a commit durable.
    public enum Durability: String, Sendable, CaseIterable {
        /// `synchronous=FULL`: every commit is fsynced; survives power loss. Default.
        case full
        /// `synchronous=NORMAL`: survives a crash or `kill -9` of the hub, not a power loss.
        case normal
    }

    /// WAL pages after which a commit checkpoints (see `open`).
    static let walAutoCheckpointPages = 4_000

    let writer: SQLiteConnection
    /// The devices that have rows in `device_tags` (read at open, kept by `apply`): a batch that writes none of them
    /// and no tags has no tags to delete, and takes a single statement.
    let taggedDevices = Mutex<Set<DeviceKey>>([])
    let reader: SQLiteConnection
    let logger: Logger
    public let path: String

    private init(path: String, writer: SQLiteConnection, reader: SQLiteConnection, logger: Logger) {
        self.path = path
        self.writer = writer
        self.reader = reader
        self.logger = logger
    }

    /// Opens (creating if needed) the database file and migrates its schema.
    public static func open(path: String, durability: Durability = .full, logger: Logger) async throws -> SQLiteRegistryStore {
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            try await writer.exec("PRAGMA journal_mode=WAL")
            try await writer.exec("PRAGMA synchronous=\(durability == .full ? "FULL" : "NORMAL")")
            try await writer.exec("PRAGMA busy_timeout=5000")
            // Checkpoint the WAL into the database file every 4,000 pages (16 MiB with 4 KiB pages) instead of
            // SQLite's 1,000: a checkpoint copies each page once however many commits rewrote it, and the pages
            // every registration batch touches (the ends of the tables, the upper index levels) are the same,
            // so fewer checkpoints copy fewer pages per registration. Durability is unchanged: every commit is
            // in the WAL (fsynced with synchronous=FULL) before it returns.
            try await writer.exec("PRAGMA wal_autocheckpoint=\(Self.walAutoCheckpointPages)")
            try await SQLiteMigrations.migrate(writer, logger: logger)
            for sql in SQLiteBatch.registrationBatchSchema { try await writer.exec(sql) }
        } catch {
            try? await writer.close()
            throw error
        }
        let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        try await reader.exec("PRAGMA busy_timeout=5000")
        let store = SQLiteRegistryStore(path: path, writer: writer, reader: reader, logger: logger)
        var tagged: Set<DeviceKey> = []
        for row in try await reader.query("SELECT DISTINCT product_id, device_name FROM device_tags", []) {
            let columns = Columns(row: row, table: "device_tags")
            tagged.insert(DeviceKey(productId: try columns.text("product_id"), name: try columns.text("device_name")))
        }
        store.taggedDevices.withLock { $0 = tagged }
        return store
    }

    public func load(auditSince: Int64) async throws -> RegistrySnapshot {
        var snapshot = RegistrySnapshot()
        snapshot.products = try await reader.query("SELECT \(SQLiteRecords.productColumns) FROM products", []).map(SQLiteRecords.product)
        snapshot.devices = try await reader.query("SELECT \(SQLiteRecords.deviceColumns) FROM devices", []).map(SQLiteRecords.device)
        let tags = try await reader.query("SELECT \(SQLiteRecords.tagColumns) FROM device_tags ORDER BY product_id, device_name, position", [])
        if !tags.isEmpty {
            var positions: [DeviceKey: Int] = [:]
            for (index, device) in snapshot.devices.enumerated() { positions[device.key] = index }
            for row in tags {
                let (key, tag) = try SQLiteRecords.tag(row)
                if let index = positions[key] { snapshot.devices[index].tags.append(tag) }
            }
        }
        snapshot.applications = try await reader.query("SELECT \(SQLiteRecords.applicationColumns) FROM applications", [])
            .map(SQLiteRecords.application)
        let applicationProducts = try await reader.query(
            "SELECT application_id, product_id FROM application_products ORDER BY application_id, position", []
        )
        if !applicationProducts.isEmpty {
            var positions: [String: Int] = [:]
            for (index, application) in snapshot.applications.enumerated() { positions[application.id] = index }
            for row in applicationProducts {
                let (applicationId, productId) = try SQLiteRecords.applicationProduct(row)
                if let index = positions[applicationId] { snapshot.applications[index].productIds.append(productId) }
            }
        }
        try await loadFirmware(into: &snapshot)
        snapshot.recentAttempts = try await reader.query(
            "SELECT \(SQLiteRecords.auditColumns) FROM registration_audit WHERE time_ms >= ? AND nonce <> ''",
            [.integer(Int(auditSince))]
        ).map(SQLiteRecords.attempt)
        return snapshot
    }

    public func apply(_ mutations: [RegistryMutation]) async throws {
        guard !mutations.isEmpty else { return }
        let tagged = taggedDevices.withLock { $0 }
        if let statement = SQLiteBatch.singleStatement(for: mutations, taggedDevices: tagged) {
            // Its own transaction: atomic, and durable when it returns (see SQLiteBatch+Registrations.swift).
            _ = try await writer.query(statement.sql, statement.binds)
            return
        }
        // Devices about to have tags count as tagged before the write (a failed write leaves a superset: an
        // unneeded delete later); devices whose tags are gone stop counting once it is durable.
        var gainTags: Set<DeviceKey> = []
        var loseTags: Set<DeviceKey> = []
        for mutation in mutations {
            switch mutation {
            case .upsertDevice(let device) where !device.tags.isEmpty:
                gainTags.insert(device.key)
                loseTags.remove(device.key)
            case .upsertDevice(let device):
                loseTags.insert(device.key)
                gainTags.remove(device.key)
            case .deleteDevice(let key):
                loseTags.insert(key)
                gainTags.remove(key)
            default:
                continue
            }
        }
        if !gainTags.isEmpty { taggedDevices.withLock { $0.formUnion(gainTags) } }
        let statements = try SQLiteBatch.statements(for: mutations)
        try await writer.exec("BEGIN IMMEDIATE")
        do {
            for statement in statements {
                _ = try await writer.query(statement.sql, statement.binds)
            }
            try await writer.exec("COMMIT")
        } catch {
            try? await writer.exec("ROLLBACK")
            throw error
        }
        if !loseTags.isEmpty { taggedDevices.withLock { $0.subtract(loseTags) } }
    }

    public func queryAudit(_ query: AuditQuery) async throws -> (total: Int, attempts: [RegistrationAttempt]) {
        var clauses: [String] = []
        var binds: [SQLiteData] = []
        if let productId = query.productId { clauses.append("product_id = ?"); binds.append(.text(productId)) }
        if let deviceName = query.deviceName { clauses.append("device_name = ?"); binds.append(.text(deviceName)) }
        if let accepted = query.accepted { clauses.append("accepted = ?"); binds.append(.integer(accepted ? 1 : 0)) }
        if let reason = query.reason { clauses.append("reason = ?"); binds.append(.text(reason)) }
        if let since = query.since { clauses.append("time_ms >= ?"); binds.append(.integer(Int(since))) }
        if let until = query.until { clauses.append("time_ms < ?"); binds.append(.integer(Int(until))) }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let countRows = try await reader.query("SELECT COUNT(*) AS n FROM registration_audit" + whereSQL, binds)
        let total = countRows.first?.column("n")?.integer ?? 0
        let rows = try await reader.query(
            "SELECT \(SQLiteRecords.auditColumns) FROM registration_audit" + whereSQL + " ORDER BY id DESC LIMIT ? OFFSET ?",
            binds + [.integer(max(query.limit, 0)), .integer(max(query.offset, 0))]
        )
        return (total, try rows.map(SQLiteRecords.attempt))
    }

    public func close() async throws {
        try await reader.close()
        try await writer.close()
    }
}

extension SQLiteConnection {
    func exec(_ sql: String) async throws {
        _ = try await query(sql, [])
    }
}
