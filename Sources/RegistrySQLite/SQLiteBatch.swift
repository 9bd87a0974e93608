import Foundation
import Registry
import SQLiteNIO

/// Turns a batch of mutations into as few statements as possible: consecutive mutations of one kind become
/// one multi-row statement.
///
/// Audit entries are written after everything else, in their own order. The audit table is append-only and
/// no other table refers to it, so moving its rows to the end of the transaction changes nothing but the
/// statement count: a batch of registrations interleaves `upsertDevice` and `appendAudit`, which would
/// otherwise cost two statements (two thread-pool round trips) per registration instead of two per batch.
/// All other mutations keep their order.
enum SQLiteBatch {
    struct Statement {
        var sql: String
        var binds: [SQLiteData]
    }

    /// Rows per multi-row statement (SQLite allows 32766 bound parameters).
    static let rowsPerStatement = 200

    private enum Kind: Equatable {
        case product, deleteProduct, device, deleteDevice, audit, application, deleteApplication
        case firmware, firmwareTask, firmwareTaskDevice
    }

    static func statements(for mutations: [RegistryMutation]) throws -> [Statement] {
        let encoder = makeEncoder()
        var result: [Statement] = []
        var run: [RegistryMutation] = []
        var runKind: Kind?

        func flush() throws {
            guard let kind = runKind, !run.isEmpty else { return }
            var start = 0
            while start < run.count {
                let chunk = run[start..<min(start + rowsPerStatement, run.count)]
                result.append(try statement(kind: kind, chunk: chunk, encoder: encoder))
                start += rowsPerStatement
            }
            run = []
        }

        var audits: [RegistryMutation] = []
        for mutation in mutations {
            if case .appendAudit = mutation {
                audits.append(mutation)
                continue
            }
            let kind: Kind
            switch mutation {
            case .upsertProduct: kind = .product
            case .deleteProduct: kind = .deleteProduct
            case .upsertDevice: kind = .device
            case .deleteDevice: kind = .deleteDevice
            case .appendAudit: kind = .audit
            case .upsertApplication: kind = .application
            case .deleteApplication: kind = .deleteApplication
            case .upsertFirmware: kind = .firmware
            case .upsertFirmwareTask: kind = .firmwareTask
            case .upsertFirmwareTaskDevice: kind = .firmwareTaskDevice
            }
            if kind != runKind {
                try flush()
                runKind = kind
            }
            run.append(mutation)
        }
        try flush()
        if !audits.isEmpty {
            runKind = .audit
            run = audits
            try flush()
        }
        return result
    }

