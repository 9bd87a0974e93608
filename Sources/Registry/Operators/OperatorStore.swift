/// Where console operators and the operator audit trail are kept (the registry's SQLite file).
public protocol OperatorStore: Sendable {
    /// Every operator, by name.
    func operators() async throws -> [ConsoleOperator]
    func operatorAccount(named name: String) async throws -> ConsoleOperator?
    /// Inserts or replaces the operator `account.name`.
    func saveOperator(_ account: ConsoleOperator) async throws
    /// Returns false when there was no such operator.
    func deleteOperator(named name: String) async throws -> Bool
    func appendOperatorAudit(_ entry: OperatorAuditEntry) async throws
    /// Newest first; `total` counts every row.
    func operatorAudit(offset: Int, limit: Int) async throws -> (total: Int, entries: [OperatorAuditEntry])
    /// Deletes rows older than `before` (Unix ms) and all but the newest `keepNewest`; returns how many.
    func pruneOperatorAudit(before: Int64?, keepNewest: Int?) async throws -> Int
}
