import Foundation
import Logging
import Synchronization
import XCTest

@testable import Registry
@testable import RegistrySQLite

/// MQTT logins and logouts as the registry records them (batched, the first one durable).
final class DeviceLoginTests: RegistryTestCase {
    func openEngine() async throws -> RegistryEngine {
        try await openEngine(durability: .full)
    }

    func product(_ engine: RegistryEngine, devices names: [String]) async throws -> Product {
        let product = try await engine.createProduct(NewProduct(name: "p\(UUID().uuidString.prefix(8))"))
        for name in names { _ = try await engine.createDevice(productId: product.id, name: name) }
        return product
    }

    /// The device as a second store on the same file reads it (the engine still open, nothing flushed at
    /// shutdown): what is durable.
    func storedDevice(_ name: String) async throws -> Device? {
        let reader = try await openStore(durability: .full)
        let stored = try await reader.load(auditSince: 0).devices.first { $0.name == name }
        try await reader.close()
        return stored
    }

    func testFirstLoginActivatesDurablyLaterOnesDoNotWait() async throws {
        let engine = try await openEngine()
        let product = try await product(engine, devices: ["d1"])
        let key = DeviceKey(productId: product.id, name: "d1")

        let first = await engine.login(key, clientIP: "127.0.0.7")
        XCTAssertEqual(first, .accepted(activated: true))
        // Durable when reported: a second store on the same file (the engine still open, nothing flushed
        // at shutdown) reads the activation.
        let stored = try await storedDevice("d1")
        XCTAssertNotNil(stored?.firstOnlineTime)
        XCTAssertEqual(stored?.clientIP, "127.0.0.7")

        let device = try await engine.device(productId: product.id, name: "d1")
        XCTAssertTrue(device.activated)
        XCTAssertTrue(device.online)
        XCTAssertEqual(device.clientIP, "127.0.0.7")

        let second = await engine.login(key, clientIP: "127.0.0.8")
        XCTAssertEqual(second, .accepted(activated: false))
        // Applied in memory when reported.
        let again = try await engine.device(productId: product.id, name: "d1")
        XCTAssertEqual(again.clientIP, "127.0.0.8")
        XCTAssertEqual(again.firstOnlineTime, device.firstOnlineTime)

        engine.submitLogout(key)
        try await waitUntil { try await !engine.device(productId: product.id, name: "d1").online }
        await engine.shutdown()
        // Written in the background, and there after a restart.
        let reopened = try await openEngine()
        let afterRestart = try await reopened.device(productId: product.id, name: "d1")
        XCTAssertFalse(afterRestart.online)
        XCTAssertEqual(afterRestart.clientIP, "127.0.0.8")
        XCTAssertNotNil(afterRestart.lastOfflineTime)
        await reopened.shutdown()
    }

    /// A crash loses logouts written in the background: a device stored as online is offline once the
    /// registry loads again (nothing is connected to a registry that is just starting).
    func testDevicesStoredOnlineAreOfflineAfterARestart() async throws {
        let engine = try await openEngine()
        let product = try await product(engine, devices: ["d1", "d2"])
        let key = DeviceKey(productId: product.id, name: "d1")
        let outcome = await engine.login(key, clientIP: "127.0.0.9")
        XCTAssertEqual(outcome, .accepted(activated: true))
        // The activation is durable, and it stored the device as online; the engine is not shut down (no
        // logout is ever written), as after kill -9.
        let stored = try await storedDevice("d1")
        XCTAssertEqual(stored?.online, true)

        let restarted = try await openEngine()
        let device = try await restarted.device(productId: product.id, name: "d1")
        XCTAssertFalse(device.online, "no device is online before any connection")
        XCTAssertNotNil(device.firstOnlineTime, "the activation survives")
        XCTAssertEqual(device.clientIP, "127.0.0.9")
        await restarted.shutdown()
        await engine.shutdown()
    }

    /// The real SQLite store with one write made to fail: what a full disk or an I/O error does.
    final class FaultyStore: RegistryStore, @unchecked Sendable {
        let store: SQLiteRegistryStore
        let failNextApply = Mutex(false)

        init(_ store: SQLiteRegistryStore) { self.store = store }

