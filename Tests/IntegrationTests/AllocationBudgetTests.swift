import CloudAPI
import Foundation
import JSONCore
import XCTest

/// Heap allocations of the MQTT codec (encode and decode 1,000 PUBLISH) and of the subscription tree
/// (1,000 matches against 10,000 filters), counted by `iothub-alloc-bench` and compared with the limits in
/// `Benchmarks/allocation-limits.json`. Allocation counts do not depend on the machine's speed or load, so
/// regressions are caught without wall-clock timing.
final class AllocationBudgetTests: XCTestCase {
    func testCodecAndSubscriptionTreeStayWithinTheirAllocationBudgets() async throws {
        // scripts/test runs this test a second time with IOTHUB_ALLOC_BENCH naming a release build, whose limits
        // are the ones that matter for the hub as shipped.
        let executable = try ProcessInfo.processInfo.environment["IOTHUB_ALLOC_BENCH"].map { URL(fileURLWithPath: $0) }
            ?? HubProcess.executable().deletingLastPathComponent().appendingPathComponent("iothub-alloc-bench")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            try ExternalTools.missing("iothub-alloc-bench is not built next to the tests (swift build builds it)")
        }
        let configuration = executable.path.contains("/release/") ? "release" : "debug"
        let limitsFile = ExternalTools.packageRoot.appendingPathComponent("Benchmarks/allocation-limits.json")
        let limits = try JSONValue(parsing: Array(try Data(contentsOf: limitsFile)))
        let budget = try XCTUnwrap(limits[configuration]?.objectValue, "no \(configuration) limits in \(limitsFile.path)")

        let result = try await ExternalTools.run(executable.path, [], timeout: 300)
        XCTAssertEqual(result.status, 0, result.stderr)
        var measured: [String: Int64] = [:]
        for line in result.stdout.split(separator: "\n") {
            let entry = try JSONValue(parsing: String(line))
            let name = try XCTUnwrap(entry["scenario"]?.stringValue)
            measured[name] = try XCTUnwrap(entry["allocations"]?.int64Value)
        }
        XCTAssertEqual(Set(measured.keys), Set(budget.keys), "every scenario has a limit and every limit a scenario")
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 4, result.stdout)
        for (name, limit) in budget {
            let allowed = try XCTUnwrap(limit.int64Value)
            let count = try XCTUnwrap(measured[name], name)
            XCTAssertGreaterThanOrEqual(count, 0, "the allocation counter is not active (not glibc?)")
            XCTAssertLessThanOrEqual(
                count, allowed, "\(name): \(count) allocations, the budget is \(allowed) (Benchmarks/allocation-limits.json)"
            )
            if count < allowed {
                print("\(name): \(count) allocations, below its budget of \(allowed): lower the limit to keep the gain")
            }
        }
        // The counter counts: the control scenario allocates exactly 1,000 objects.
        XCTAssertEqual(measured["control.allocate-1000-objects"], 1_000)
    }
}
