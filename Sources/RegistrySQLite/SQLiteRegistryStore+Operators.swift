public import Registry
import SQLiteNIO

/// Console operators (`console_operators`, one row per name) and the operator audit trail
/// (`operator_audit`, a real table, newest first by id). On the reader connection, for the reason given on
/// the bans (the writer holds its group-commit transaction across suspension points).
extension SQLiteRegistryStore: OperatorStore {
    private static let operatorColumns = "name, role, password_hash, created_ms, password_changed_ms"

    public func operators() async throws -> [ConsoleOperator] {
        try await reader.query("SELECT \(Self.operatorColumns) FROM console_operators ORDER BY name", []).map(SQLiteRecords.consoleOperator)
    }

    public func operatorAccount(named name: String) async throws -> ConsoleOperator? {
        try await reader.query("SELECT \(Self.operatorColumns) FROM console_operators WHERE name = ?", [.text(name)])
            .first.map(SQLiteRecords.consoleOperator)
    }

    public func saveOperator(_ account: ConsoleOperator) async throws {
        let statement = SQLiteBatch.upsertOperator(account)
        _ = try await reader.query(statement.sql, statement.binds)
    }

    public func deleteOperator(named name: String) async throws -> Bool {
        _ = try await reader.query("DELETE FROM console_operators WHERE name = ?", [.text(name)])
        return (try await reader.query("SELECT changes() AS n", []).first?.column("n")?.integer ?? 0) > 0
    }

    public func appendOperatorAudit(_ entry: OperatorAuditEntry) async throws {
        _ = try await reader.query(
            "INSERT INTO operator_audit (time_ms, operator, action, target, result, detail, source) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                .integer(Int(entry.time)), .text(entry.operatorName), .text(entry.action), .text(entry.target), .text(entry.result),
                .text(entry.detail), .text(entry.source),
            ]
        )
    }

    public func operatorAudit(offset: Int, limit: Int) async throws -> (total: Int, entries: [OperatorAuditEntry]) {
        let total = try await reader.query("SELECT COUNT(*) AS n FROM operator_audit", []).first?.column("n")?.integer ?? 0
        let rows = try await reader.query(
            "SELECT id, time_ms, operator, action, target, result, detail, source FROM operator_audit ORDER BY id DESC LIMIT ? OFFSET ?",
            [.integer(max(limit, 0)), .integer(max(offset, 0))]
        )
        let entries = rows.map { row in
            OperatorAuditEntry(
                id: Int64(row.column("id")?.integer ?? 0), time: Int64(row.column("time_ms")?.integer ?? 0),
                operatorName: row.column("operator")?.string ?? "", action: row.column("action")?.string ?? "",
                target: row.column("target")?.string ?? "", result: row.column("result")?.string ?? "",
                detail: row.column("detail")?.string ?? "", source: row.column("source")?.string ?? ""
            )
        }
        return (total, entries)
    }

    public func pruneOperatorAudit(before: Int64?, keepNewest: Int?) async throws -> Int {
        var deleted = 0
        if let before {
            deleted += try await reader.query("DELETE FROM operator_audit WHERE time_ms < ? RETURNING id", [.integer(Int(before))]).count
        }
        if let keepNewest {
            deleted += try await reader.query(
                "DELETE FROM operator_audit WHERE id <= (SELECT id FROM operator_audit ORDER BY id DESC LIMIT 1 OFFSET ?) RETURNING id",
                [.integer(max(keepNewest, 0))]
            ).count
        }
        return deleted
    }
}
