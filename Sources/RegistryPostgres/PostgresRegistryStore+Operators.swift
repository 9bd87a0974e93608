import PostgresNIO
public import Registry

/// Console operators (`console_operators`) and the operator audit trail (`operator_audit`, newest first by id).
extension PostgresRegistryStore: OperatorStore {
    public func operators() async throws -> [ConsoleOperator] {
        var result: [ConsoleOperator] = []
        for try await row in try await client.query("SELECT * FROM console_operators ORDER BY name", logger: logger) {
            result.append(try Self.consoleOperator(row.makeRandomAccess()))
        }
        return result
    }

    public func operatorAccount(named name: String) async throws -> ConsoleOperator? {
        for try await row in try await client.query("SELECT * FROM console_operators WHERE name = \(name)", logger: logger) {
            return try Self.consoleOperator(row.makeRandomAccess())
        }
        return nil
    }

    public func saveOperator(_ account: ConsoleOperator) async throws {
        try await client.query(
            """
            INSERT INTO console_operators (name, role, password_hash, created_ms, password_changed_ms)
            VALUES (\(account.name), \(account.role.rawValue), \(account.passwordHash), \(account.created), \(account.passwordChanged))
            ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,
                created_ms = excluded.created_ms, password_changed_ms = excluded.password_changed_ms
            """,
            logger: logger
        )
    }

    public func deleteOperator(named name: String) async throws -> Bool {
        try await count("WITH gone AS (DELETE FROM console_operators WHERE name = \(name) RETURNING 1) SELECT COUNT(*) FROM gone") > 0
    }

    public func appendOperatorAudit(_ entry: OperatorAuditEntry) async throws {
        try await client.query(
            """
            INSERT INTO operator_audit (time_ms, operator, action, target, result, detail, source)
            VALUES (\(entry.time), \(entry.operatorName), \(entry.action), \(entry.target), \(entry.result), \(entry.detail), \(entry.source))
            """,
            logger: logger
        )
    }

    public func operatorAudit(offset: Int, limit: Int) async throws -> (total: Int, entries: [OperatorAuditEntry]) {
        let total = try await count("SELECT COUNT(*) FROM operator_audit")
        var entries: [OperatorAuditEntry] = []
        let rows = try await client.query(
            "SELECT * FROM operator_audit ORDER BY id DESC LIMIT \(max(limit, 0)) OFFSET \(max(offset, 0))",
            logger: logger
        )
        for try await row in rows {
            let row = row.makeRandomAccess()
            entries.append(
                OperatorAuditEntry(
                    id: try row["id"].decode(Int64.self), time: try row["time_ms"].decode(Int64.self),
                    operatorName: try row["operator"].decode(String.self), action: try row["action"].decode(String.self),
                    target: try row["target"].decode(String.self), result: try row["result"].decode(String.self),
                    detail: try row["detail"].decode(String.self), source: try row["source"].decode(String.self)
                )
            )
        }
        return (total, entries)
    }

    public func pruneOperatorAudit(before: Int64?, keepNewest: Int?) async throws -> Int {
        var deleted = 0
        if let before {
            deleted += try await count("WITH gone AS (DELETE FROM operator_audit WHERE time_ms < \(before) RETURNING 1) SELECT COUNT(*) FROM gone")
        }
        if let keepNewest {
            deleted += try await count(
                """
                WITH gone AS (DELETE FROM operator_audit WHERE id <= (SELECT id FROM operator_audit ORDER BY id DESC \
                LIMIT 1 OFFSET \(max(keepNewest, 0))) RETURNING 1) SELECT COUNT(*) FROM gone
                """
            )
        }
        return deleted
    }

    static func consoleOperator(_ row: PostgresRandomAccessRow) throws -> ConsoleOperator {
        ConsoleOperator(
            name: try row["name"].decode(String.self),
            role: try PostgresRecords.value(row, "role", ConsoleOperator.Role.init(rawValue:)),
            passwordHash: try row["password_hash"].decode(String.self),
            created: try row["created_ms"].decode(Int64.self),
            passwordChanged: try row["password_changed_ms"].decode(Int64.self)
        )
    }
}
