import XCTest

@testable import Registry
@testable import RegistrySQLite

/// The operator audit trail is bounded by the audit retention settings: by age and by row count.
final class OperatorAuditPruneTests: RegistryTestCase {
    func testPruneByAgeThenByCount() async throws {
        let store = try await openStore()
        for time in [1_000, 2_000, 3_000, 4_000, 5_000] as [Int64] {
            try await store.appendOperatorAudit(
                OperatorAuditEntry(time: time, operatorName: "alice", action: "CreateProduct", target: "p\(time)", result: "ok", detail: "", source: "127.0.0.1")
            )
        }
        var deleted = try await store.pruneOperatorAudit(before: 2_500, keepNewest: nil)
        XCTAssertEqual(deleted, 2)
        deleted = try await store.pruneOperatorAudit(before: nil, keepNewest: 2)
        XCTAssertEqual(deleted, 1)
        let left = try await store.operatorAudit(offset: 0, limit: 10)
        XCTAssertEqual(left.total, 2)
        XCTAssertEqual(left.entries.map(\.target), ["p5000", "p4000"])
        deleted = try await store.pruneOperatorAudit(before: nil, keepNewest: 5)
        XCTAssertEqual(deleted, 0, "fewer rows than the cap: nothing")
        try await store.close()
    }
}
