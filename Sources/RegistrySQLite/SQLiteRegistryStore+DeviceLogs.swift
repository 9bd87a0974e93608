public import Registry
import SQLiteNIO

/// Device log uploads (`device_logs`, schema step 7). On the reader connection, like the bans and the audit
/// pruning: the engine's group commit holds the writer inside a transaction across suspension points. Each
/// statement is atomic on its own; none of them needs another in the same transaction (an append whose trim
/// failed is trimmed by the next append of that device).
extension SQLiteRegistryStore: DeviceLogStore {
    /// Rows per INSERT statement (7 parameters each, well under SQLite's variable limit).
    static let deviceLogInsertChunk = 500

    public func appendDeviceLogs(_ entries: [DeviceLogEntry], device: DeviceKey, keepNewest: Int, keepBytes: Int) async throws {
        guard !entries.isEmpty else { return }
        // Entries that the trim below would delete at once are not written.
        let kept = entries.suffix(max(keepNewest, 1))
        var start = kept.startIndex
        while start < kept.endIndex {
            let chunk = kept[start..<min(start + Self.deviceLogInsertChunk, kept.endIndex)]
            var binds: [SQLiteData] = []
            binds.reserveCapacity(chunk.count * 6)
            for entry in chunk {
                binds += [
                    .text(device.productId), .text(device.name), .integer(Int(entry.receivedAt)),
                    .text(entry.level), .text(entry.dateTime), .text(entry.content),
                ]
            }
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            _ = try await reader.query(
                "INSERT INTO device_logs (product_id, device_name, time_ms, level, date_time, content) VALUES " + values, binds
            )
            start = chunk.endIndex
        }
        _ = try await reader.query(
            """
            DELETE FROM device_logs WHERE product_id = ?1 AND device_name = ?2 AND id <= (SELECT id FROM device_logs
                WHERE product_id = ?1 AND device_name = ?2 ORDER BY id DESC LIMIT 1 OFFSET ?3)
            """,
            [.text(device.productId), .text(device.name), .integer(max(keepNewest, 1))]
        )
        // The newest entry whose running byte total (newest first) passes the budget, and all older ones.
        _ = try await reader.query(
            """
            DELETE FROM device_logs WHERE product_id = ?1 AND device_name = ?2 AND id <= (SELECT id FROM (
                SELECT id, SUM(length(CAST(level AS BLOB)) + length(CAST(date_time AS BLOB)) + length(CAST(content AS BLOB)))
                    OVER (ORDER BY id DESC) AS total
                FROM device_logs WHERE product_id = ?1 AND device_name = ?2) WHERE total > ?3 ORDER BY id DESC LIMIT 1)
            """,
            [.text(device.productId), .text(device.name), .integer(max(keepBytes, 1))]
        )
    }

    public func deleteDeviceLogs(device: DeviceKey) async throws {
        _ = try await reader.query(
            "DELETE FROM device_logs WHERE product_id = ?1 AND device_name = ?2", [.text(device.productId), .text(device.name)]
        )
    }

    public func queryDeviceLogs(_ query: DeviceLogQuery) async throws -> (entries: [DeviceLogEntry], more: Bool) {
        var clauses: [String] = []
        var binds: [SQLiteData] = []
        if let productId = query.productId { clauses.append("product_id = ?"); binds.append(.text(productId)) }
        if let deviceName = query.deviceName { clauses.append("device_name = ?"); binds.append(.text(deviceName)) }
        if let level = query.level { clauses.append("level = ?"); binds.append(.text(level)) }
        for word in query.words where !word.isEmpty { clauses.append("instr(content, ?) > 0"); binds.append(.text(word)) }
        if let since = query.since { clauses.append("time_ms >= ?"); binds.append(.integer(Int(since))) }
        if let until = query.until { clauses.append("time_ms <= ?"); binds.append(.integer(Int(until))) }
        if let beforeId = query.beforeId { clauses.append("id < ?"); binds.append(.integer(Int(beforeId))) }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        let limit = max(query.limit, 0)
        let rows = try await reader.query(
            "SELECT * FROM device_logs" + whereSQL + " ORDER BY id DESC LIMIT ?", binds + [.integer(limit + 1)]
        )
        let entries = rows.prefix(limit).compactMap { row -> DeviceLogEntry? in
            guard let id = row.column("id")?.integer, let productId = row.column("product_id")?.string,
                let deviceName = row.column("device_name")?.string, let time = row.column("time_ms")?.integer
            else { return nil }
            return DeviceLogEntry(
                id: Int64(id), productId: productId, deviceName: deviceName, receivedAt: Int64(time),
                level: row.column("level")?.string ?? "", dateTime: row.column("date_time")?.string ?? "",
                content: row.column("content")?.string ?? ""
            )
        }
        return (entries, rows.count > limit)
    }

    public func pruneDeviceLogs(before: Int64) async throws -> Int {
        var deleted = 0
        while true {
            _ = try await reader.query(
                "DELETE FROM device_logs WHERE id IN (SELECT id FROM device_logs WHERE time_ms < ? ORDER BY id LIMIT \(Self.pruneChunk))",
                [.integer(Int(before))]
            )
            let changes = try await reader.query("SELECT changes() AS n", []).first?.column("n")?.integer ?? 0
            deleted += changes
            if changes < Self.pruneChunk { return deleted }
        }
    }

    public func pruneDeviceLogs(keepBytes: Int64) async throws -> Int {
        // The newest entry whose running byte total (newest first, over every device) passes the budget, and
        // everything older, in chunks.
        let rows = try await reader.query(
            """
            SELECT id FROM (SELECT id, SUM(length(CAST(level AS BLOB)) + length(CAST(date_time AS BLOB)) + length(CAST(content AS BLOB)))
                OVER (ORDER BY id DESC) AS total FROM device_logs) WHERE total > ? ORDER BY id DESC LIMIT 1
            """,
            [.integer(Int(max(keepBytes, 0)))]
        )
        guard let cut = rows.first?.column("id")?.integer else { return 0 }
        var deleted = 0
        while true {
            _ = try await reader.query(
                "DELETE FROM device_logs WHERE id IN (SELECT id FROM device_logs WHERE id <= ? ORDER BY id LIMIT \(Self.pruneChunk))", [.integer(cut)]
            )
            let changes = try await reader.query("SELECT changes() AS n", []).first?.column("n")?.integer ?? 0
            deleted += changes
            if changes < Self.pruneChunk { return deleted }
        }
    }
}
