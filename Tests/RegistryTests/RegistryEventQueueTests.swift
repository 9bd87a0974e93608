import Foundation
import XCTest

@testable import Registry

/// The registry's revocation events are never lost: the queue coalesces instead of dropping.
final class RegistryEventQueueTests: RegistryTestCase {
    /// 5,000 devices disabled while nobody consumes (a lagging kick service): every one of them is still
    /// delivered afterwards, once. (A buffer keeping the newest 4,096 lost the first 904.)
    func testRevocationsAreNeverLostWhileTheConsumerLags() async throws {
        let engine = try await openEngine()
        var spec = NewProduct(name: "revoked")
        spec.encryptionType = .psk
        let product = try await engine.createProduct(spec)
        let names = (0..<5000).map { "d\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in names { group.addTask { _ = try await engine.createDevice(productId: product.id, name: name) } }
            try await group.waitForAll()
        }
        try await engine.setDevicesEnabled(productId: product.id, names: names, enabled: false)
        // Each device is reset too: a second event for the same device is a different event, kept as well.
        _ = try await engine.resetDeviceState(productId: product.id, names: Array(names.prefix(10)))
        try await engine.setProductsForbidden([product.id], forbidden: true)

        var disabled: Set<String> = []
        var reset = 0
        var productDisabled = false
        for await event in engine.events {
            switch event {
            case .deviceDisabled(let key): disabled.insert(key.name)
            case .connectionReset: reset += 1
            case .productDisabled(let id):
                XCTAssertEqual(id, product.id)
                productDisabled = true
            default: XCTFail("unexpected \(event)")
            }
            if productDisabled { break }
        }
        XCTAssertEqual(disabled.count, 5000)
        XCTAssertEqual(reset, 10)
        XCTAssertEqual(engine.events.pendingCount, 0)
        await engine.shutdown()
    }

    /// An event already pending is not queued again: what is pending is bounded by the registry's size.
    func testPendingDuplicatesCoalesce() async {
        let queue = RegistryEventQueue()
        let key = DeviceKey(productId: "P", name: "d")
        for _ in 0..<1000 { queue.post(.deviceDisabled(key)) }
        queue.post(.deviceDeleted(key))
        queue.post(.deviceDisabled(key))
        XCTAssertEqual(queue.pendingCount, 2)
        XCTAssertEqual(queue.takePending(), [.deviceDisabled(key), .deviceDeleted(key)])
        // Once taken, the same event is queued again (the device may have come back meanwhile).
        queue.post(.deviceDisabled(key))
        let next = await queue.next()
        XCTAssertEqual(next, .deviceDisabled(key))
    }

    func testConsumerWaitsAndFinishEndsTheSequence() async {
        let queue = RegistryEventQueue()
        let consumer = Task { () -> [RegistryEvent] in
            var seen: [RegistryEvent] = []
            for await event in queue { seen.append(event) }
            return seen
        }
        queue.post(.applicationDeleted(id: "a"))
        queue.post(.productDisabled(productId: "p"))
        while queue.pendingCount > 0 { await Task.yield() }
        queue.finish()
        let seen = await consumer.value
        XCTAssertEqual(seen, [.applicationDeleted(id: "a"), .productDisabled(productId: "p")])
    }

    func testCancelledConsumerStops() async {
        let queue = RegistryEventQueue()
        let consumer = Task { await queue.next() }
        consumer.cancel()
        let result = await consumer.value
        XCTAssertNil(result)
    }
}
