public import Registry
import SQLiteNIO

/// Resource management records (schema step 8). On the reader connection, like the device logs: the engine's
/// group commit holds the writer inside a transaction across suspension points. Every call is one statement
/// (atomic on its own), except that a task's entries are written after its row, in chunks.
extension SQLiteRegistryStore: ResourceStore {
    /// Rows per INSERT of task entries (9 parameters each, well under SQLite's variable limit).
    static let resourcePushInsertChunk = 500

    // MARK: product resources

    public func insertProductResource(_ resource: ProductResource) async throws -> Bool {
        let rows = try await reader.query(
            """
            INSERT INTO product_resources (product_id, name, md5, size, description, file_token, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (product_id, name) DO NOTHING RETURNING name
            """,
            [
                .text(resource.productId), .text(resource.name), .text(resource.md5), .integer(Int(resource.size)), .text(resource.description),
                .text(resource.fileToken), .integer(Int(resource.createdAt)),
            ]
        )
        return !rows.isEmpty
    }

    public func productResource(productId: String, name: String) async throws -> ProductResource? {
        try await reader.query("SELECT * FROM product_resources WHERE product_id = ? AND name = ?", [.text(productId), .text(name)])
            .first.flatMap(Self.productResource)
    }

    public func productResource(fileToken: String) async throws -> ProductResource? {
        try await reader.query("SELECT * FROM product_resources WHERE file_token = ?", [.text(fileToken)]).first.flatMap(Self.productResource)
    }

    public func productResources(productId: String?, nameContains: String?, offset: Int, limit: Int) async throws -> (total: Int, resources: [ProductResource]) {
        var clauses: [String] = []
        var binds: [SQLiteData] = []
        if let productId { clauses.append("product_id = ?"); binds.append(.text(productId)) }
        if let nameContains, !nameContains.isEmpty { clauses.append("instr(name, ?) > 0"); binds.append(.text(nameContains)) }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let total = try await reader.query("SELECT COUNT(*) AS n FROM product_resources" + whereSQL, binds).first?.column("n")?.integer ?? 0
        let rows = try await reader.query(
            "SELECT * FROM product_resources" + whereSQL + " ORDER BY product_id, name LIMIT ? OFFSET ?", binds + [.integer(max(limit, 0)), .integer(max(offset, 0))]
        )
        return (Int(total), rows.compactMap(Self.productResource))
    }

    public func deleteProductResource(productId: String, name: String) async throws -> ProductResource? {
        let binds: [SQLiteData] = [.text(productId), .text(name)]
        guard let removed = try await reader.query("DELETE FROM product_resources WHERE product_id = ? AND name = ? RETURNING *", binds)
            .first.flatMap(Self.productResource)
        else { return nil }
        _ = try await reader.query("DELETE FROM resource_pushes WHERE product_id = ? AND name = ?", binds)
        _ = try await reader.query("DELETE FROM resource_tasks WHERE product_id = ? AND name = ?", binds)
        return removed
    }

    static func productResource(_ row: SQLiteRow) -> ProductResource? {
        guard let productId = row.column("product_id")?.string, let name = row.column("name")?.string, let md5 = row.column("md5")?.string,
            let size = row.column("size")?.integer, let token = row.column("file_token")?.string, let created = row.column("created_ms")?.integer
        else { return nil }
        return ProductResource(
            productId: productId, name: name, md5: md5, size: Int64(size), description: row.column("description")?.string ?? "", fileToken: token,
            createdAt: Int64(created)
        )
    }

    // MARK: tasks

    public func createResourceTask(productId: String, name: String, deviceNames: [String], at now: Int64) async throws -> Int64 {
        let rows = try await reader.query(
            "INSERT INTO resource_tasks (product_id, name, created_ms) VALUES (?, ?, ?) RETURNING id",
            [.text(productId), .text(name), .integer(Int(now))]
        )
        guard let id = rows.first?.column("id")?.integer else { throw RegistryError(.storageFailure, "no resource task id returned") }
        var start = deviceNames.startIndex
        while start < deviceNames.endIndex {
            let chunk = deviceNames[start..<min(start + Self.resourcePushInsertChunk, deviceNames.endIndex)]
            var binds: [SQLiteData] = []
            for device in chunk {
                binds += [.text(productId), .text(device), .text(name), .integer(Int(id)), .integer(Int(ResourcePush.Status.pending.rawValue)), .integer(Int(now))]
            }
            let values = Array(repeating: "(?, ?, ?, ?, ?, 0, 0, '', ?)", count: chunk.count).joined(separator: ", ")
            _ = try await reader.query(
                """
                INSERT INTO resource_pushes (product_id, device_name, name, task_id, status, percent, result_code, result_msg, updated_ms)
                    VALUES \(values) ON CONFLICT (product_id, device_name, name) DO UPDATE SET task_id = excluded.task_id,
                    status = excluded.status, percent = 0, result_code = 0, result_msg = '', updated_ms = excluded.updated_ms
                """,
                binds
            )
            start = chunk.endIndex
        }
        return Int64(id)
    }

