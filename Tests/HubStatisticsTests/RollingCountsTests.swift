import HubStatistics
import XCTest

final class RollingCountsTests: XCTestCase {
    static let minute: Int64 = 60_000
    /// 2026-12-07 10:00:00 UTC, a whole minute.
    static let t0: Int64 = 1_796_637_600_000

    func testCountsLandInTheBucketTheirTimeFallsIn() {
        var counts = RollingCounts(bucketMillis: Self.minute, bucketCount: 60)
        counts.add(label: "a", at: Self.t0)
        counts.add(2, label: "a", at: Self.t0 + Self.minute - 1)
        counts.add(label: "b", at: Self.t0 + 30_000)
        counts.add(label: "a", at: Self.t0 + Self.minute)
        let buckets = counts.buckets(now: Self.t0 + Self.minute + 5_000)
        XCTAssertEqual(buckets.count, 60)
        XCTAssertEqual(buckets.last?.start, Self.t0 + Self.minute, "the newest bucket is the one now falls in")
        XCTAssertEqual(buckets.first?.start, Self.t0 - 58 * Self.minute)
        XCTAssertEqual(buckets[58], RollingCounts.Bucket(start: Self.t0, counts: ["a": 3, "b": 1]))
        XCTAssertEqual(buckets[58].total, 4)
        XCTAssertEqual(buckets[59].counts, ["a": 1])
        XCTAssertTrue(buckets.dropLast(2).allSatisfy { $0.counts.isEmpty })
        XCTAssertEqual(zip(buckets, buckets.dropFirst()).map { $1.start - $0.start }, Array(repeating: Self.minute, count: 59))
        XCTAssertEqual(counts.totals(now: Self.t0 + Self.minute), ["a": 4, "b": 1])
    }

    func testTheWindowRollsAndOldBucketsAreForgotten() {
        var counts = RollingCounts(bucketMillis: Self.minute, bucketCount: 60)
        counts.add(5, label: "a", at: Self.t0)
        // 59 minutes later the first minute is still the oldest bucket of the window…
        XCTAssertEqual(counts.buckets(now: Self.t0 + 59 * Self.minute).first, RollingCounts.Bucket(start: Self.t0, counts: ["a": 5]))
        // …one minute more and it is gone, although its slot was never reused.
        XCTAssertEqual(counts.totals(now: Self.t0 + 60 * Self.minute), [:])
        // Reusing the slot a lap later starts it from zero.
        counts.add(label: "b", at: Self.t0 + 60 * Self.minute + 1)
        XCTAssertEqual(counts.buckets(now: Self.t0 + 60 * Self.minute).last?.counts, ["b": 1])
        XCTAssertEqual(counts.totals(now: Self.t0 + 60 * Self.minute), ["b": 1])
        // A count a whole window behind what the slot holds is ignored instead of clearing the newer bucket.
        counts.add(7, label: "late", at: Self.t0 + 10)
        XCTAssertEqual(counts.totals(now: Self.t0 + 60 * Self.minute), ["b": 1])
        // Reading far in the future shows an empty window.
        XCTAssertEqual(counts.totals(now: Self.t0 + 500 * Self.minute), [:])
        XCTAssertEqual(counts.buckets(now: Self.t0 + 500 * Self.minute).count, 60)
    }

    func testLabelsPerBucketAreBounded() {
        var counts = RollingCounts(bucketMillis: 1_000, bucketCount: 3, maxLabels: 2, overflowLabel: "other")
        for label in ["a", "b", "c", "d", "a"] { counts.add(label: label, at: 10_000) }
        XCTAssertEqual(counts.buckets(now: 10_000).last?.counts, ["a": 2, "b": 1, "other": 2])
        // Each bucket has its own labels.
        counts.add(label: "c", at: 11_000)
        XCTAssertEqual(counts.buckets(now: 11_000).last?.counts, ["c": 1])
    }

    func testNothingButPositiveCountsAndTimesBefore1970RoundDown() {
        var counts = RollingCounts(bucketMillis: 1_000, bucketCount: 4)
        counts.add(0, label: "a", at: 0)
        counts.add(-3, label: "a", at: 0)
        XCTAssertEqual(counts.totals(now: 0), [:])
        counts.add(label: "a", at: -1)
        let buckets = counts.buckets(now: -1)
        XCTAssertEqual(buckets.last, RollingCounts.Bucket(start: -1_000, counts: ["a": 1]))
        XCTAssertEqual(counts.buckets(now: 0).last?.counts, [:])
    }

    func testManyEventsOverAnHourKeepEveryCountOfTheWindow() {
        var counts = RollingCounts(bucketMillis: Self.minute, bucketCount: 60)
        // One event every 7 seconds for two hours; the window holds the last hour's.
        var time = Self.t0
        var all: [Int64] = []
        while time < Self.t0 + 120 * Self.minute {
            counts.add(label: "e", at: time)
            all.append(time)
            time += 7_000
        }
        let now = time
        let windowStart = (now / Self.minute - 59) * Self.minute
        XCTAssertEqual(counts.totals(now: now)["e"], all.filter { $0 >= windowStart }.count)
        XCTAssertEqual(counts.buckets(now: now).map(\.total).reduce(0, +), all.filter { $0 >= windowStart }.count)
    }
}
