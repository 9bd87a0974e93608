import DeviceAuth
import Foundation
import Logging
import XCTest

@testable import Registry
@testable import RegistrySQLite

/// The synchronous ClientId → PSK index the TLS-PSK handshake reads follows every change of the
/// device table: create, dynamic registration, secret update, registration reset, delete, reload.
final class DevicePSKIndexTests: RegistryTestCase {
    func testIndexFollowsTheDeviceTable() async throws {
        var engine = try await openEngine()
        var spec = NewProduct(name: "keys")
        spec.encryptionType = .psk
        let product = try await engine.createProduct(spec)
        let device = try await engine.createDevice(productId: product.id, name: "dev1")
        let clientId = product.id + "dev1"
        XCTAssertEqual(engine.pskIndex.key(forClientId: clientId), DeviceIdentifiers.pskKeyBytes(try XCTUnwrap(device.psk)))
        XCTAssertNil(engine.pskIndex.key(forClientId: product.id + "dev2"))

        let defined = Data("0123456789abcdef".utf8).base64EncodedString()
        _ = try await engine.createDevice(productId: product.id, name: "dev2", definedPSK: defined)
        XCTAssertEqual(engine.pskIndex.key(forClientId: product.id + "dev2"), Array("0123456789abcdef".utf8))

        let updated = Data("fedcba9876543210".utf8).base64EncodedString()
        try await engine.updatePSK(productId: product.id, name: "dev1", psk: updated)
        XCTAssertEqual(engine.pskIndex.key(forClientId: clientId), Array("fedcba9876543210".utf8))

        let reset = try await engine.resetRegistration(productId: product.id, name: "dev1")
        XCTAssertEqual(engine.pskIndex.key(forClientId: clientId), DeviceIdentifiers.pskKeyBytes(try XCTUnwrap(reset.psk)))
        XCTAssertNotEqual(engine.pskIndex.key(forClientId: clientId), Array("fedcba9876543210".utf8))

        try await engine.deleteDevice(productId: product.id, name: "dev2")
        XCTAssertNil(engine.pskIndex.key(forClientId: product.id + "dev2"))

        // Certificate devices have no PSK.
        var certSpec = NewProduct(name: "certs")
        certSpec.encryptionType = .certificate
        let certProduct = try await engine.createProduct(certSpec)
        _ = try await engine.createDevice(productId: certProduct.id, name: "c1")
        XCTAssertNil(engine.pskIndex.key(forClientId: certProduct.id + "c1"))
        XCTAssertEqual(engine.pskIndex.count, 1)

        // A reopened registry rebuilds the index from the store.
        let expected = engine.pskIndex.key(forClientId: clientId)
        await engine.shutdown()
        engine = try await openEngine()
        XCTAssertEqual(engine.pskIndex.key(forClientId: clientId), expected)
        XCTAssertEqual(engine.pskIndex.count, 1)
        await engine.shutdown()
    }

    func testDynamicRegistrationIndexesTheNewDevice() async throws {
        let engine = try await openEngine()
        var spec = NewProduct(name: "dyn")
        spec.encryptionType = .psk
        let product = try await engine.createProduct(spec)
        let enabled = try await engine.updateDynamicRegistration(productId: product.id, registerType: .autoCreate, registerLimit: 10)
        let grant = try await engine.register(RegistryEngineTests.request(enabled, "auto1")).get()
        guard case .psk(let psk) = grant.credential else { return XCTFail("expected a PSK, got \(grant.credential)") }
        XCTAssertEqual(engine.pskIndex.key(forClientId: product.id + "auto1"), DeviceIdentifiers.pskKeyBytes(psk))
        await engine.shutdown()
    }
}
