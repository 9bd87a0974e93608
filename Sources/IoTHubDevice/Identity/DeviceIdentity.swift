public import DeviceAuth

/// What a unit knows about itself: the product-level key burned into every unit's firmware, its own
/// DeviceName, and, once registered, its own credential.
public struct DeviceIdentity: Sendable, Equatable {
    public var productId: String
    public var deviceName: String
    /// The ProductSecret for dynamic registration; nil for units provisioned with a credential only.
    public var productSecret: String?
    /// The unit's own credential (PSK, or certificate and key); nil until registered.
    public var credential: RegistrationCredential?

    public init(productId: String, deviceName: String, productSecret: String? = nil, credential: RegistrationCredential? = nil) {
        self.productId = productId
        self.deviceName = deviceName
        self.productSecret = productSecret
        self.credential = credential
    }

    /// `{ProductId}{DeviceName}`, the MQTT ClientId.
    public var clientId: String { productId + deviceName }
}

/// The firmware's "HAL" for its identity: where ProductID, ProductSecret and DeviceName are read from and
/// where the credential obtained by dynamic registration is kept.
public protocol DeviceIdentityStore: Sendable {
    /// The identity as stored now.
    func load() throws -> DeviceIdentity
    /// Keeps `credential` (replacing any other). Must be durable when it returns.
    func storeCredential(_ credential: RegistrationCredential) throws
    /// Forgets the credential (e.g. before registering again after an operator reset).
    func removeCredential() throws
}

/// Why an identity store failed.
public struct DeviceIdentityStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
