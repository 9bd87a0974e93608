import DeviceAuth
import XCTest

@testable import Registry

final class RegistrationPolicyTests: XCTestCase {
    private func product(_ type: RegisterType, limit: Int = 10, secret: String = "a1b2c3d4e5f6g7h8i9j0k1l2", forbidden: Bool = false) -> Product {
        Product(id: "ABCDEFGHIJ", name: "p", encryptionType: .psk, registerType: type, registerLimit: limit, productSecret: secret, forbidden: forbidden, createdAt: 0)
    }

    private func device(activated: Bool = false, enabled: Bool = true) -> Device {
        Device(productId: "ABCDEFGHIJ", name: "dev", credential: .psk("c2VjcmV0LXBzay0xMjM0NQ=="), enabled: enabled, createdAt: 0, firstOnlineTime: activated ? 5 : nil)
    }

    private func decide(_ facts: RegistrationFacts, signature: Bool = true) -> RegistrationDecision {
        RegistrationPolicy.decide(facts) { _ in signature }
    }

    func testOrderOfChecks() {
        XCTAssertEqual(decide(.init(product: nil, device: nil, autoCreatedCount: 0, replayed: false)), .refuse(.productNotFound))
        XCTAssertEqual(
            decide(.init(product: product(.autoCreate, forbidden: true), device: nil, autoCreatedCount: 0, replayed: false)),
            .refuse(.productDisabled)
        )
        XCTAssertEqual(decide(.init(product: product(.off), device: nil, autoCreatedCount: 0, replayed: false)), .refuse(.registrationDisabled))
        XCTAssertEqual(
            decide(.init(product: product(.autoCreate, secret: ""), device: nil, autoCreatedCount: 0, replayed: false)),
            .refuse(.registrationDisabled)
        )
        // The signature is checked before anything about the device is revealed.
        XCTAssertEqual(
            decide(.init(product: product(.preCreated), device: nil, autoCreatedCount: 0, replayed: false), signature: false),
            .refuse(.signatureMismatch)
        )
        XCTAssertEqual(
            decide(.init(product: product(.autoCreate), device: device(activated: true), autoCreatedCount: 0, replayed: false), signature: false),
            .refuse(.signatureMismatch)
        )
    }

    func testSignatureIsNotEvaluatedBeforeProductChecks() {
        var called = false
        _ = RegistrationPolicy.decide(.init(product: product(.off), device: nil, autoCreatedCount: 0, replayed: false)) { _ in
            called = true
            return true
        }
        XCTAssertFalse(called)
    }

    func testReplayOnlyWithProtectionOn() {
        var protected = product(.autoCreate)
        XCTAssertEqual(decide(.init(product: protected, device: nil, autoCreatedCount: 0, replayed: true)), .create)
        protected.replayProtection = true
        XCTAssertEqual(decide(.init(product: protected, device: nil, autoCreatedCount: 0, replayed: true)), .refuse(.nonceReplayed))
        XCTAssertEqual(decide(.init(product: protected, device: nil, autoCreatedCount: 0, replayed: false)), .create)
    }

    func testDeviceStates() {
        XCTAssertEqual(decide(.init(product: product(.preCreated), device: device(), autoCreatedCount: 0, replayed: false)), .reissue)
        XCTAssertEqual(decide(.init(product: product(.autoCreate), device: device(), autoCreatedCount: 99, replayed: false)), .reissue)
        XCTAssertEqual(
            decide(.init(product: product(.autoCreate), device: device(enabled: false), autoCreatedCount: 0, replayed: false)),
            .refuse(.deviceDisabled)
        )
        XCTAssertEqual(
            decide(.init(product: product(.preCreated), device: device(activated: true), autoCreatedCount: 0, replayed: false)),
            .refuse(.deviceAlreadyActivated)
        )
        XCTAssertEqual(decide(.init(product: product(.preCreated), device: nil, autoCreatedCount: 0, replayed: false)), .refuse(.deviceNotFound))
    }

    func testLimit() {
        XCTAssertEqual(decide(.init(product: product(.autoCreate, limit: 3), device: nil, autoCreatedCount: 2, replayed: false)), .create)
        XCTAssertEqual(
            decide(.init(product: product(.autoCreate, limit: 3), device: nil, autoCreatedCount: 3, replayed: false)),
            .refuse(.registerLimitReached)
        )
        XCTAssertEqual(
            decide(.init(product: product(.autoCreate, limit: 0), device: nil, autoCreatedCount: 0, replayed: false)),
            .refuse(.registerLimitReached)
        )
    }
}
