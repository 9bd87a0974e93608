/// A business application allowed to connect over MQTT: it may receive the traffic of, and publish
/// commands to, the devices of its products.
public struct Application: Sendable, Codable, Hashable {
    /// `app` followed by 10 characters `[A-Z0-9]`; the MQTT username.
    public var id: String
    public var name: String
    /// The MQTT password; compared in constant time.
    public var secret: String
    public var productIds: [String]
    /// Unix seconds.
    public var createdAt: Int64

    public init(id: String, name: String, secret: String, productIds: [String], createdAt: Int64) {
        self.id = id
        self.name = name
        self.secret = secret
        self.productIds = productIds
        self.createdAt = createdAt
    }
}
