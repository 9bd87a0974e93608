/// A user-defined device tag (Tencent `DeviceTag`).
public struct DeviceTag: Sendable, Codable, Hashable {
    public var tag: String
    /// 1 integer, 2 string.
    public var type: Int
    public var value: String
    public var name: String?

    public init(tag: String, type: Int, value: String, name: String? = nil) {
        self.tag = tag
        self.type = type
        self.value = value
        self.name = name
    }
}

/// The credential a device authenticates with.
public enum DeviceCredential: Sendable, Codable, Hashable {
    /// Base64 DeviceSecret.
    case psk(String)
    /// A certificate issued by the hub CA. The private key is kept only until the device's first login
    /// (or until the operator fetched it once), then erased (`privateKeyPEM == nil`).
    case certificate(certificatePEM: String, privateKeyPEM: String?, serialNumber: String)
}

/// A sub-device's binding to its gateway.
public struct GatewayBinding: Sendable, Codable, Hashable {
    public var gatewayProductId: String
    public var gatewayName: String
    /// Unix milliseconds of the binding (bind order; `BindTime` in seconds).
    public var boundAt: Int64
    /// Made online by the gateway (`online` until `offline`, unbinding, disabling or ResetDeviceState of
    /// the gateway): the gateway may use the sub-device's topics. Kept across the gateway's reconnects and
    /// hub restarts, as C gateways never repeat `online` after a reconnect.
    public var attached: Bool

    public init(gateway: DeviceKey, boundAt: Int64, attached: Bool = false) {
        self.gatewayProductId = gateway.productId
        self.gatewayName = gateway.name
        self.boundAt = boundAt
        self.attached = attached
    }

    public var gateway: DeviceKey { DeviceKey(productId: gatewayProductId, name: gatewayName) }
}

/// A device of a product.
public struct Device: Sendable, Codable, Hashable {
    public var productId: String
    public var name: String
    public var credential: DeviceCredential
    /// `EnableState`: false = disabled.
    public var enabled: Bool
    /// Created by dynamic registration (counts against `RegisterLimit`).
    public var createdByRegistration: Bool
    /// Unix seconds.
    public var createdAt: Int64
    /// `CertState` 1: the device (or operator) has fetched its secret or key.
    public var credentialFetched: Bool
    /// DescribeDeviceClientKey was already answered for the current certificate.
    public var clientKeyFetched: Bool
    /// Unix seconds of the first accepted MQTT login; nil = never activated.
    public var firstOnlineTime: Int64?
    /// Unix seconds of the last login, 0 if never.
    public var loginTime: Int64
    public var lastOfflineTime: Int64?
    public var online: Bool
    public var clientIP: String?
    /// Firmware version reported by the device, "" if unknown.
    public var firmwareVersion: String
    /// 0 off … 4 debug.
    public var logLevel: Int
    public var tags: [DeviceTag]
    /// Unix seconds of the last change of this record.
    public var updatedAt: Int64
    /// The device shadow document (JSON text in the shadow service's storage form); nil = empty shadow.
    public var shadow: String? = nil
    /// The gateway this device is bound to as a sub-device (device-protocol.md §6.10); nil when it is not.
    public var binding: GatewayBinding? = nil

    public init(
        productId: String,
        name: String,
        credential: DeviceCredential,
        enabled: Bool = true,
        createdByRegistration: Bool = false,
        createdAt: Int64,
        credentialFetched: Bool = false,
        clientKeyFetched: Bool = false,
        firstOnlineTime: Int64? = nil,
        loginTime: Int64 = 0,
        lastOfflineTime: Int64? = nil,
        online: Bool = false,
        clientIP: String? = nil,
        firmwareVersion: String = "",
        logLevel: Int = 0,
        tags: [DeviceTag] = []
    ) {
        self.productId = productId
        self.name = name
        self.credential = credential
        self.enabled = enabled
        self.createdByRegistration = createdByRegistration
        self.createdAt = createdAt
        self.credentialFetched = credentialFetched
        self.clientKeyFetched = clientKeyFetched
        self.firstOnlineTime = firstOnlineTime
        self.loginTime = loginTime
        self.lastOfflineTime = lastOfflineTime
        self.online = online
        self.clientIP = clientIP
        self.firmwareVersion = firmwareVersion
        self.logLevel = logLevel
        self.tags = tags
        self.updatedAt = createdAt
    }

    /// A device is activated from its first accepted MQTT CONNECT.
    public var activated: Bool { firstOnlineTime != nil }

    public var key: DeviceKey { DeviceKey(productId: productId, name: name) }

    public var psk: String? {
        if case .psk(let psk) = credential { return psk }
        return nil
    }
}

/// Identifies a device within the hub.
///
/// The hash of both strings is computed once, when the key is made: the registry's maps hash a key for
/// the shard and again for the table on every access, and once more for every entry each time a table
/// grows, and hashing the strings was 5 % of a registration's CPU. The stored value comes from the
/// process's seeded `Hasher`, so it is as unpredictable to a client choosing device names as hashing
/// the strings was.
public struct DeviceKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public let productId: String
    public let name: String
    private let hash: Int

    public init(productId: String, name: String) {
        self.productId = productId
        self.name = name
        var hasher = Hasher()
        hasher.combine(productId)
        hasher.combine(name)
        hash = hasher.finalize()
    }

    public static func == (lhs: DeviceKey, rhs: DeviceKey) -> Bool {
        lhs.hash == rhs.hash && lhs.productId == rhs.productId && lhs.name == rhs.name
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }

    private enum CodingKeys: String, CodingKey {
        case productId, name
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(productId: try container.decode(String.self, forKey: .productId), name: try container.decode(String.self, forKey: .name))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(productId, forKey: .productId)
        try container.encode(name, forKey: .name)
    }

    public var description: String { "\(productId)/\(name)" }
}
