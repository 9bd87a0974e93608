import IoTHubDevice
import XCTest

final class ReconnectPolicyTests: XCTestCase {
    /// A generator that always returns the same value (so jitter is predictable).
    struct FixedGenerator: RandomNumberGenerator {
        var value: UInt64
        mutating func next() -> UInt64 { value }
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

    func testExtremesOfTheGeneratorGiveTheBandsEdges() {
        let policy = ReconnectPolicy(initialDelay: .seconds(2), maximumDelay: .seconds(60), multiplier: 2, jitter: 0.5)
        var low = FixedGenerator(value: 0)
        XCTAssertEqual(policy.delay(attempt: 1, using: &low), .seconds(1))
        var high = FixedGenerator(value: .max)
        let top = policy.delay(attempt: 1, using: &high)
        XCTAssertGreaterThan(top, .milliseconds(2_900))
        XCTAssertLessThanOrEqual(top, .seconds(3))
    }

    func testDisabledPolicy() {
        XCTAssertFalse(ReconnectPolicy.disabled.isEnabled)
        XCTAssertTrue(ReconnectPolicy().isEnabled)
    }
}
