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
extension SQLiteBatch {
    /// Most rows in one registration batch statement (13 columns each, at most 4 bound parameters per
    /// device and 10 per audit entry: well under SQLite's limit of 32766). Larger batches take the general path.
    static let registrationBatchRows = 1_000

    /// Per-connection (TEMP) objects; created on the writer connection when the store opens.
    static let registrationBatchSchema = [
        """
        CREATE TEMP VIEW IF NOT EXISTS registration_batch (product_id, name, data, time_ms, audit_product_id,
            device_name, source, endpoint, accepted, reason, detail, nonce, timestamp)
        AS SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE 0
        """,
        """
        CREATE TEMP TRIGGER IF NOT EXISTS registration_batch_insert INSTEAD OF INSERT ON registration_batch
        BEGIN
            INSERT INTO devices (product_id, name, data)
                SELECT NEW.product_id, NEW.name, NEW.data WHERE NEW.data IS NOT NULL
                ON CONFLICT(product_id, name) DO UPDATE SET data = excluded.data;
            INSERT INTO registration_audit (time_ms, product_id, device_name, source, endpoint, accepted, reason,
                detail, nonce, timestamp)
                SELECT NEW.time_ms, NEW.audit_product_id, NEW.device_name, NEW.source, NEW.endpoint, NEW.accepted,
                    NEW.reason, NEW.detail, NEW.nonce, NEW.timestamp
                WHERE NEW.time_ms IS NOT NULL;
        END
        """,
    ]

    private static let deviceColumns = "?, ?, ?"
    private static let noDevice = "NULL, NULL, NULL"
    private static let auditColumns = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
    private static let noAudit = "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"

    /// The batch as one statement, in its order, if it holds only device upserts and audit entries (and not
    /// too many of them); `nil` otherwise.
    static func registrationStatement(for mutations: [RegistryMutation]) throws -> Statement? {
        guard !mutations.isEmpty, mutations.count <= registrationBatchRows else { return nil }
        for mutation in mutations {
            switch mutation {
            case .upsertDevice: continue
            // Counted rows (a flood folded into one) take the general path, which writes the count column.
            case .appendAudit(let attempt) where attempt.count == 1: continue
            default: return nil
            }
        }
        let encoder = makeEncoder()
        var binds: [SQLiteData] = []
        binds.reserveCapacity(mutations.count * 7)
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
            if let device {
                // The text JSONEncoder would write (see StoredJSON and StoredJSON+Device), written faster:
                // this runs in the one serial stage of the group commit.
                binds += [.text(device.productId), .text(device.name), .text(try StoredJSON.encode(device: device, fallback: encoder))]
            }
            if let a = audit {
                binds += [
                    .integer(Int(a.time)), .text(a.productId), .text(a.deviceName), .text(a.sourceAddress),
                    .text(a.endpoint.rawValue), .integer(a.accepted ? 1 : 0), .text(a.reason), .text(a.detail),
                    .text(a.nonce), .text(a.timestamp),
                ]
            }
            rows.append("(" + (device == nil ? noDevice : deviceColumns) + ", " + (audit == nil ? noAudit : auditColumns) + ")")
        }
        return Statement(sql: "INSERT INTO registration_batch VALUES " + rows.joined(separator: ", "), binds: binds)
    }
}
