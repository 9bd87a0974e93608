import BrokerCore
import CloudAPI
import Foundation
import HubHTTP
import JSONCore
import Logging
import MQTTCore
import NIOCore
import Registry
import RegistrySQLite
import SQLiteNIO
import XCTest

@testable import HubServer

/// The hub's internal queues are budgeted in bytes: the device-services queue drops (and counts) what is
/// over its budget, the webhook queue makes its producers wait and loses nothing on the way to the outbox.
final class QueueBudgetTests: XCTestCase {
    var directory: String!

    override func setUp() {
        directory = NSTemporaryDirectory() + "queues-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func openRegistry() async throws -> RegistryEngine {
        let store = try await SQLiteRegistryStore.open(path: directory + "/registry.sqlite", durability: .normal, logger: Logger(label: "test"))
        let issuer = CredentialIssuer(issueCertificate: { _ in .psk("AAAA") })
        return try await RegistryEngine.open(store: store, issuer: issuer, logger: Logger(label: "test"))
    }

    func testByteBudgetQueueOfferDropsAndSendWaits() async {
        let queue = ByteBudgetQueue<Int>(budget: 100)
        XCTAssertTrue(queue.offer(1, size: 60))
        XCTAssertFalse(queue.offer(2, size: 60), "over the budget: dropped")
        XCTAssertEqual(queue.dropped, 1)
        XCTAssertTrue(queue.offer(3, size: 40))
        XCTAssertEqual(queue.bytes, 100)
        // A sender waits until the consumer makes room, and keeps its place in order.
        let sender = Task { await queue.send(4, size: 50) }
        while queue.count < 2 { await Task.yield() }
        XCTAssertEqual(queue.take(), 1)
        await sender.value
        XCTAssertEqual(queue.take(), 3)
        XCTAssertEqual(queue.take(), 4)
        XCTAssertEqual(queue.peakBytes, 100)
        // An element larger than the whole budget gets into an empty queue.
        await queue.send(5, size: 500)
        XCTAssertEqual(queue.take(), 5)
        // finish: what is queued is still taken, then the sequence ends.
        queue.force(6, size: 10)
        queue.finish()
        let last = await queue.next()
        XCTAssertEqual(last, 6)
        let end = await queue.next()
        XCTAssertNil(end)
        XCTAssertFalse(queue.offer(7, size: 1))
    }

    /// Device messages for the services beyond the byte budget are dropped and counted; the queue never
    /// holds more than its budget.
    func testDeviceServicesQueueIsBoundedInBytes() async throws {
        let registry = try await openRegistry()
        let outbox = try await WebhookOutbox.open(path: directory + "/webhooks.sqlite", logger: Logger(label: "test"))
        let webhooks = WebhookService(registry: registry, outbox: outbox, logger: Logger(label: "test"))
        let services = HubServices(registry: registry, webhooks: webhooks, logger: Logger(label: "test"), queueBytes: 10_000)
        let payload = ByteBuffer(repeating: 0x41, count: 1024)
        for i in 0..<100 {
            let message = MQTTPublish(
                topic: "$shadow/operation/P/d\(i % 10)", payload: payload, qos: .atMostOnce, retain: false, dup: false, packetId: nil,
                properties: MQTTProperties()
            )
            services.offer(message, from: .device(productId: "P", deviceName: "d\(i % 10)"))
        }
        // 25 + 1024 bytes each: 9 fit in 10,000 bytes.
        XCTAssertEqual(services.queue.count, 9)
        XCTAssertEqual(services.queue.dropped, 91)
        XCTAssertLessThanOrEqual(services.queue.peakBytes, 10_000)
        await outbox.close()
        await registry.shutdown()
    }

    /// A failed outbox write (here: its table gone) is retried, not lost: once the table is back, every event
    /// queued meanwhile reaches the outbox, and none is counted as dropped.
    func testAFailedOutboxWriteIsRetriedNotLost() async throws {
        let registry = try await openRegistry()
        let outbox = try await WebhookOutbox.open(path: directory + "/webhooks.sqlite", logger: Logger(label: "test"))
        let webhooks = WebhookService(registry: registry, outbox: outbox, logger: Logger(label: "test"))
        webhooks.urls.set(["P": "http://127.0.0.1:9/"])
        let db = await outbox.db
        _ = try await db.query("ALTER TABLE outbox RENAME TO outbox_away", [])
        let writer = Task { await webhooks.store() }
        for i in 0..<10 { await webhooks.message(productId: "P", deviceName: "d", topic: "P/d/\(i)", payload: [0x41], qos: 1) }
        // Some writes fail meanwhile (the retry backoff starts at 50 ms).
        try await Task.sleep(for: .milliseconds(300))
        let during = await outbox.counts(productId: "P")
        XCTAssertEqual(during.pending, 0, "the writes failed meanwhile")
        _ = try await db.query("ALTER TABLE outbox_away RENAME TO outbox", [])
        var counts = await outbox.counts(productId: "P")
        for _ in 0..<200 where counts.pending < 10 {
            try await Task.sleep(for: .milliseconds(50))
            counts = await outbox.counts(productId: "P")
        }
        XCTAssertEqual(counts.pending, 10, "every event reached the outbox after the failure")
        XCTAssertEqual(counts.dropped, 0)
        let stored = try await outbox.oldest(limit: 100)
        XCTAssertEqual(stored.count, 10)
        webhooks.queue.finish()
        await writer.value
        await outbox.close()
        await registry.shutdown()
    }

    /// A burst of 5,000 webhook events (about 1.3 MB) through a 2 KiB queue: producers wait, and every event
    /// reaches the durable outbox, in order per producer.
    func testWebhookBurstFarLargerThanTheQueueReachesTheOutbox() async throws {
        let registry = try await openRegistry()
        let outbox = try await WebhookOutbox.open(path: directory + "/webhooks.sqlite", maxBacklog: 100_000, logger: Logger(label: "test"))
        let webhooks = WebhookService(registry: registry, outbox: outbox, logger: Logger(label: "test"), queueBytes: 2048)
        webhooks.urls.set(["P": "http://127.0.0.1:9/"])
        let writer = Task { await webhooks.store() }
        let payload = Array(String(repeating: "t", count: 100).utf8)
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<10 {
                group.addTask {
                    for i in 0..<500 {
                        await webhooks.message(productId: "P", deviceName: "d\(producer)", topic: "P/d\(producer)/\(i)", payload: payload, qos: 1)
                    }
                }
            }
        }
        XCTAssertLessThanOrEqual(webhooks.queue.peakBytes, 2048)
        webhooks.queue.finish()
        await writer.value
        let counts = await outbox.counts(productId: "P")
        XCTAssertEqual(counts.pending, 5000)
        XCTAssertEqual(counts.dropped, 0)
        XCTAssertEqual(webhooks.queue.dropped, 0)
        var next: [String: Int] = [:]
        for entry in try await outbox.oldest(limit: 10_000) {
            let event = try JSONValue(parsing: Array(entry.body.utf8))
            let device = try XCTUnwrap(event["deviceName"]?.stringValue)
            let topic = try XCTUnwrap(event["topic"]?.stringValue)
            XCTAssertEqual(topic, "P/\(device)/\(next[device, default: 0])")
            next[device, default: 0] += 1
        }
        XCTAssertEqual(next.values.reduce(0, +), 5000)
        await outbox.close()
        await registry.shutdown()
    }
}