    public func resourceTasks(productId: String, name: String, offset: Int, limit: Int) async throws -> (total: Int, tasks: [ResourceTask]) {
        let binds: [SQLiteData] = [.text(productId), .text(name)]
        let total = try await reader.query("SELECT COUNT(*) AS n FROM resource_tasks WHERE product_id = ? AND name = ?", binds).first?.column("n")?.integer ?? 0
        let rows = try await reader.query(
            """
            SELECT t.id, t.product_id, t.name, t.created_ms, (SELECT COUNT(*) FROM resource_pushes p WHERE p.product_id = t.product_id
                AND p.name = t.name AND p.task_id = t.id AND p.status NOT IN (5, 6)) AS unfinished
            FROM resource_tasks t WHERE t.product_id = ? AND t.name = ? ORDER BY t.id DESC LIMIT ? OFFSET ?
            """,
            binds + [.integer(max(limit, 0)), .integer(max(offset, 0))]
        )
        let tasks = rows.compactMap { row -> ResourceTask? in
            guard let id = row.column("id")?.integer, let created = row.column("created_ms")?.integer else { return nil }
            return ResourceTask(id: Int64(id), productId: productId, name: name, createdAt: Int64(created), unfinished: Int(row.column("unfinished")?.integer ?? 0))
        }
        return (Int(total), tasks)
    }

    public func resourcePushes(productId: String, name: String, taskId: Int64?) async throws -> [ResourcePush] {
        var sql = "SELECT * FROM resource_pushes WHERE product_id = ? AND name = ?"
        var binds: [SQLiteData] = [.text(productId), .text(name)]
        if let taskId { sql += " AND task_id = ?"; binds.append(.integer(Int(taskId))) }
        return try await reader.query(sql + " ORDER BY device_name", binds).compactMap(Self.push)
    }

    public func unfinishedPush(device: DeviceKey) async throws -> ResourcePush? {
        try await reader.query(
            "SELECT * FROM resource_pushes WHERE product_id = ? AND device_name = ? AND status NOT IN (5, 6) ORDER BY task_id LIMIT 1",
            [.text(device.productId), .text(device.name)]
        ).first.flatMap(Self.push)
    }

    public func resourcePush(device: DeviceKey, name: String) async throws -> ResourcePush? {
        try await reader.query(
            "SELECT * FROM resource_pushes WHERE product_id = ? AND device_name = ? AND name = ?", [.text(device.productId), .text(device.name), .text(name)]
        ).first.flatMap(Self.push)
    }

    public func updateResourcePush(_ push: ResourcePush) async throws -> Bool {
        let rows = try await reader.query(
            """
            UPDATE resource_pushes SET status = ?, percent = ?, result_code = ?, result_msg = ?, updated_ms = ?
                WHERE product_id = ? AND device_name = ? AND name = ? RETURNING task_id
            """,
            [
                .integer(Int(push.status.rawValue)), .integer(push.percent), .integer(Int(push.resultCode)), .text(push.resultMessage),
                .integer(Int(push.updatedAt)), .text(push.productId), .text(push.deviceName), .text(push.name),
            ]
        )
        return !rows.isEmpty
    }

    static func push(_ row: SQLiteRow) -> ResourcePush? {
        guard let productId = row.column("product_id")?.string, let device = row.column("device_name")?.string, let name = row.column("name")?.string,
            let taskId = row.column("task_id")?.integer, let statusCode = row.column("status")?.integer,
            let status = ResourcePush.Status(rawValue: Int64(statusCode))
        else { return nil }
        return ResourcePush(
            taskId: Int64(taskId), productId: productId, deviceName: device, name: name, status: status, percent: Int(row.column("percent")?.integer ?? 0),
            resultCode: Int64(row.column("result_code")?.integer ?? 0), resultMessage: row.column("result_msg")?.string ?? "",
            updatedAt: Int64(row.column("updated_ms")?.integer ?? 0)
        )
    }

    // MARK: device uploads

    public func deviceResource(device: DeviceKey, name: String) async throws -> DeviceResource? {
        try await reader.query(
            "SELECT * FROM device_resources WHERE product_id = ? AND device_name = ? AND name = ?", [.text(device.productId), .text(device.name), .text(name)]
        ).first.flatMap(Self.deviceResource)
    }

