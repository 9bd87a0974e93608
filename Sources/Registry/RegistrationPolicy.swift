import Logging
public import DeviceAuth

/// What the registry knows when it decides a registration request.
public struct RegistrationFacts: Sendable {
    public var product: Product?
    public var device: Device?
    /// Devices created by registration in this product so far.
    public var autoCreatedCount: Int
    /// The request's (DeviceName, nonce, timestamp) was seen within the replay window.
    public var replayed: Bool

    public init(product: Product?, device: Device?, autoCreatedCount: Int, replayed: Bool) {
        self.product = product
        self.device = device
        self.autoCreatedCount = autoCreatedCount
        self.replayed = replayed
    }
}

/// The outcome of the policy.
public enum RegistrationDecision: Sendable, Equatable {
    /// Hand out the existing device's current credential (device exists, never logged in).
    case reissue
    /// Create the device (auto-create mode, below the limit), then hand out its credential.
    case create
    case refuse(RegistrationRefusal)
}

/// The dynamic-registration policy of `device-protocol.md` §3.4, as one pure function.
///
/// The order matters: nothing about the device is revealed before the signature has been checked.
public enum RegistrationPolicy {
    public static func decide(
        _ facts: RegistrationFacts,
        signatureValid: (_ productSecret: String) -> Bool
    ) -> RegistrationDecision {
        guard let product = facts.product else { return .refuse(.productNotFound) }
        guard !product.forbidden else { return .refuse(.productDisabled) }
        guard product.acceptsRegistration else { return .refuse(.registrationDisabled) }
        guard signatureValid(product.productSecret) else { return .refuse(.signatureMismatch) }
        if product.replayProtection && facts.replayed { return .refuse(.nonceReplayed) }
        if let device = facts.device {
            guard device.enabled else { return .refuse(.deviceDisabled) }
            guard !device.activated else { return .refuse(.deviceAlreadyActivated) }
            return .reissue
        }
        switch product.registerType {
        case .off: return .refuse(.registrationDisabled)
        case .preCreated: return .refuse(.deviceNotFound)
        case .autoCreate:
            guard facts.autoCreatedCount < product.registerLimit else { return .refuse(.registerLimitReached) }
            return .create
        }
    }
}
