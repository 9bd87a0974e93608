public import Registry
import SQLiteNIO

/// Operator bans (`source_bans`): one row per address.
///
/// Written on the reader connection, not the writer: the engine's group commit holds the writer inside
/// `BEGIN IMMEDIATE … COMMIT` across suspension points, and a statement issued there meanwhile would join
/// (and could be rolled back with) its transaction. SQLite's own locking (busy_timeout) orders the two.
extension SQLiteRegistryStore: SourceBanStore {
    public func loadBans() async throws -> [SourceBan] {
        try await reader.query("SELECT address, until_ms, created_ms, reason, automatic FROM source_bans ORDER BY address", [])
            .map(SQLiteRecords.ban)
    }

    public func saveBan(_ ban: SourceBan) async throws {
        let statement = SQLiteBatch.upsertBan(ban)
        _ = try await reader.query(statement.sql, statement.binds)
    }

    public func deleteBan(address: String) async throws {
        _ = try await reader.query("DELETE FROM source_bans WHERE address = ?", [.text(address)])
    }
}

/// Audit retention, in chunks of `pruneChunk` rows per statement so that the write lock is never held long
/// (the engine's commits wait for it). On the reader connection, for the reason given above.
extension SQLiteRegistryStore {
    static let pruneChunk = 5_000

    public func pruneAudit(before: Int64?, maxRows: Int?) async throws -> Int {
        var deleted = 0
        if let before {
            deleted += try await deleteInChunks(where: "time_ms < ?", [.integer(Int(before))])
        }
        if let maxRows {
            let rows = try await reader.query("SELECT id FROM registration_audit ORDER BY id DESC LIMIT 1 OFFSET ?", [.integer(max(maxRows, 0))])
            if let cutoff = rows.first?.column("id")?.integer {
                deleted += try await deleteInChunks(where: "id <= ?", [.integer(cutoff)])
            }
        }
        return deleted
    }

    private func deleteInChunks(where condition: String, _ binds: [SQLiteData]) async throws -> Int {
        var deleted = 0
        while true {
            _ = try await reader.query(
                "DELETE FROM registration_audit WHERE id IN (SELECT id FROM registration_audit WHERE \(condition) ORDER BY id LIMIT \(Self.pruneChunk))",
                binds
            )
            let changes = try await reader.query("SELECT changes() AS n", []).first?.column("n")?.integer ?? 0
            deleted += changes
            if changes < Self.pruneChunk { return deleted }
        }
    }
}
