import Foundation
import Logging
import XCTest

@testable import Registry
@testable import RegistrySQLite

/// Listing a product's devices with filters, and creating many devices at once (all or none).
final class DeviceListTests: RegistryTestCase {
    func product(_ engine: RegistryEngine, encryption: EncryptionType = .psk) async throws -> Product {
        var spec = NewProduct(name: "p\(UUID().uuidString.prefix(8))")
        spec.encryptionType = encryption
        return try await engine.createProduct(spec)
    }

    func names(_ engine: RegistryEngine, _ productId: String, _ filter: DeviceFilter, offset: Int = 0, limit: Int = 100) async throws -> (Int, [String]) {
        let page = try await engine.devices(productId: productId, filter: filter, offset: offset, limit: limit)
        return (page.total, page.devices.map(\.name))
    }

    func testPresenceAndStateFiltersCountAllAndPageInCreationOrder() async throws {
        let engine = try await openEngine()
        let product = try await product(engine)
        for index in 1...7 { _ = try await engine.createDevice(productId: product.id, name: "d\(index)") }
        // d1, d2 online; d3 was online (offline now); d4 disabled, never activated; the rest never activated.
        for name in ["d1", "d2", "d3"] {
            let outcome = await engine.login(DeviceKey(productId: product.id, name: name), clientIP: "127.0.0.1")
            XCTAssertEqual(outcome, .accepted(activated: true))
        }
        engine.submitLogout(DeviceKey(productId: product.id, name: "d3"))
        for _ in 0..<200 {
            if try await !engine.device(productId: product.id, name: "d3").online { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await engine.setDevicesEnabled(productId: product.id, names: ["d4"], enabled: false)

        var result = try await names(engine, product.id, DeviceFilter(presence: .online))
        XCTAssertEqual(result.0, 2)
        XCTAssertEqual(result.1, ["d1", "d2"])
        result = try await names(engine, product.id, DeviceFilter(presence: .offline))
        XCTAssertEqual(result.1, ["d3"])
        result = try await names(engine, product.id, DeviceFilter(presence: .neverActivated))
        XCTAssertEqual(result.1, ["d4", "d5", "d6", "d7"])
        result = try await names(engine, product.id, DeviceFilter(enabled: false))
        XCTAssertEqual(result.1, ["d4"])
        result = try await names(engine, product.id, DeviceFilter(enabled: true, presence: .neverActivated))
        XCTAssertEqual(result.1, ["d5", "d6", "d7"])
        // Paging: the total counts every match, the page is the window.
        result = try await names(engine, product.id, DeviceFilter(presence: .neverActivated), offset: 1, limit: 2)
        XCTAssertEqual(result.0, 4)
        XCTAssertEqual(result.1, ["d5", "d6"])
        result = try await names(engine, product.id, DeviceFilter(), offset: 5, limit: 10)
        XCTAssertEqual(result.0, 7)
        XCTAssertEqual(result.1, ["d6", "d7"])
        result = try await names(engine, product.id, DeviceFilter(deviceName: "d", presence: .online), offset: 0, limit: 1)
        XCTAssertEqual(result.0, 2)
        XCTAssertEqual(result.1, ["d1"])
        result = try await names(engine, product.id, DeviceFilter(deviceName: "7"))
        XCTAssertEqual(result.1, ["d7"])
        result = try await names(engine, product.id, DeviceFilter(), offset: 50)
        XCTAssertEqual(result.0, 7)
        XCTAssertEqual(result.1, [])
        await engine.shutdown()
    }

    func testDeletedDevicesLeaveTheListAndANameCreatedAgainComesLast() async throws {
        let engine = try await openEngine()
        let product = try await product(engine)
        let created = (0..<200).map { "n\($0)" }
        guard case .created = try await engine.createDevices(productId: product.id, names: created) else { return XCTFail() }
        try await engine.setDevicesEnabled(productId: product.id, names: ["n199"], enabled: false)
        // 150 deletions: past half of the list, so the holes are squeezed out on the way.
        for index in stride(from: 0, to: 150, by: 1) { try await engine.deleteDevice(productId: product.id, name: "n\(index)") }
        _ = try await engine.createDevice(productId: product.id, name: "n3")
        var result = try await names(engine, product.id, DeviceFilter(), offset: 0, limit: 100)
        XCTAssertEqual(result.0, 51)
        XCTAssertEqual(result.1, (150..<200).map { "n\($0)" } + ["n3"])
        result = try await names(engine, product.id, DeviceFilter(), offset: 49, limit: 5)
        XCTAssertEqual(result.1, ["n199", "n3"])
        result = try await names(engine, product.id, DeviceFilter(enabled: false))
        XCTAssertEqual(result.1, ["n199"])
        result = try await names(engine, product.id, DeviceFilter(deviceName: "3"))
        XCTAssertEqual(result.1, ["n153", "n163", "n173", "n183", "n193", "n3"])
        // A product without devices can be deleted again.
        for name in result.1 + (150..<200).map({ "n\($0)" }) where name.hasPrefix("n") {
            try? await engine.deleteDevice(productId: product.id, name: name)
        }
        let left = try await engine.devices(productId: product.id, offset: 0, limit: 10).total
        XCTAssertEqual(left, 0)
        try await engine.deleteProduct(product.id)
        await engine.shutdown()
    }

    func testBatchCreatesAllOrNone() async throws {
        let engine = try await openEngine()
        let product = try await product(engine)
        _ = try await engine.createDevice(productId: product.id, name: "taken")

        // Every problem is reported with its position; nothing is created.
        let refused = try await engine.createDevices(productId: product.id, names: ["ok-1", "bad name", "taken", "ok-2", "ok-1", String(repeating: "x", count: 49)])
        guard case .refused(let problems) = refused else { return XCTFail("created \(refused)") }
        XCTAssertEqual(problems.map(\.index), [1, 2, 4, 5])
        XCTAssertEqual(problems.map(\.error.code), [.invalidParameter, .deviceAlreadyExists, .invalidParameter, .invalidParameter])
        XCTAssertEqual(problems[2].duplicateOf, 0)
        XCTAssertNil(problems[0].duplicateOf)
        var total = try await engine.devices(productId: product.id, offset: 0, limit: 10).total
        XCTAssertEqual(total, 1)

        let created = try await engine.createDevices(productId: product.id, names: ["ok-1", "ok-2", "ok:3"])
        guard case .created(let devices) = created else { return XCTFail("refused \(created)") }
        XCTAssertEqual(devices.map(\.name), ["ok-1", "ok-2", "ok:3"])
        XCTAssertTrue(devices.allSatisfy { ($0.psk ?? "").count > 0 })
        XCTAssertEqual(Set(devices.compactMap(\.psk)).count, 3)
        total = try await engine.devices(productId: product.id, offset: 0, limit: 10).total
        XCTAssertEqual(total, 4)
        // The same names again: all already exist.
        guard case .refused(let again) = try await engine.createDevices(productId: product.id, names: ["ok-2", "new"]) else { return XCTFail() }
        XCTAssertEqual(again.map(\.index), [0])

        // Product rules apply to the whole batch; the size is bounded.
        do {
            _ = try await engine.createDevices(productId: "NOPRODUCT1", names: ["a"])
            XCTFail("unknown product")
        } catch let error as RegistryError {
            XCTAssertEqual(error.code, .productNotFound)
        }
        do {
            _ = try await engine.createDevices(productId: product.id, names: [])
            XCTFail("empty batch")
        } catch let error as RegistryError {
            XCTAssertEqual(error.code, .invalidParameter)
        }
        do {
            _ = try await engine.createDevices(productId: product.id, names: (0...RegistryEngine.maxDeviceBatch).map { "n\($0)" })
            XCTFail("too many")
        } catch let error as RegistryError {
            XCTAssertEqual(error.code, .invalidParameter)
        }
        await engine.shutdown()

        // Durable: there after a restart.
        let reopened = try await openEngine()
        let device = try await reopened.device(productId: product.id, name: "ok:3")
        XCTAssertEqual(device.psk, devices[2].psk)
        await reopened.shutdown()
    }

    func testBatchOfACertificateProductIssuesCertificates() async throws {
        let engine = try await openEngine()
        let product = try await product(engine, encryption: .certificate)
        guard case .created(let devices) = try await engine.createDevices(productId: product.id, names: ["cam-1", "cam-2"]) else { return XCTFail() }
        for device in devices {
            guard case .certificate(let certificate, let key, _) = device.credential else { return XCTFail("\(device.credential)") }
            XCTAssertEqual(certificate, "CERT-\(device.name)")
            XCTAssertEqual(key, "KEY-\(device.name)")
        }
        await engine.shutdown()
    }
}
