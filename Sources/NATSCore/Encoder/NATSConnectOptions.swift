import JSONCore

/// The contents of the CONNECT operation.
///
/// This client always sends `verbose=false` (no `+OK` acks), `pedantic=false`, `headers=true` and
/// `no_responders=true` (a request to a subject nobody listens on fails at once with status 503).
public struct NATSConnectOptions: Hashable, Sendable {
    /// Credentials, at most one kind.
    public enum Auth: Hashable, Sendable {
        case none
        case userPassword(user: String, password: String)
        case token(String)
    }

    /// The client name shown in the server's monitoring.
    public var name: String?
    public var auth: Auth
    /// Whether the server may deliver this connection's own publishes to its own subscriptions. Default `true`.
    public var echo: Bool
    /// Sent as `lang`.
    public var language: String
    /// Sent as `version`.
    public var clientVersion: String

    public init(
        name: String? = nil,
        auth: Auth = .none,
        echo: Bool = true,
        language: String = "swift",
        clientVersion: String = "0.1.0"
    ) {
        self.name = name
        self.auth = auth
        self.echo = echo
        self.language = language
        self.clientVersion = clientVersion
    }

    /// The JSON object, members in a fixed order so the encoding is byte-for-byte predictable.
    public func json() -> [UInt8] {
        var members: [(String, JSONValue)] = [
            ("verbose", false), ("pedantic", false), ("tls_required", false),
        ]
        if let name = self.name {
            members.append(("name", .string(name)))
        }
        members += [
            ("lang", .string(self.language)), ("version", .string(self.clientVersion)), ("protocol", 1), ("echo", .bool(self.echo)),
            ("headers", true), ("no_responders", true),
        ]
        switch self.auth {
        case .none:
            break
        case .userPassword(let user, let password):
            members += [("user", .string(user)), ("pass", .string(password))]
        case .token(let token):
            members.append(("auth_token", .string(token)))
        }
        return JSONValue.object(JSONObject(members)).serialized()
    }
}

extension NATSConnectOptions: CustomStringConvertible {
    /// A description that never includes a password or token.
    public var description: String {
        let auth: String
        switch self.auth {
        case .none: auth = "none"
        case .userPassword(let user, _): auth = "user(\(user))"
        case .token: auth = "token"
        }
        return "NATSConnectOptions(name: \(self.name ?? "-"), auth: \(auth), echo: \(self.echo))"
    }
}
