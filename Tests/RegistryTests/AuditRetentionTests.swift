import Synchronization
import XCTest

@testable import Registry
@testable import RegistrySQLite

final class AuditRetentionTests: RegistryTestCase {
    func refused(_ time: Int64, source: String = "192.0.2.7:40000", reason: String = "signature_mismatch", device: String = "dev") -> RegistrationAttempt {
        RegistrationAttempt(
            time: time, productId: "ABCDEFGHIJ", deviceName: device, sourceAddress: source, endpoint: .v2, accepted: false, reason: reason,
            nonce: "1", timestamp: "2"
        )
    }

    func testAFloodFromOneSourceIsCountedIntoFewRows() {
        var aggregator = AuditAggregator()
        aggregator.windowMillis = 10_000
        aggregator.individualRows = 5
        var rows: [RegistrationAttempt] = []
        for i in 0..<1000 { rows += aggregator.add(refused(Int64(i), source: "192.0.2.7:\(40000 + i)", device: "d\(i % 3)")) }
        // Another source and another reason are groups of their own.
        rows += aggregator.add(refused(500, source: "192.0.2.8:1"))
        rows += aggregator.add(refused(500, reason: "product_not_found"))
        XCTAssertEqual(rows.count, 7)
        XCTAssertTrue(rows.allSatisfy { $0.count == 1 })
        rows += aggregator.expired(now: 5_000)
        XCTAssertEqual(rows.count, 7, "no window has ended")
        rows += aggregator.expired(now: 10_000)
        XCTAssertEqual(rows.count, 8)
        let counted = rows.last!
        XCTAssertEqual(counted.count, 995)
        XCTAssertEqual(counted.sourceAddress, "192.0.2.7")
        XCTAssertEqual(counted.deviceName, "", "the devices differed")
        XCTAssertEqual(counted.productId, "ABCDEFGHIJ")
        XCTAssertEqual(counted.nonce, "")
        XCTAssertEqual(rows.filter { AbuseGuard.address(fromSource: $0.sourceAddress) == "192.0.2.7" && $0.reason == "signature_mismatch" }.map(\.count).reduce(0, +), 1000)
        XCTAssertEqual(aggregator.openGroups, 2, "the groups that started at 500 are still open")
    }

    func testANewWindowStartsWithRowsOfItsOwn() {
        var aggregator = AuditAggregator()
        aggregator.windowMillis = 1_000
        aggregator.individualRows = 1
        var rows: [RegistrationAttempt] = []
        for i in 0..<4 { rows += aggregator.add(refused(Int64(i))) }
        XCTAssertEqual(rows.map(\.count), [1])
        // The next attempt after the window writes the counted row and is a row of its own again.
        rows += aggregator.add(refused(1_500))
        XCTAssertEqual(rows.map(\.count), [1, 3, 1])
        rows += aggregator.drain()
        XCTAssertEqual(rows.map(\.count), [1, 3, 1])
    }

    func testAFullTableWritesNewSourcesAsRowsUntilTheOldestWindowEnds() {
        var aggregator = AuditAggregator()
        aggregator.windowMillis = 10_000
        aggregator.individualRows = 1
        aggregator.capacity = 3
        var rows: [RegistrationAttempt] = []
        for i in 0..<3 {
            rows += aggregator.add(refused(Int64(i), source: "192.0.2.\(i):1"))
            rows += aggregator.add(refused(Int64(i), source: "192.0.2.\(i):2"))
        }
        XCTAssertEqual(rows.map(\.count), [1, 1, 1])
        // Full, and no window has ended: a new source is a row of its own, the open groups are kept.
        rows += aggregator.add(refused(9_999, source: "192.0.2.9:1"))
        rows += aggregator.add(refused(9_999, source: "192.0.2.9:2"))
        XCTAssertEqual(rows.map(\.count), [1, 1, 1, 1, 1])
        XCTAssertEqual(aggregator.openGroups, 3)
        // The first group's window has ended: its counted row is written and the new source gets its group.
        rows += aggregator.add(refused(10_000, source: "192.0.2.9:3"))
        XCTAssertEqual(rows.map(\.count), [1, 1, 1, 1, 1, 1, 1])
        XCTAssertEqual(rows[5].sourceAddress, "192.0.2.0")
        XCTAssertEqual(aggregator.openGroups, 3)
        rows += aggregator.add(refused(10_001, source: "192.0.2.9:4"))
        XCTAssertEqual(rows.count, 7, "counted into the new group")
    }

    func testTheEngineCountsAFloodAndTheAuditQueryShowsTheCount() async throws {
        let engine = try await openEngine()
        await engine.configureAuditAggregation(windowMillis: 60_000, individualRows: 5)
        for i in 0..<1000 {
            await engine.recordRefusedAttempt(refused(RegistryEngine.systemMillis(), source: "192.0.2.7:\(40000 + i)"))
        }
        let page = try await engine.auditLog(AuditQuery(limit: 100))
        XCTAssertEqual(page.total, 6)
        XCTAssertEqual(page.attempts.map(\.count).reduce(0, +), 1000)
        XCTAssertEqual(page.attempts.first?.count, 995)
        await engine.shutdown()
    }

    func testRetentionDeletesOldRowsAndCapsTheRowCount() async throws {
        let now = Mutex<Int64>(100 * 86_400_000)
        let engine = try await openEngine(now: { now.withLock { $0 } })
        await engine.configureAuditAggregation(windowMillis: 0, individualRows: 0)
        let day: Int64 = 86_400_000
        // 10 rows 40 days old, 30 rows 1 day old.
        for _ in 0..<10 { await engine.recordRefusedAttempt(refused(60 * day)) }
        for _ in 0..<30 { await engine.recordRefusedAttempt(refused(99 * day)) }
        _ = try await engine.auditLog(AuditQuery(limit: 1))
        let byAge = try await engine.pruneAudit(maxAgeMillis: 30 * day, maxRows: nil)
        XCTAssertEqual(byAge, 10)
        var page = try await engine.auditLog(AuditQuery(limit: 100))
        XCTAssertEqual(page.total, 30)
        let byCount = try await engine.pruneAudit(maxAgeMillis: 30 * day, maxRows: 12)
        XCTAssertEqual(byCount, 18)
        page = try await engine.auditLog(AuditQuery(limit: 100))
        XCTAssertEqual(page.total, 12)
        let none = try await engine.pruneAudit(maxAgeMillis: 30 * day, maxRows: 12)
        XCTAssertEqual(none, 0)
        await engine.shutdown()
    }

    func testPruningWorksInChunks() async throws {
        let engine = try await openEngine()
        await engine.configureAuditAggregation(windowMillis: 0, individualRows: 0)
        for _ in 0..<(SQLiteRegistryStore.pruneChunk * 2 + 10) { await engine.recordRefusedAttempt(refused(1)) }
        _ = try await engine.auditLog(AuditQuery(limit: 1))
        let deleted = try await engine.pruneAudit(maxAgeMillis: nil, maxRows: 3)
        XCTAssertEqual(deleted, SQLiteRegistryStore.pruneChunk * 2 + 7)
        let page = try await engine.auditLog(AuditQuery(limit: 100))
        XCTAssertEqual(page.total, 3)
        await engine.shutdown()
    }
}
