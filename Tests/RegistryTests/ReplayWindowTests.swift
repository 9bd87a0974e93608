import XCTest

@testable import Registry

final class ReplayWindowTests: XCTestCase {
    private let window = ReplayWindow.windowMillis

    func testRemembersForTheWindow() {
        var replay = ReplayWindow()
        replay.record("a", at: 1_000)
        XCTAssertTrue(replay.contains("a", now: 1_000))
        XCTAssertTrue(replay.contains("a", now: 1_000 + window - 1))
        XCTAssertFalse(replay.contains("a", now: 1_000 + window))
        XCTAssertFalse(replay.contains("b", now: 1_000))
    }

    func testExpiredEntriesAreDroppedAndRecordedAgainKept() {
        var replay = ReplayWindow()
        replay.record("a", at: 0)
        replay.record("b", at: 10)
        replay.record("a", at: window - 5)  // recorded again: the first entry's expiry must not drop it
        // Many records later, past the first two entries' window: pruning runs and compacts.
        for index in 0..<5_000 {
            replay.record("k\(index)", at: window + 20 + Int64(index))
        }
        let now = window + 20 + 5_000
        XCTAssertFalse(replay.contains("b", now: now))
        XCTAssertTrue(replay.contains("a", now: now))
        XCTAssertTrue(replay.contains("k0", now: now))
        XCTAssertTrue(replay.contains("k4999", now: now))
        // Far later, everything earlier has expired, and the keys are still refused only inside the window.
        replay.record("late", at: 3 * window)
        for key in ["a", "k0", "k4999"] { XCTAssertFalse(replay.contains(key, now: 3 * window)) }
        XCTAssertTrue(replay.contains("late", now: 3 * window))
    }

    func testTimesOutOfOrder() {
        var replay = ReplayWindow()
        replay.record("new", at: 2 * window)
        replay.record("old", at: window)  // older than the front: kept until the front leaves, still judged by its own time
        XCTAssertFalse(replay.contains("old", now: 2 * window + 1))
        XCTAssertTrue(replay.contains("new", now: 2 * window + 1))
    }
}
