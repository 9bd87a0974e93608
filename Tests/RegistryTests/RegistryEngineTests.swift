import DeviceAuth
import Foundation
import Logging
import XCTest

@testable import Registry
@testable import RegistrySQLite

/// The registry engine on a real SQLite file in a temporary directory.
final class RegistryEngineTests: RegistryTestCase {
    static let issuer = CredentialIssuer(issueCertificate: { device in
        .certificate(certificatePEM: "CERT-\(device.name)", privateKeyPEM: "KEY-\(device.name)", serialNumber: UUID().uuidString)
    })

    static func request(_ product: Product, _ name: String, secret: String? = nil, nonce: String = "1", source: String = "127.0.0.1:1") -> RegistrationRequest {
        let expected = secret ?? product.productSecret
        return RegistrationRequest(
            productId: product.id, deviceName: name, endpoint: .v2, sourceAddress: source, nonce: nonce, timestamp: "1609430400",
            verifySignature: { ConstantTime.equals(Array($0.utf8), Array(expected.utf8)) }
        )
    }

    func autoCreateProduct(_ engine: RegistryEngine, limit: Int, encryption: EncryptionType = .psk) async throws -> Product {
        var spec = NewProduct(name: "p\(UUID().uuidString.prefix(8))")
        spec.encryptionType = encryption
        let product = try await engine.createProduct(spec)
        return try await engine.updateDynamicRegistration(productId: product.id, registerType: .autoCreate, registerLimit: limit)
    }

