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

    /// Rows per multi-row statement (SQLite allows 32766 bound parameters; a device row binds 24, its tags 7
    /// each).
    static let rowsPerStatement = 200

    private enum Kind: Equatable {
        case product, deleteProduct, device, deleteDevice, audit, application, deleteApplication
        case firmware, firmwareTask, firmwareTaskDevice
    }

    static func statements(for mutations: [RegistryMutation]) throws -> [Statement] {
        var result: [Statement] = []
        var run: [RegistryMutation] = []
        var runKind: Kind?

        func flush() {
            guard let kind = runKind, !run.isEmpty else { return }
            var start = 0
            while start < run.count {
                let chunk = run[start..<min(start + rowsPerStatement, run.count)]
                result += statements(kind: kind, chunk: chunk)
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
                flush()
                runKind = kind
            }
            run.append(mutation)
        }
        flush()
        if !audits.isEmpty {
            runKind = .audit
            run = audits
            flush()
        }
        return result
    }

    private static func statements(kind: Kind, chunk: ArraySlice<RegistryMutation>) -> [Statement] {
        switch kind {
        case .product:
            var products: [Product] = []
            for case .upsertProduct(let product) in chunk { products.append(product) }
            return upsertProducts(products)
        case .deleteProduct:
            var ids: [SQLiteData] = []
            for case .deleteProduct(let id) in chunk { ids.append(.text(id)) }
            return [Statement(sql: "DELETE FROM products WHERE id IN (" + list(ids.count) + ")", binds: ids)]
        case .device:
            // Each device at its last state in the run (a statement may not upsert one row twice).
            var devices: [Device] = []
            var positions: [DeviceKey: Int] = [:]
            for case .upsertDevice(let device) in chunk {
                if let position = positions[device.key] { devices[position] = device } else {
                    positions[device.key] = devices.count
                    devices.append(device)
                }
            }
            return upsertDevices(devices)
        case .deleteDevice:
            var keys: [DeviceKey] = []
            for case .deleteDevice(let key) in chunk { keys.append(key) }
            return deleteDevices(keys)
        case .application:
            var applications: [Application] = []
            for case .upsertApplication(let application) in chunk { applications.append(application) }
            return upsertApplications(applications)
        case .deleteApplication:
            var ids: [SQLiteData] = []
            for case .deleteApplication(let id) in chunk { ids.append(.text(id)) }
            return [
                Statement(sql: "DELETE FROM application_products WHERE application_id IN (" + list(ids.count) + ")", binds: ids),
                Statement(sql: "DELETE FROM applications WHERE id IN (" + list(ids.count) + ")", binds: ids),
            ]
        case .firmware:
            var firmwares: [Firmware] = []
            for case .upsertFirmware(let firmware) in chunk { firmwares.append(firmware) }
            return [upsertFirmwares(firmwares)]
        case .firmwareTask:
            var latest: [Int64: FirmwareTask] = [:]
            var order: [Int64] = []
            for case .upsertFirmwareTask(let task) in chunk where latest.updateValue(task, forKey: task.id) == nil { order.append(task.id) }
            return [upsertTasks(order.compactMap { latest[$0] })]
        case .firmwareTaskDevice:
            // One row per (task, device) and statement: the last state of an entry within the chunk wins.
            var latest: [String: FirmwareTaskDevice] = [:]
            var order: [String] = []
            for case .upsertFirmwareTaskDevice(let entry) in chunk {
                let key = "\(entry.taskId)/\(entry.deviceName)"
                if latest.updateValue(entry, forKey: key) == nil { order.append(key) }
            }
            return [upsertTaskDevices(order.compactMap { latest[$0] })]
        case .audit:
            var binds: [SQLiteData] = []
            for case .appendAudit(let attempt) in chunk { SQLiteRecords.append(attempt, to: &binds) }
            return [
                Statement(
                    sql: "INSERT INTO registration_audit (\(SQLiteRecords.auditColumns)) VALUES "
                        + placeholders(rows: chunk.count, columns: SQLiteRecords.auditColumnCount),
                    binds: binds
                )
            ]
        }
    }

    // MARK: statements per record kind (also used by the migration to columns)

    static func upsertProducts(_ products: [Product]) -> [Statement] {
        var binds: [SQLiteData] = []
        for product in products { SQLiteRecords.append(product, to: &binds) }
        // A renamed product may collide with its own old row only; names are unique in the engine.
        return [
            Statement(
                sql: "INSERT INTO products (\(SQLiteRecords.productColumns)) VALUES "
                    + placeholders(rows: products.count, columns: SQLiteRecords.productColumnCount)
                    + " ON CONFLICT(id) DO UPDATE SET \(SQLiteRecords.productUpdate)",
                binds: binds
            )
        ]
    }

    /// The devices (each key once), then their tags: the old ones deleted, the current ones inserted.
    static func upsertDevices(_ devices: [Device]) -> [Statement] {
        var binds: [SQLiteData] = []
        binds.reserveCapacity(devices.count * SQLiteRecords.deviceColumnCount)
        for device in devices { SQLiteRecords.append(device, to: &binds) }
        var result = [
            Statement(
                sql: "INSERT INTO devices (\(SQLiteRecords.deviceColumns)) VALUES "
                    + placeholders(rows: devices.count, columns: SQLiteRecords.deviceColumnCount)
                    + " ON CONFLICT(product_id, name) DO UPDATE SET \(SQLiteRecords.deviceUpdate)",
                binds: binds
            ),
            deleteTags(of: devices.map(\.key)),
        ]
        var tags: [[SQLiteData]] = []
        for device in devices {
            for (position, tag) in device.tags.enumerated() {
                var row: [SQLiteData] = []
                SQLiteRecords.append(tag, at: position, of: device, to: &row)
                tags.append(row)
            }
        }
        result += inserts(into: "device_tags (\(SQLiteRecords.tagColumns))", rows: tags)
        return result
    }

    static func deleteDevices(_ keys: [DeviceKey]) -> [Statement] {
        var binds: [SQLiteData] = []
        for key in keys { binds += [.text(key.productId), .text(key.name)] }
        return [
            Statement(sql: "DELETE FROM devices WHERE (product_id, name) IN (VALUES " + placeholders(rows: keys.count, columns: 2) + ")", binds: binds),
            deleteTags(of: keys),
        ]
    }

    private static func deleteTags(of keys: [DeviceKey]) -> Statement {
        var binds: [SQLiteData] = []
        for key in keys { binds += [.text(key.productId), .text(key.name)] }
        return Statement(
            sql: "DELETE FROM device_tags WHERE (product_id, device_name) IN (VALUES " + placeholders(rows: keys.count, columns: 2) + ")",
            binds: binds
        )
    }

    /// The applications, then their products: the old ones deleted, the current ones inserted.
    static func upsertApplications(_ applications: [Application]) -> [Statement] {
        var binds: [SQLiteData] = []
        for application in applications { SQLiteRecords.append(application, to: &binds) }
        let ids = applications.map { SQLiteData.text($0.id) }
        var result = [
            Statement(
                sql: "INSERT INTO applications (\(SQLiteRecords.applicationColumns)) VALUES "
                    + placeholders(rows: applications.count, columns: SQLiteRecords.applicationColumnCount)
                    + " ON CONFLICT(id) DO UPDATE SET \(SQLiteRecords.applicationUpdate)",
                binds: binds
            ),
            Statement(sql: "DELETE FROM application_products WHERE application_id IN (" + list(ids.count) + ")", binds: ids),
        ]
        var products: [[SQLiteData]] = []
        for application in applications {
            for (position, productId) in application.productIds.enumerated() {
                products.append([.text(application.id), .integer(SQLiteInt64(position)), .text(productId)])
            }
        }
        result += inserts(into: "application_products (application_id, position, product_id)", rows: products)
        return result
    }

    static func upsertFirmwares(_ firmwares: [Firmware]) -> Statement {
        var binds: [SQLiteData] = []
        for firmware in firmwares { SQLiteRecords.append(firmware, to: &binds) }
        return Statement(
            sql: "INSERT INTO firmwares (\(SQLiteRecords.firmwareColumns)) VALUES "
                + placeholders(rows: firmwares.count, columns: SQLiteRecords.firmwareColumnCount)
                + " ON CONFLICT(product_id, version) DO UPDATE SET \(SQLiteRecords.firmwareUpdate)",
            binds: binds
        )
    }

    static func upsertTasks(_ tasks: [FirmwareTask]) -> Statement {
        var binds: [SQLiteData] = []
        for task in tasks { SQLiteRecords.append(task, to: &binds) }
        return Statement(
            sql: "INSERT INTO firmware_tasks (\(SQLiteRecords.taskColumns)) VALUES "
                + placeholders(rows: tasks.count, columns: SQLiteRecords.taskColumnCount)
                + " ON CONFLICT(id) DO UPDATE SET \(SQLiteRecords.taskUpdate)",
            binds: binds
        )
    }

    static func upsertTaskDevices(_ entries: [FirmwareTaskDevice]) -> Statement {
        var binds: [SQLiteData] = []
        for entry in entries { SQLiteRecords.append(entry, to: &binds) }
        return Statement(
            sql: "INSERT INTO firmware_task_devices (\(SQLiteRecords.taskDeviceColumns)) VALUES "
                + placeholders(rows: entries.count, columns: SQLiteRecords.taskDeviceColumnCount)
                + " ON CONFLICT(task_id, device_name) DO UPDATE SET \(SQLiteRecords.taskDeviceUpdate)",
            binds: binds
        )
    }

    static func upsertBan(_ ban: SourceBan) -> Statement {
        Statement(
            sql: """
                INSERT INTO source_bans (address, until_ms, created_ms, reason, automatic) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (address) DO UPDATE SET until_ms = excluded.until_ms, created_ms = excluded.created_ms,
                    reason = excluded.reason, automatic = excluded.automatic
                """,
            binds: [
                .text(ban.address), SQLiteRecords.integer(ban.until), SQLiteRecords.integer(ban.created), .text(ban.reason),
                SQLiteRecords.bool(ban.automatic),
            ]
        )
    }

    static func upsertOperator(_ account: ConsoleOperator) -> Statement {
        Statement(
            sql: """
                INSERT INTO console_operators (name, role, password_hash, created_ms, password_changed_ms) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,
                    created_ms = excluded.created_ms, password_changed_ms = excluded.password_changed_ms
                """,
            binds: [
                .text(account.name), .text(account.role.rawValue), .text(account.passwordHash), SQLiteRecords.integer(account.created),
                SQLiteRecords.integer(account.passwordChanged),
            ]
        )
    }

    /// `rows` inserted into `table` (with its column list), in as many statements as SQLite's limit of bound
    /// parameters needs.
    private static func inserts(into table: String, rows: [[SQLiteData]]) -> [Statement] {
        guard let columns = rows.first?.count else { return [] }
        let rowsPerInsert = maxParameters / columns
        var result: [Statement] = []
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + rowsPerInsert, rows.count)]
            result.append(
                Statement(sql: "INSERT INTO \(table) VALUES " + placeholders(rows: chunk.count, columns: columns), binds: chunk.flatMap { $0 })
            )
            start += rowsPerInsert
        }
        return result
    }

    /// Bound parameters per statement, under SQLite's limit of 32766.
    static let maxParameters = 30_000

    private static func list(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    private static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }
}
