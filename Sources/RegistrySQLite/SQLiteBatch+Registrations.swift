import Foundation
import Registry
import SQLiteNIO

/// Batches of registrations as one statement.
///
/// A batch of registrations is device upserts and audit entries. Written as `BEGIN`, one multi-row
/// statement per table and `COMMIT`, it costs four round trips to SQLite's thread; as one `INSERT` into the
/// temporary view `registration_batch`, whose `INSTEAD OF` trigger writes each row to its tables, it costs one.
/// A single statement outside an explicit transaction is its own transaction: all its rows or none are
/// written, and with `synchronous=FULL` it is fsynced before it returns, exactly like `COMMIT`.
///
/// A row of the view carries a device, an audit entry or both (a registration's device and its audit entry
/// follow each other in the batch); the trigger writes the device first, so the order of the batch is kept.
/// The view's device columns are the table's (``SQLiteRecords/deviceColumns``), its audit columns follow.
extension SQLiteBatch {
    /// Most rows in one registration batch statement (34 columns each: 24 bound parameters per device and 10 per
    /// audit entry, under SQLite's limit of 32766). Larger batches take the general path.
    static let registrationBatchRows = 800

    private static let auditViewColumns = "time_ms, audit_product_id, device_name, source, endpoint, accepted, reason, detail, nonce, timestamp"

    /// Per-connection (TEMP) objects; created on the writer connection when the store opens.
    static let registrationBatchSchema = [
        """
        CREATE TEMP VIEW registration_batch (\(SQLiteRecords.deviceColumns), \(auditViewColumns))
        AS SELECT \(Array(repeating: "NULL", count: SQLiteRecords.deviceColumnCount + 10).joined(separator: ", ")) WHERE 0
        """,
        // A device row (`created_at` set) replaces the stored one (a device in this statement has no tags and had
        // none: `singleStatement`); an audit row (`time_ms` set) is appended.
        """
        CREATE TEMP TRIGGER registration_batch_insert INSTEAD OF INSERT ON registration_batch
        BEGIN
            INSERT INTO devices (\(SQLiteRecords.deviceColumns))
                SELECT \(SQLiteRecords.deviceColumns.split(separator: ",").map { "NEW." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", "))
                WHERE NEW.created_at IS NOT NULL
                ON CONFLICT(product_id, name) DO UPDATE SET \(SQLiteRecords.deviceUpdate);
            INSERT INTO registration_audit (time_ms, product_id, device_name, source, endpoint, accepted, reason,
                detail, nonce, timestamp)
                SELECT NEW.time_ms, NEW.audit_product_id, NEW.device_name, NEW.source, NEW.endpoint, NEW.accepted,
                    NEW.reason, NEW.detail, NEW.nonce, NEW.timestamp
                WHERE NEW.time_ms IS NOT NULL;
        END
        """,
    ]

    private static let deviceParameters = Array(repeating: "?", count: SQLiteRecords.deviceColumnCount).joined(separator: ", ")
    private static let noDevice = Array(repeating: "NULL", count: SQLiteRecords.deviceColumnCount).joined(separator: ", ")
    private static let auditParameters = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
    private static let noAudit = "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"

    /// The batch as one statement, if it holds only upserts of devices without tags that had none (not in
    /// `taggedDevices`) and audit entries: devices alone (a batch of logins and logouts) as one multi-row upsert,
    /// devices and audit entries (registrations) through the view, in their order; `nil` otherwise.
    static func singleStatement(for mutations: [RegistryMutation], taggedDevices: Set<DeviceKey>) -> Statement? {
        guard !mutations.isEmpty, mutations.count <= registrationBatchRows else { return nil }
        var audits = false
        var devices: [Device] = []
        var positions: [DeviceKey: Int] = [:]
        for mutation in mutations {
            switch mutation {
            case .upsertDevice(let device) where device.tags.isEmpty && !taggedDevices.contains(device.key):
                if let position = positions[device.key] { devices[position] = device } else {
                    positions[device.key] = devices.count
                    devices.append(device)
                }
            case .appendAudit(let attempt) where attempt.count == 1: audits = true
            default: return nil
            }
        }
        // Devices only: each at its last state, one upsert (no tags to write or delete).
        if !audits { return upsertDevices(devices)[0] }
        return registrationStatement(for: mutations)
    }

    /// The batch (device upserts without tags and audit entries, as `singleStatement` checked) as one statement
    /// through the view, in its order.
    private static func registrationStatement(for mutations: [RegistryMutation]) -> Statement? {
        for mutation in mutations {
            switch mutation {
            case .upsertDevice(let device) where device.tags.isEmpty: continue
            // Counted rows (a flood folded into one) take the general path, which writes the count column.
            case .appendAudit(let attempt) where attempt.count == 1: continue
            default: return nil
            }
        }
        var binds: [SQLiteData] = []
        binds.reserveCapacity(mutations.count * SQLiteRecords.deviceColumnCount)
        var rows: [String] = []
        rows.reserveCapacity(mutations.count)
        var index = 0
        while index < mutations.count {
            var device: Device?
            if case .upsertDevice(let upsert) = mutations[index] {
                device = upsert
                index += 1
            }
            var audit: RegistrationAttempt?
            if index < mutations.count, case .appendAudit(let attempt) = mutations[index] {
                audit = attempt
                index += 1
            }
            if let device { SQLiteRecords.append(device, to: &binds) }
            if let a = audit {
                binds += [
                    SQLiteRecords.integer(a.time), .text(a.productId), .text(a.deviceName), .text(a.sourceAddress), .text(a.endpoint.rawValue),
                    SQLiteRecords.bool(a.accepted), .text(a.reason), .text(a.detail), .text(a.nonce), .text(a.timestamp),
                ]
            }
            rows.append("(" + (device == nil ? noDevice : deviceParameters) + ", " + (audit == nil ? noAudit : auditParameters) + ")")
        }
        return Statement(sql: "INSERT INTO registration_batch VALUES " + rows.joined(separator: ", "), binds: binds)
    }
}
