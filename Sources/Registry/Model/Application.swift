public import DeviceAuth

/// A business application allowed to connect over MQTT: it may receive the traffic of, and publish
/// commands to, the devices of its products.
public struct Application: Sendable, Codable, Hashable {
    /// `app` followed by 10 characters `[A-Z0-9]`; the MQTT username.
    public var id: String
    public var name: String
    /// The MQTT password (AppSecret) as a salted hash: the secret itself is shown once, when the
    /// application is created, and kept nowhere.
    public var secretHash: SaltedSecretHash
    public var productIds: [String]
    /// Unix seconds.
    public var createdAt: Int64

    public init(id: String, name: String, secretHash: SaltedSecretHash, productIds: [String], createdAt: Int64) {
        self.id = id
        self.name = name
        self.secretHash = secretHash
        self.productIds = productIds
        self.createdAt = createdAt
    }
}
