public import DeviceAuth
import NIOConcurrencyHelpers

/// An identity held in memory (tests, simulations that must not touch the disk).
public final class InMemoryIdentityStore: DeviceIdentityStore {
    private let identity: NIOLockedValueBox<DeviceIdentity>

    public init(_ identity: DeviceIdentity) {
        self.identity = NIOLockedValueBox(identity)
    }

    public convenience init(productId: String, productSecret: String?, deviceName: String) {
        self.init(DeviceIdentity(productId: productId, deviceName: deviceName, productSecret: productSecret))
    }

    public func load() throws -> DeviceIdentity {
        identity.withLockedValue { $0 }
    }

    public func storeCredential(_ credential: RegistrationCredential) throws {
        identity.withLockedValue { $0.credential = credential }
    }

    public func removeCredential() throws {
        identity.withLockedValue { $0.credential = nil }
    }
}