    private static func statement(kind: Kind, chunk: ArraySlice<RegistryMutation>, encoder: JSONEncoder) throws -> Statement {
        var binds: [SQLiteData] = []
        switch kind {
        case .product:
            for case .upsertProduct(let product) in chunk {
                binds += [.text(product.id), .text(product.name), .text(try json(product, encoder))]
            }
            // A renamed product may collide with its own old row only; names are unique in the engine.
            return Statement(
                sql: "INSERT INTO products (id, name, data) VALUES " + placeholders(rows: chunk.count, columns: 3)
                    + " ON CONFLICT(id) DO UPDATE SET name = excluded.name, data = excluded.data",
                binds: binds
            )
        case .deleteProduct:
            for case .deleteProduct(let id) in chunk { binds.append(.text(id)) }
            return Statement(
                sql: "DELETE FROM products WHERE id IN (" + Array(repeating: "?", count: chunk.count).joined(separator: ", ") + ")",
                binds: binds
            )
        case .device:
            // Field by field, as in registration batches: batches over `registrationBatchRows` (the logouts of
            // a storm of closing connections) come this way.
            for case .upsertDevice(let device) in chunk {
                binds += [.text(device.productId), .text(device.name), .text(try StoredJSON.encode(device: device, fallback: encoder))]
            }
            return Statement(
                sql: "INSERT INTO devices (product_id, name, data) VALUES " + placeholders(rows: chunk.count, columns: 3)
                    + " ON CONFLICT(product_id, name) DO UPDATE SET data = excluded.data",
                binds: binds
            )
        case .deleteDevice:
            var conditions: [String] = []
            for case .deleteDevice(let key) in chunk {
                conditions.append("(product_id = ? AND name = ?)")
                binds += [.text(key.productId), .text(key.name)]
            }
            return Statement(sql: "DELETE FROM devices WHERE " + conditions.joined(separator: " OR "), binds: binds)
        case .application:
            for case .upsertApplication(let application) in chunk {
                binds += [.text(application.id), .text(try json(application, encoder))]
            }
            return Statement(
                sql: "INSERT INTO applications (id, data) VALUES " + placeholders(rows: chunk.count, columns: 2)
                    + " ON CONFLICT(id) DO UPDATE SET data = excluded.data",
                binds: binds
            )
        case .deleteApplication:
            for case .deleteApplication(let id) in chunk { binds.append(.text(id)) }
            return Statement(
                sql: "DELETE FROM applications WHERE id IN (" + Array(repeating: "?", count: chunk.count).joined(separator: ", ") + ")",
                binds: binds
            )
        case .firmware:
            for case .upsertFirmware(let firmware) in chunk {
                binds += [.text(firmware.productId), .text(firmware.version), .text(try json(firmware, encoder))]
            }
            return Statement(
                sql: "INSERT INTO firmwares (product_id, version, data) VALUES " + placeholders(rows: chunk.count, columns: 3)
                    + " ON CONFLICT(product_id, version) DO UPDATE SET data = excluded.data",
                binds: binds
            )
        case .firmwareTask:
            for case .upsertFirmwareTask(let task) in chunk {
                binds += [.integer(Int(task.id)), .text(task.productId), .text(task.version), .text(try json(task, encoder))]
            }
            return Statement(
                sql: "INSERT INTO firmware_tasks (id, product_id, version, data) VALUES " + placeholders(rows: chunk.count, columns: 4)
                    + " ON CONFLICT(id) DO UPDATE SET data = excluded.data",
                binds: binds
            )
        case .firmwareTaskDevice:
            // One row per (task, device) and statement (a row may not be upserted twice in one INSERT): the
            // last state of an entry within the chunk wins.
            var latest: [String: FirmwareTaskDevice] = [:]
            var order: [String] = []
            for case .upsertFirmwareTaskDevice(let entry) in chunk {
                let key = "\(entry.taskId)/\(entry.deviceName)"
                if latest.updateValue(entry, forKey: key) == nil { order.append(key) }
            }
            for key in order {
                guard let entry = latest[key] else { continue }
                binds += [.integer(Int(entry.taskId)), .text(entry.deviceName), .text(try json(entry, encoder))]
            }
            return Statement(
                sql: "INSERT INTO firmware_task_devices (task_id, device_name, data) VALUES " + placeholders(rows: order.count, columns: 3)
                    + " ON CONFLICT(task_id, device_name) DO UPDATE SET data = excluded.data",
                binds: binds
            )
        case .audit:
            for case .appendAudit(let a) in chunk {
                binds += [
                    .integer(Int(a.time)), .text(a.productId), .text(a.deviceName), .text(a.sourceAddress),
                    .text(a.endpoint.rawValue), .integer(a.accepted ? 1 : 0), .text(a.reason), .text(a.detail),
                    .text(a.nonce), .text(a.timestamp), .integer(a.count),
                ]
            }
            return Statement(
                sql: """
                    INSERT INTO registration_audit (time_ms, product_id, device_name, source, endpoint, accepted, \
                    reason, detail, nonce, timestamp, count) VALUES 
                    """ + placeholders(rows: chunk.count, columns: 11),
                binds: binds
            )
        }
    }

    private static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }

    /// The encoder of the JSON documents stored in the `data` columns.
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    static func json(_ value: some Encodable, _ encoder: JSONEncoder) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