        func load(auditSince: Int64) async throws -> RegistrySnapshot { try await store.load(auditSince: auditSince) }
        func apply(_ mutations: [RegistryMutation]) async throws {
            let fail = failNextApply.withLock { fail in
                defer { fail = false }
                return fail
            }
            if fail { throw RegistryError(.storageFailure, "injected write failure") }
            try await store.apply(mutations)
        }
        func queryAudit(_ query: AuditQuery) async throws -> (total: Int, attempts: [RegistrationAttempt]) { try await store.queryAudit(query) }
        func close() async throws { try await store.close() }
    }

    /// After a failed write the registry reloads from the store; the devices connected meanwhile stay online
    /// (their connections are open), the failed change is gone, and writes work again.
    func testReloadAfterAFailedWriteKeepsWhoIsOnline() async throws {
        let faulty = FaultyStore(try await openStore(durability: .full))
        let engine = try await RegistryEngine.open(store: faulty, issuer: RegistryEngineTests.issuer, logger: Logger(label: "test"))
        let product = try await product(engine, devices: ["d1"])
        let outcome = await engine.login(DeviceKey(productId: product.id, name: "d1"), clientIP: "127.0.0.10")
        XCTAssertEqual(outcome, .accepted(activated: true))

        faulty.failNextApply.withLock { $0 = true }
        do {
            _ = try await engine.createDevice(productId: product.id, name: "d2")
            XCTFail("the write fails")
        } catch let error as RegistryError {
            XCTAssertEqual(error.code, .storageFailure)
        }
        // Recovered: the failed device is not there, d1 is still online, and writes work again.
        var created: Device?
        for _ in 0..<250 where created == nil {
            created = try? await engine.createDevice(productId: product.id, name: "d3")
            if created == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        XCTAssertNotNil(created, "the registry accepts writes after recovering")
        let d1 = try await engine.device(productId: product.id, name: "d1")
        XCTAssertTrue(d1.online, "a device connected before the failure is still online after the reload")
        let missing = try? await engine.device(productId: product.id, name: "d2")
        XCTAssertNil(missing, "the failed change is not in memory")
        await engine.shutdown()
    }

    func testRefusalsChangeNothing() async throws {
        let engine = try await openEngine()
        let product = try await product(engine, devices: ["d1"])
        let unknown = await engine.login(DeviceKey(productId: product.id, name: "nobody"))
        XCTAssertEqual(unknown, .refused(DeviceLoginRefusal(returnCode: 5, reason: "unknown product or device")))
        let unknownProduct = await engine.login(DeviceKey(productId: "ABCDEFGHIJ", name: "d1"))
        XCTAssertEqual(unknownProduct, .refused(DeviceLoginRefusal(returnCode: 5, reason: "unknown product or device")))
        let wrong = DeviceLoginRefusal(returnCode: 4, reason: "password mismatch")
        let refused = await engine.login(DeviceKey(productId: product.id, name: "d1")) { checkedProduct, device in
            XCTAssertEqual(checkedProduct.id, product.id)
            XCTAssertEqual(device.name, "d1")
            return wrong
        }
        XCTAssertEqual(refused, .refused(wrong))
        let device = try await engine.device(productId: product.id, name: "d1")
        XCTAssertFalse(device.activated)
        XCTAssertFalse(device.online)
        XCTAssertEqual(device.loginTime, 0)
        await engine.shutdown()
    }

    /// A storm of logins from many threads: every login gets exactly one outcome, every device is activated
    /// once, and the re-logins that follow do not activate again.
    func testConcurrentLoginsEachAnsweredOnce() async throws {
        let engine = try await openEngine()
        let names = (0..<300).map { "dev-\($0)" }
        let product = try await product(engine, devices: names)
        for round in 0..<2 {
            let outcomes = await withTaskGroup(of: DeviceLoginOutcome.self) { group in
                for name in names {
                    group.addTask { await engine.login(DeviceKey(productId: product.id, name: name)) }
                }
                var all: [DeviceLoginOutcome] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            XCTAssertEqual(outcomes.count, names.count)
            XCTAssertEqual(outcomes.filter { $0 == .accepted(activated: round == 0) }.count, names.count, "round \(round)")
        }
        let devices = try await engine.devices(productId: product.id, offset: 0, limit: 1000).devices
        XCTAssertEqual(devices.filter(\.activated).count, names.count)
        await engine.shutdown()
    }

    func waitUntil(_ condition: () async throws -> Bool) async throws {
        for _ in 0..<200 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("condition not met within 2 s")
    }
}
