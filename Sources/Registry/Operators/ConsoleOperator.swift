/// A person who signs in to the web console. The password is kept only as a bcrypt hash.
public struct ConsoleOperator: Sendable, Codable, Hashable {
    /// What an operator may do: an admin changes things, a viewer sees everything and changes nothing.
    public enum Role: String, Sendable, Codable, Hashable, CaseIterable {
        case admin
        case viewer
    }

    public var name: String
    public var role: Role
    /// bcrypt hash (`$2b$…`) of the password.
    public var passwordHash: String
    /// Unix milliseconds of creation and of the last password change (sessions from before it end).
    public var created: Int64
    public var passwordChanged: Int64

    public init(name: String, role: Role, passwordHash: String, created: Int64, passwordChanged: Int64) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.created = created
        self.passwordChanged = passwordChanged
    }
}