    public func deviceResources(_ query: DeviceResourceQuery) async throws -> (total: Int, resources: [DeviceResource]) {
        var clauses: [String] = []
        var binds: [SQLiteData] = []
        if let productId = query.productId { clauses.append("product_id = ?"); binds.append(.text(productId)) }
        if let deviceName = query.deviceName { clauses.append("device_name = ?"); binds.append(.text(deviceName)) }
        if let since = query.since { clauses.append("updated_ms >= ?"); binds.append(.integer(Int(since))) }
        if let until = query.until { clauses.append("updated_ms <= ?"); binds.append(.integer(Int(until))) }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let total = try await reader.query("SELECT COUNT(*) AS n FROM device_resources" + whereSQL, binds).first?.column("n")?.integer ?? 0
        let rows = try await reader.query(
            "SELECT * FROM device_resources" + whereSQL + " ORDER BY updated_ms DESC, product_id, device_name, name LIMIT ? OFFSET ?",
            binds + [.integer(max(query.limit, 0)), .integer(max(query.offset, 0))]
        )
        return (Int(total), rows.compactMap(Self.deviceResource))
    }

    public func putDeviceResource(_ resource: DeviceResource) async throws {
        _ = try await reader.query(
            """
            INSERT OR REPLACE INTO device_resources (product_id, device_name, name, md5, size, status, percent, file_token, upload_error, updated_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(resource.productId), .text(resource.deviceName), .text(resource.name), .text(resource.md5), .integer(Int(resource.size)),
                .integer(Int(resource.status.rawValue)), .integer(resource.percent), resource.fileToken.map { .text($0) } ?? .null,
                resource.uploadError.map { .text($0) } ?? .null, .integer(Int(resource.updatedAt)),
            ]
        )
    }

    public func deleteDeviceResource(device: DeviceKey, name: String) async throws -> DeviceResource? {
        try await reader.query(
            "DELETE FROM device_resources WHERE product_id = ? AND device_name = ? AND name = ? RETURNING *",
            [.text(device.productId), .text(device.name), .text(name)]
        ).first.flatMap(Self.deviceResource)
    }

    public func deleteResources(device: DeviceKey) async throws -> [DeviceResource] {
        let binds: [SQLiteData] = [.text(device.productId), .text(device.name)]
        let removed = try await reader.query("DELETE FROM device_resources WHERE product_id = ? AND device_name = ? RETURNING *", binds)
            .compactMap(Self.deviceResource)
        _ = try await reader.query("DELETE FROM resource_pushes WHERE product_id = ? AND device_name = ?", binds)
        return removed
    }

    public func deleteResources(productId: String) async throws -> [ProductResource] {
        let binds: [SQLiteData] = [.text(productId)]
        let removed = try await reader.query("DELETE FROM product_resources WHERE product_id = ? RETURNING *", binds).compactMap(Self.productResource)
        _ = try await reader.query("DELETE FROM resource_pushes WHERE product_id = ?", binds)
        _ = try await reader.query("DELETE FROM resource_tasks WHERE product_id = ?", binds)
        _ = try await reader.query("DELETE FROM device_resources WHERE product_id = ?", binds)
        return removed
    }

    static func deviceResource(_ row: SQLiteRow) -> DeviceResource? {
        guard let productId = row.column("product_id")?.string, let device = row.column("device_name")?.string, let name = row.column("name")?.string,
            let md5 = row.column("md5")?.string, let size = row.column("size")?.integer, let statusCode = row.column("status")?.integer,
            let status = DeviceResource.Status(rawValue: Int64(statusCode))
        else { return nil }
        return DeviceResource(
            productId: productId, deviceName: device, name: name, md5: md5, size: Int64(size), status: status,
            percent: Int(row.column("percent")?.integer ?? 0), fileToken: row.column("file_token")?.string,
            uploadError: row.column("upload_error")?.string, updatedAt: Int64(row.column("updated_ms")?.integer ?? 0)
        )
    }

    // MARK: usage

    public func deviceResourceBytes(device: DeviceKey) async throws -> Int64 {
        let rows = try await reader.query(
            "SELECT COALESCE(SUM(size), 0) AS n FROM device_resources WHERE product_id = ? AND device_name = ?", [.text(device.productId), .text(device.name)]
        )
        return Int64(rows.first?.column("n")?.integer ?? 0)
    }

    public func totalResourceBytes() async throws -> Int64 {
        let rows = try await reader.query(
            "SELECT (SELECT COALESCE(SUM(size), 0) FROM product_resources) + (SELECT COALESCE(SUM(size), 0) FROM device_resources) AS n", []
        )
        return Int64(rows.first?.column("n")?.integer ?? 0)
    }
}
