/// How a product's devices authenticate: Tencent's `EncryptionType` ("1" certificate, "2" key).
public enum EncryptionType: String, Sendable, Codable, Hashable {
    case certificate = "1"
    case psk = "2"
}

/// Dynamic-registration mode of a product: Tencent's `RegisterType`.
public enum RegisterType: Int, Sendable, Codable, Hashable, CaseIterable {
    /// Dynamic registration is switched off.
    case off = 0
    /// Only device names that already exist may register ("pre-create device").
    case preCreated = 1
    /// Unknown names are created at registration, up to the product's `RegisterLimit`.
    case autoCreate = 2
}

/// A product: the unit of firmware. Every device of a product shares its ProductSecret.
public struct Product: Sendable, Codable, Hashable {
    public var id: String
    public var name: String
    public var description: String
    public var encryptionType: EncryptionType
    public var registerType: RegisterType
    /// Maximum number of devices dynamic registration may create in this product (default 10000).
    public var registerLimit: Int
    /// Product-level secret; empty until dynamic registration is first switched on, then never changes.
    public var productSecret: String
    /// `ForbiddenStatus` 1: the product is disabled (no registration, no connections).
    public var forbidden: Bool
    /// Unix seconds.
    public var createdAt: Int64
    /// Tencent `ProductType` (0 normal, 2 NB-IoT, 3 LoRa gateway, 4 LoRa, 5 gateway).
    public var productType: Int
    /// `Format` (`json` or `custom`).
    public var format: String
    /// Reject a repeated (DeviceName, nonce, timestamp) within 24 h. Off by default.
    public var replayProtection: Bool
    /// Device messages and lifecycle events of the product are POSTed here (at least once); nil = off.
    public var webhookURL: String? = nil
    /// Remote configuration for the product's devices (`$config/operation`), a JSON object as text; nil = `{}`.
    public var remoteConfig: String? = nil

    public init(
        id: String,
        name: String,
        description: String = "",
        encryptionType: EncryptionType = .certificate,
        registerType: RegisterType = .off,
        registerLimit: Int = Product.defaultRegisterLimit,
        productSecret: String = "",
        forbidden: Bool = false,
        createdAt: Int64,
        productType: Int = 0,
        format: String = "json",
        replayProtection: Bool = false
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.encryptionType = encryptionType
        self.registerType = registerType
        self.registerLimit = registerLimit
        self.productSecret = productSecret
        self.forbidden = forbidden
        self.createdAt = createdAt
        self.productType = productType
        self.format = format
        self.replayProtection = replayProtection
    }

    public static let defaultRegisterLimit = 10000

    /// Dynamic registration is usable: a mode is on and a secret exists.
    public var acceptsRegistration: Bool {
        registerType != .off && !productSecret.isEmpty
    }
}
