import IoTHubDevice
import XCTest

final class ReconnectPolicyTests: XCTestCase {
    /// A small deterministic generator (SplitMix64).
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

    func testDelaysDoubleUpToTheCap() {
        let policy = ReconnectPolicy(initialDelay: .milliseconds(500), maximumDelay: .seconds(8), multiplier: 2, jitter: 0)
        let delays = (1...8).map { policy.baseDelay(attempt: $0) }
        XCTAssertEqual(delays, [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8), .seconds(8)])
    }

    func testJitterStaysWithinItsBand() {
        let policy = ReconnectPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(60), multiplier: 2, jitter: 0.25)
        var generator = SystemRandomNumberGenerator()
        var seen = Set<Int>()
        for _ in 0..<500 {
            let delay = policy.delay(attempt: 3, using: &generator)
            XCTAssertGreaterThanOrEqual(delay, .seconds(3))
            XCTAssertLessThanOrEqual(delay, .seconds(5))
            seen.insert(Int(delay.components.attoseconds / 100_000_000_000_000_000) + Int(delay.components.seconds) * 10)
        }
        // Jitter spreads the retries: many distinct tenths of a second in [3, 5].
        XCTAssertGreaterThan(seen.count, 10)
    }

    /// Same generator seed, same delays: the jitter comes only from the generator.
    func testJitterIsDrawnFromTheGenerator() {
        let policy = ReconnectPolicy(initialDelay: .seconds(2), maximumDelay: .seconds(60), multiplier: 2, jitter: 0.5)
        var first = SplitMix(state: 42)
        var second = SplitMix(state: 42)
        let a = (1...6).map { policy.delay(attempt: $0, using: &first) }
        let b = (1...6).map { policy.delay(attempt: $0, using: &second) }
        XCTAssertEqual(a, b)
        var other = SplitMix(state: 7)
        XCTAssertNotEqual(a, (1...6).map { policy.delay(attempt: $0, using: &other) })
        let none = ReconnectPolicy(initialDelay: .seconds(2), maximumDelay: .seconds(60), multiplier: 2, jitter: 0)
        XCTAssertEqual(none.delay(attempt: 2, using: &other), .seconds(4))
    }

    func testDisabledPolicy() {
        XCTAssertFalse(ReconnectPolicy.disabled.isEnabled)
        XCTAssertTrue(ReconnectPolicy().isEnabled)
    }
}
