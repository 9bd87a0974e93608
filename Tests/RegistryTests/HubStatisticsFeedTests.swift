import DeviceAuth
import Foundation
import HubStatistics
import Synchronization
import XCTest

@testable import Registry

/// What the registry feeds the console's overview: devices online per product, kept in step with logins,
/// logouts and deletions, and registrations per minute counted as the audit records them.
final class HubStatisticsFeedTests: RegistryTestCase {
    final class Clock: Sendable {
        let millis = Mutex<Int64>(1_796_637_600_000)
        var now: RegistryEngine.Clock { { self.millis.withLock { $0 } } }
        func advance(_ delta: Int64) { millis.withLock { $0 += delta } }
    }

    func waitUntil(_ condition: () async throws -> Bool) async throws {
        for _ in 0..<500 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("condition not met")
    }

    func testOnlineCountsFollowLoginsLogoutsAndDeletions() async throws {
        let engine = try await openEngine()
        let a = try await engine.createProduct(NewProduct(name: "lamps"))
        let b = try await engine.createProduct(NewProduct(name: "meters"))
        for name in ["d1", "d2"] { _ = try await engine.createDevice(productId: a.id, name: name) }
        _ = try await engine.createDevice(productId: b.id, name: "e1")
        let none = await engine.onlineDeviceCounts()
        XCTAssertEqual(none, [:])

        for key in [DeviceKey(productId: a.id, name: "d1"), DeviceKey(productId: a.id, name: "d2"), DeviceKey(productId: b.id, name: "e1")] {
            let outcome = await engine.login(key)
            XCTAssertEqual(outcome, .accepted(activated: true))
        }
        var counts = await engine.onlineDeviceCounts()
        XCTAssertEqual(counts, [a.id: 2, b.id: 1])
        let listed = await engine.onlineDevicesByProduct().map { "\($0.productId) \($0.name) \($0.online)" }
        XCTAssertEqual(listed, ["\(a.id) lamps 2", "\(b.id) meters 1"], "with names, the most first")
        // A second login of a device online already is not a second device.
        _ = await engine.login(DeviceKey(productId: a.id, name: "d2"))
        counts = await engine.onlineDeviceCounts()
        XCTAssertEqual(counts, [a.id: 2, b.id: 1])

        engine.submitLogout(DeviceKey(productId: a.id, name: "d1"))
        try await waitUntil { await engine.onlineDeviceCounts() == [a.id: 1, b.id: 1] }
        try await engine.deleteDevice(productId: b.id, name: "e1")
        counts = await engine.onlineDeviceCounts()
        XCTAssertEqual(counts, [a.id: 1], "a deleted device online is no longer counted; a product with none is absent")
        await engine.shutdown()

        // A starting registry has no device connected.
        let reopened = try await openEngine()
        counts = await reopened.onlineDeviceCounts()
        XCTAssertEqual(counts, [:])
        await reopened.shutdown()
    }

    func testRegistrationsAreCountedPerMinuteAsTheAuditRecordsThem() async throws {
        let clock = Clock()
        let engine = try await openEngine(now: clock.now)
        // Floods are folded into counted audit rows after 2 attempts; the statistics count every attempt.
        await engine.configureAuditAggregation(windowMillis: 60_000, individualRows: 2)
        var spec = NewProduct(name: "units")
        spec.encryptionType = .psk
        let created = try await engine.createProduct(spec)
        let product = try await engine.updateDynamicRegistration(productId: created.id, registerType: .autoCreate, registerLimit: 1)
        let accepted = await engine.register(RegistryEngineTests.request(product, "u1"))
        XCTAssertNotNil(try? accepted.get())
        let reissued = await engine.register(RegistryEngineTests.request(product, "u1", nonce: "2"))
        XCTAssertNotNil(try? reissued.get())
        let limited = await engine.register(RegistryEngineTests.request(product, "u2", nonce: "3"))
        XCTAssertEqual(limited, .failure(.registerLimitReached))
        clock.advance(60_000)
        for index in 0..<7 {
            let refused = await engine.register(RegistryEngineTests.request(product, "u\(index)", secret: "wrong", nonce: "x\(index)"))
            XCTAssertEqual(refused, .failure(.signatureMismatch))
        }
        // Refusals the gateway hands over without an actor call are counted before the answer.
        engine.submitRefusedAttempt(
            RegistrationAttempt(
                time: clock.now(), productId: product.id, deviceName: "", sourceAddress: "127.0.0.1:9", endpoint: .v2, accepted: false,
                reason: "invalid_request", detail: "", nonce: "", timestamp: ""
            )
        )

        let window = await engine.registrationActivity(now: clock.now())
        XCTAssertEqual(window.accepted.count, 60)
        XCTAssertEqual(window.refused.last?.start, clock.now())
        XCTAssertEqual(window.accepted[58].counts, [RegistrationAttempt.reasonRegistered: 1, RegistrationAttempt.reasonReissued: 1])
        XCTAssertEqual(window.refused[58].counts, ["register_limit_reached": 1])
        XCTAssertEqual(window.refused[59].counts, ["signature_mismatch": 7, "invalid_request": 1], "folded attempts counted one by one")
        XCTAssertEqual(window.accepted[59].counts, [:])
        // An hour later the window is empty again.
        clock.advance(3_600_000)
        let later = await engine.registrationActivity(now: clock.now())
        XCTAssertTrue(later.accepted.allSatisfy { $0.counts.isEmpty } && later.refused.allSatisfy { $0.counts.isEmpty })
        await engine.shutdown()
    }
}
