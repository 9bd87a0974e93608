import XCTest

@testable import Registry

/// The device directory's indexes stay in step with its devices whatever the sequence of changes: after random
/// inserts, replacements (registration flag, presence, gateway binding changed) and removals, every index equals
/// the one computed from the devices from scratch.
final class DeviceDirectoryTests: XCTestCase {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func testIndexesMatchTheDevicesAfterRandomChanges() {
        var random = SplitMix(state: 16)
        var directory = DeviceDirectory()
        var expectedOrder: [String: [String]] = [:]
        let products = ["PRODUCTAAA", "PRODUCTBBB", "PRODUCTCCC"]
        let gateways = [DeviceKey(productId: "PRODUCTAAA", name: "gw-1"), DeviceKey(productId: "PRODUCTBBB", name: "gw-2")]
        for step in 0..<20_000 {
            let productId = products.randomElement(using: &random)!
            let name = "d\(Int.random(in: 0..<60, using: &random))"
            let key = DeviceKey(productId: productId, name: name)
            if Int.random(in: 0..<4, using: &random) == 0 {
                let removed = directory.remove(key)
                XCTAssertEqual(removed != nil, expectedOrder[productId]?.contains(name) == true)
                expectedOrder[productId]?.removeAll { $0 == name }
            } else {
                var device = Device(
                    productId: productId, name: name, credential: .psk("c2VjcmV0"), createdByRegistration: Bool.random(using: &random),
                    createdAt: Int64(step), online: Bool.random(using: &random)
                )
                if Bool.random(using: &random) {
                    device.binding = GatewayBinding(gateway: gateways.randomElement(using: &random)!, boundAt: Int64(step), attached: Bool.random(using: &random))
                }
                let state = UInt8.random(in: 0..<4, using: &random)
                let old = directory.insert(device, listState: state)
                XCTAssertEqual(old != nil, expectedOrder[productId]?.contains(name) == true)
                if old == nil { expectedOrder[productId, default: []].append(name) }
            }
        }
        let all = Array(directory.devices.values)
        XCTAssertGreaterThan(all.count, 50)
        // Lists: creation order kept, removed names gone.
        for productId in products {
            XCTAssertEqual(Array(directory.lists[productId] ?? []), expectedOrder[productId] ?? [], productId)
        }
        // Counts and the gateway index, from scratch.
        var created: [String: Int] = [:]
        var online: [String: Int] = [:]
        var subDevices: [DeviceKey: Set<DeviceKey>] = [:]
        for device in all {
            if device.createdByRegistration { created[device.productId, default: 0] += 1 }
            if device.online { online[device.productId, default: 0] += 1 }
            if let binding = device.binding { subDevices[binding.gateway, default: []].insert(device.key) }
        }
        for productId in products { XCTAssertEqual(directory.autoCreatedCount[productId, default: 0], created[productId, default: 0], productId) }
        XCTAssertEqual(directory.onlineCounts, online)
        XCTAssertEqual(directory.subDevicesByGateway, subDevices)
    }

    func testRemovingAProductForgetsItsListAndCount() {
        var directory = DeviceDirectory()
        let device = Device(productId: "PRODUCTAAA", name: "d", credential: .psk("c2VjcmV0"), createdByRegistration: true, createdAt: 1)
        directory.insert(device, listState: 0)
        directory.remove(device.key)
        directory.removeProduct("PRODUCTAAA")
        XCTAssertNil(directory.lists["PRODUCTAAA"])
        XCTAssertNil(directory.autoCreatedCount["PRODUCTAAA"])
        XCTAssertEqual(directory.devices.count, 0)
    }

    func testTheCatalogFreesTheOldNameOfARenamedProduct() {
        var catalog = ProductCatalog()
        var product = Product(id: "PRODUCTAAA", name: "old", createdAt: 1)
        catalog.insert(product)
        catalog.insert(Product(id: "PRODUCTBBB", name: "other", createdAt: 2))
        product.name = "new"
        catalog.insert(product)
        XCTAssertNil(catalog.idByName["old"])
        XCTAssertEqual(catalog.idByName["new"], "PRODUCTAAA")
        XCTAssertEqual(catalog.order, ["PRODUCTAAA", "PRODUCTBBB"], "a rename keeps the place")
        XCTAssertEqual(catalog.remove("PRODUCTAAA")?.name, "new")
        XCTAssertNil(catalog.idByName["new"])
        XCTAssertEqual(catalog.order, ["PRODUCTBBB"])
        XCTAssertNil(catalog.remove("PRODUCTAAA"))
    }
}
