import Foundation
public import Registry

/// Adding, listing, removing operators and changing their passwords: what `iothub console user …` does on
/// the data directory's registry file. Each change is recorded in the operator audit trail as `cli`.
public struct OperatorAccounts: Sendable {
    let store: any OperatorStore

    public init(store: any OperatorStore) {
        self.store = store
    }

    /// Letters, digits and `._@-`, 1 to 64 characters.
    public static func validate(name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")
        guard (1...64).contains(name.count), name.allSatisfy(allowed.contains) else {
            throw ConsoleError(.invalidOperatorName, "an operator name is 1 to 64 letters, digits or . _ @ -")
        }
    }

    /// 8 to 72 bytes (bcrypt reads no further than 72).
    public static func validate(password: String) throws {
        guard password.count >= 8 else { throw ConsoleError(.invalidPassword, "the password must have at least 8 characters") }
        guard password.utf8.count <= 72 else { throw ConsoleError(.invalidPassword, "the password must not be longer than 72 bytes") }
    }

    public func add(name: String, role: ConsoleOperator.Role, password: String) async throws {
        try Self.validate(name: name)
        try Self.validate(password: password)
        if try await store.operatorAccount(named: name) != nil {
            throw ConsoleError(.operatorExists, "an operator named \(name) exists")
        }
        let now = Self.nowMillis()
        let hash = try await PasswordHasher.hash(password)
        try await store.saveOperator(ConsoleOperator(name: name, role: role, passwordHash: hash, created: now, passwordChanged: now))
        try await audit("CreateOperator", name, "role=\(role.rawValue)")
    }

    public func list() async throws -> [ConsoleOperator] {
        try await store.operators()
    }

    public func remove(name: String) async throws {
        guard try await store.deleteOperator(named: name) else {
            throw ConsoleError(.operatorNotFound, "no operator named \(name)")
        }
        try await audit("DeleteOperator", name, "")
    }

    /// The operator audit trail, newest first.
    public func audit(offset: Int, limit: Int) async throws -> (total: Int, entries: [OperatorAuditEntry]) {
        try await store.operatorAudit(offset: offset, limit: limit)
    }

    /// Sets a new password; the operator's sessions end at their next request.
    public func changePassword(name: String, password: String) async throws {
        try Self.validate(password: password)
        guard var account = try await store.operatorAccount(named: name) else {
            throw ConsoleError(.operatorNotFound, "no operator named \(name)")
        }
        account.passwordHash = try await PasswordHasher.hash(password)
        account.passwordChanged = max(Self.nowMillis(), account.passwordChanged + 1)
        try await store.saveOperator(account)
        try await audit("ChangeOperatorPassword", name, "")
    }

    private func audit(_ action: String, _ name: String, _ detail: String) async throws {
        try await store.appendOperatorAudit(
            OperatorAuditEntry(time: Self.nowMillis(), operatorName: "cli", action: action, target: name, result: "ok", detail: detail, source: "cli")
        )
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
