import DeviceAuth
import XCTest

final class SecureRandomTests: XCTestCase {
    func testFillsEveryRequestedByte() {
        // Sizes around the pool size and odd ones, so that requests straddle refills.
        for count in [1, 7, 16, 33, 255, 256, 257, SecureRandom.poolSize - 1, SecureRandom.poolSize, SecureRandom.poolSize + 1, 3 * SecureRandom.poolSize] {
            let bytes = SecureRandom.bytes(count)
            XCTAssertEqual(bytes.count, count)
            if count >= 64 {
                // 64 random bytes are all zero with probability 2^-512.
                XCTAssertTrue(bytes.contains { $0 != 0 }, "\(count) bytes all zero")
            }
        }
    }

    func testNoTwoDrawsAreEqual() {
        // 16-byte draws across several refills of the pool: a repeat means bytes were handed out twice.
        var seen = Set<[UInt8]>()
        for _ in 0..<(4 * SecureRandom.poolSize / 16) {
            XCTAssertTrue(seen.insert(SecureRandom.bytes(16)).inserted)
        }
    }

    func testByteValuesAreSpread() {
        // Every byte value appears in 64 KiB of output (missing one has probability about 256 * e^-256).
        var counts = [Int](repeating: 0, count: 256)
        for byte in SecureRandom.bytes(65_536) { counts[Int(byte)] += 1 }
        XCTAssertFalse(counts.contains(0))
    }

    func testConcurrentDrawsAreDistinct() async {
        let draws = await withTaskGroup(of: [[UInt8]].self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<500).map { _ in SecureRandom.bytes(16) } }
            }
            var all: [[UInt8]] = []
            for await part in group { all += part }
            return all
        }
        XCTAssertEqual(draws.count, 4_000)
        XCTAssertEqual(Set(draws).count, draws.count)
    }

    func testGenerator() {
        var generator = SecureRandom.Generator()
        let words = (0..<64).map { _ in generator.next() }
        XCTAssertEqual(Set(words).count, words.count)
        XCTAssertTrue((0..<1000).contains(Int.random(in: 0..<1000, using: &generator)))
    }

    func testGeneratedPSKs() {
        var seen = Set<String>()
        for _ in 0..<1_000 {
            let psk = DeviceIdentifiers.generatePSK()
            XCTAssertEqual(psk.count, 24)
            XCTAssertEqual(DeviceIdentifiers.pskKeyBytes(psk)?.count, DeviceIdentifiers.pskByteCount)
            XCTAssertTrue(seen.insert(psk).inserted)
        }
    }
}
