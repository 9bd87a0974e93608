import JSONCore

/// The fields of the server's INFO operation that a client acts on. Unknown fields are ignored.
public struct NATSServerInfo: Hashable, Sendable {
    public var serverID: String
    public var serverName: String?
    public var version: String?
    /// The protocol level the server speaks (1 = supports async INFO updates).
    public var proto: Int
    public var host: String?
    public var port: Int?
    /// Whether the server understands HPUB/HMSG.
    public var headers: Bool
    /// The largest payload (headers included) the server accepts in one PUB/HPUB. NATS's default is 1 MiB.
    public var maxPayload: Int
    public var clientID: UInt64?
    public var authRequired: Bool
    public var tlsRequired: Bool
    /// Other servers of the cluster that clients may connect to (`host:port`).
    public var connectURLs: [String]
    /// Lame-duck mode: the server is about to shut down and clients should move elsewhere.
    public var lameDuckMode: Bool
    /// A nonce to sign for NKey/JWT authentication (not supported by this client).
    public var nonce: String?

    public init(
        serverID: String,
        serverName: String? = nil,
        version: String? = nil,
        proto: Int = 1,
        host: String? = nil,
        port: Int? = nil,
        headers: Bool = true,
        maxPayload: Int = 1_048_576,
        clientID: UInt64? = nil,
        authRequired: Bool = false,
        tlsRequired: Bool = false,
        connectURLs: [String] = [],
        lameDuckMode: Bool = false,
        nonce: String? = nil
    ) {
        self.serverID = serverID
        self.serverName = serverName
        self.version = version
        self.proto = proto
        self.host = host
        self.port = port
        self.headers = headers
        self.maxPayload = maxPayload
        self.clientID = clientID
        self.authRequired = authRequired
        self.tlsRequired = tlsRequired
        self.connectURLs = connectURLs
        self.lameDuckMode = lameDuckMode
        self.nonce = nonce
    }

    /// Reads the JSON object of an INFO operation. Missing optional fields take NATS's defaults.
    public init(json bytes: ArraySlice<UInt8>) throws(NATSCoreError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            throw NATSCoreError(.malformedJSON, "INFO is not JSON: \(error.reason)")
        }
        guard case .object = value else {
            throw NATSCoreError(.malformedJSON, "INFO is not a JSON object")
        }
        guard let serverID = value["server_id"]?.stringValue else {
            throw NATSCoreError(.malformedJSON, "INFO has no server_id")
        }
        self.init(serverID: serverID)
        self.serverName = value["server_name"]?.stringValue
        self.version = value["version"]?.stringValue
        self.proto = value["proto"]?.int64Value.map { Int(clamping: $0) } ?? 0
        self.host = value["host"]?.stringValue
        self.port = value["port"]?.int64Value.map { Int(clamping: $0) }
        self.headers = value["headers"]?.boolValue ?? false
        if let maxPayload = value["max_payload"]?.int64Value, maxPayload > 0 {
            self.maxPayload = Int(clamping: maxPayload)
        }
        self.clientID = value["client_id"]?.int64Value.flatMap { UInt64(exactly: $0) }
        self.authRequired = value["auth_required"]?.boolValue ?? false
        self.tlsRequired = value["tls_required"]?.boolValue ?? false
        self.connectURLs = value["connect_urls"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.lameDuckMode = value["ldm"]?.boolValue ?? false
        self.nonce = value["nonce"]?.stringValue
    }
}