    func testLimitIsExactUnderConcurrency() async throws {
        let engine = try await openEngine()
        let product = try await autoCreateProduct(engine, limit: 100)
        // 37 slots already used.
        for i in 0..<37 { _ = try await engine.register(Self.request(product, "pre-\(i)")).get() }
        let outcomes = await withTaskGroup(of: Result<RegistrationGrant, RegistrationRefusal>.self) { group in
            for i in 0..<250 { group.addTask { await engine.register(Self.request(product, "new-\(i)")) } }
            var all: [Result<RegistrationGrant, RegistrationRefusal>] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let accepted = outcomes.filter { if case .success = $0 { true } else { false } }.count
        let refused = outcomes.filter { $0 == .failure(.registerLimitReached) }.count
        XCTAssertEqual(accepted, 63)
        XCTAssertEqual(refused, 187)
        let total = try await engine.devices(productId: product.id, offset: 0, limit: 1000).total
        XCTAssertEqual(total, 100)
        await engine.shutdown()
        // And after a restart, the file agrees.
        let reopened = try await openEngine()
        let reloaded = try await reopened.devices(productId: product.id, offset: 0, limit: 1000).total
        XCTAssertEqual(reloaded, 100)
        let autoCreated = await reopened.autoCreatedDevices(productId: product.id)
        XCTAssertEqual(autoCreated, 100)
        await reopened.shutdown()
    }

    func testConcurrentRegistrationsOfOneNameGetOneDeviceAndOneCredential() async throws {
        let engine = try await openEngine()
        let product = try await autoCreateProduct(engine, limit: 10)
        let grants = await withTaskGroup(of: Result<RegistrationGrant, RegistrationRefusal>.self) { group in
            for i in 0..<50 { group.addTask { await engine.register(Self.request(product, "same", nonce: "\(i)")) } }
            var all: [RegistrationGrant] = []
            for await outcome in group { if case .success(let grant) = outcome { all.append(grant) } }
            return all
        }
        XCTAssertEqual(grants.count, 50)
        XCTAssertEqual(Set(grants.map(\.credential)).count, 1)
        XCTAssertEqual(grants.filter(\.created).count, 1)
        let count = try await engine.devices(productId: product.id, offset: 0, limit: 10).total
        XCTAssertEqual(count, 1)
        await engine.shutdown()
    }

    func testCertificateProductsIssueCertificates() async throws {
        let engine = try await openEngine()
        let product = try await autoCreateProduct(engine, limit: 10, encryption: .certificate)
        let grant = try await engine.register(Self.request(product, "cert-dev")).get()
        let stored = try await engine.device(productId: product.id, name: "cert-dev")
        XCTAssertEqual(grant.credential, stored.credential)
        guard case .certificate(let cert, let key?, _) = grant.credential else { return XCTFail("expected a certificate") }
        XCTAssertEqual(cert, "CERT-cert-dev")
        XCTAssertEqual(key, "KEY-cert-dev")
        // The key is erased at the first login.
        let login = await engine.login(DeviceKey(productId: product.id, name: "cert-dev"), clientIP: "127.0.0.1")
        XCTAssertEqual(login, .accepted(activated: true))
        guard case .certificate(_, nil, _) = try await engine.device(productId: product.id, name: "cert-dev").credential else {
            return XCTFail("key kept after login")
        }
        await engine.shutdown()
    }

    func testReissueUntilActivationThenRefuseUntilReset() async throws {
        let engine = try await openEngine()
        let product = try await autoCreateProduct(engine, limit: 10)
        let first = try await engine.register(Self.request(product, "dev1")).get()
        XCTAssertTrue(first.created)
        let second = try await engine.register(Self.request(product, "dev1", nonce: "2")).get()
        XCTAssertFalse(second.created)
        XCTAssertEqual(first.credential, second.credential)
        let key = DeviceKey(productId: product.id, name: "dev1")
        let login = await engine.login(key, clientIP: "127.0.0.1")
        XCTAssertEqual(login, .accepted(activated: true))
        let afterLogin = await engine.register(Self.request(product, "dev1", nonce: "3"))
        XCTAssertEqual(afterLogin.failureValue, .deviceAlreadyActivated)
        let reset = try await engine.resetRegistration(productId: product.id, name: "dev1")
        XCTAssertFalse(reset.activated)
        XCTAssertNotEqual(reset.credential, first.credential)
        let third = try await engine.register(Self.request(product, "dev1", nonce: "4")).get()
        XCTAssertEqual(third.credential, reset.credential)
        // Disabled devices are refused.
        try await engine.setDevicesEnabled(productId: product.id, names: ["dev1"], enabled: false)
        let disabled = await engine.register(Self.request(product, "dev1", nonce: "5"))
        XCTAssertEqual(disabled.failureValue, .deviceDisabled)
        await engine.shutdown()
    }

    func testPreCreatedModeAndWrongSignature() async throws {
        let engine = try await openEngine()
        var spec = NewProduct(name: "precreated")
        spec.encryptionType = .psk
        let created = try await engine.createProduct(spec)
        let product = try await engine.updateDynamicRegistration(productId: created.id, registerType: .preCreated, registerLimit: 5)
        XCTAssertEqual(product.productSecret.count, 24)
        let unknown = await engine.register(Self.request(product, "nope"))
        XCTAssertEqual(unknown.failureValue, .deviceNotFound)
        let device = try await engine.createDevice(productId: product.id, name: "known")
        let grant = try await engine.register(Self.request(product, "known")).get()
        XCTAssertEqual(grant.credential, device.credential)
        let forged = await engine.register(Self.request(product, "known", secret: "wrong-secret-wrong-secret"))
        XCTAssertEqual(forged.failureValue, .signatureMismatch)
        // Switching off keeps the secret.
        let off = try await engine.updateDynamicRegistration(productId: product.id, registerType: .off, registerLimit: 5)
        XCTAssertEqual(off.productSecret, product.productSecret)
        let refused = await engine.register(Self.request(product, "known", nonce: "9"))
        XCTAssertEqual(refused.failureValue, .registrationDisabled)
        await engine.shutdown()
    }

    func testReplayProtectionSurvivesRestart() async throws {
        let engine = try await openEngine()
        let product = try await autoCreateProduct(engine, limit: 10)
        _ = try await engine.updateDynamicRegistration(productId: product.id, registerType: .autoCreate, registerLimit: 10, replayProtection: true)
        _ = try await engine.register(Self.request(product, "r1", nonce: "77")).get()
        let replay = await engine.register(Self.request(product, "r1", nonce: "77"))
        XCTAssertEqual(replay.failureValue, .nonceReplayed)
        _ = try await engine.register(Self.request(product, "r1", nonce: "78")).get()
        await engine.shutdown()
        let reopened = try await openEngine()
        let replayAfterRestart = await reopened.register(Self.request(product, "r1", nonce: "77"))
        XCTAssertEqual(replayAfterRestart.failureValue, .nonceReplayed)
        await reopened.shutdown()
    }

    func testReplayProtectionSwitchedOnKnowsEarlierNonces() async throws {
        let engine = try await openEngine()
        let product = try await autoCreateProduct(engine, limit: 10)
        // Off: a repeated request is answered (the same device, the same credential).
        let first = try await engine.register(Self.request(product, "r1", nonce: "77")).get()
        let repeated = try await engine.register(Self.request(product, "r1", nonce: "77")).get()
        XCTAssertEqual(first.credential, repeated.credential)
        // Switched on: the nonce sent before is known from the audit log.
        _ = try await engine.updateDynamicRegistration(productId: product.id, registerType: .autoCreate, registerLimit: 10, replayProtection: true)
        let replay = await engine.register(Self.request(product, "r1", nonce: "77"))
        XCTAssertEqual(replay.failureValue, .nonceReplayed)
        _ = try await engine.register(Self.request(product, "r1", nonce: "78")).get()
        let replayOfNew = await engine.register(Self.request(product, "r1", nonce: "78"))
        XCTAssertEqual(replayOfNew.failureValue, .nonceReplayed)
        // Switched off again: nonces are not checked.
        _ = try await engine.updateDynamicRegistration(productId: product.id, registerType: .autoCreate, registerLimit: 10, replayProtection: false)
        _ = try await engine.register(Self.request(product, "r1", nonce: "78")).get()
        await engine.shutdown()
    }

    func testAuditRecordsEveryAttemptWithReason() async throws {
        let engine = try await openEngine()
        let product = try await autoCreateProduct(engine, limit: 1)
        _ = await engine.register(Self.request(product, "a1", source: "127.0.0.5:999"))
        _ = await engine.register(Self.request(product, "a2"))
        _ = await engine.register(Self.request(product, "a1", secret: "bad-bad-bad-bad-bad-bad!"))
        let all = try await engine.auditLog(AuditQuery(productId: product.id))
        XCTAssertEqual(all.total, 3)
        XCTAssertEqual(all.attempts.map(\.reason), ["signature_mismatch", "register_limit_reached", "registered"])
        XCTAssertEqual(all.attempts.last?.sourceAddress, "127.0.0.5:999")
        let refused = try await engine.auditLog(AuditQuery(productId: product.id, accepted: false))
        XCTAssertEqual(refused.total, 2)
        let forDevice = try await engine.auditLog(AuditQuery(productId: product.id, deviceName: "a2"))
        XCTAssertEqual(forDevice.attempts.map(\.reason), ["register_limit_reached"])
        await engine.shutdown()
    }

    func testManagementOperationsPersist() async throws {
        let engine = try await openEngine()
        var spec = NewProduct(name: "keep")
        spec.encryptionType = .psk
        let product = try await engine.createProduct(spec)
        await XCTAssertThrowsRegistryError(.productNameTaken) { _ = try await engine.createProduct(spec) }
        _ = try await engine.createDevice(productId: product.id, name: "d1", definedPSK: "c2VjcmV0LXBzay0xMjM0NQ==")
        await XCTAssertThrowsRegistryError(.deviceAlreadyExists) { _ = try await engine.createDevice(productId: product.id, name: "d1") }
        await XCTAssertThrowsRegistryError(.invalidParameter) { _ = try await engine.createDevice(productId: product.id, name: "a/b") }
        await XCTAssertThrowsRegistryError(.invalidParameter) { _ = try await engine.createDevice(productId: product.id, name: "a+") }
        await XCTAssertThrowsRegistryError(.pskNotBase64) { _ = try await engine.createDevice(productId: product.id, name: "d2", definedPSK: "***") }
        await XCTAssertThrowsRegistryError(.devicesExistUnderProduct) { try await engine.deleteProduct(product.id) }
        try await engine.setProductsForbidden([product.id], forbidden: true)
        await engine.shutdown()

        let reopened = try await openEngine()
        let reloaded = try await reopened.product(product.id)
        XCTAssertTrue(reloaded.forbidden)
        let device = try await reopened.device(productId: product.id, name: "d1")
        XCTAssertEqual(device.psk, "c2VjcmV0LXBzay0xMjM0NQ==")
        try await reopened.deleteDevice(productId: product.id, name: "d1")
        try await reopened.deleteProduct(product.id)
        await XCTAssertThrowsRegistryError(.productNotFound) { _ = try await reopened.product(product.id) }
        await reopened.shutdown()
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}

func XCTAssertThrowsRegistryError(
    _ code: RegistryError.Code,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () async throws -> Void
) async {
    do {
        try await body()
        XCTFail("expected \(code)", file: file, line: line)
    } catch let error as RegistryError {
        XCTAssertEqual(error.code, code, file: file, line: line)
    } catch {
        XCTFail("unexpected \(error)", file: file, line: line)
    }
}
