import DeviceAuth
import XCTest

final class ConstantTimeTests: XCTestCase {
    func testEqualBytes() {
        XCTAssertTrue(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        XCTAssertTrue(ConstantTime.equals([] as [UInt8], [] as [UInt8]))
    }

    func testDifferenceAnywhereIsDetected() {
        let base: [UInt8] = Array(0..<32)
        for index in base.indices {
            var other = base
            other[index] ^= 0x01
            XCTAssertFalse(ConstantTime.equals(base, other), "difference at \(index)")
        }
        var high = base
        high[31] ^= 0x80
        XCTAssertFalse(ConstantTime.equals(base, high))
    }

    func testLengthMismatch() {
        XCTAssertFalse(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
        XCTAssertFalse(ConstantTime.equals([] as [UInt8], [0] as [UInt8]))
        // A prefix is not equal.
        XCTAssertFalse(ConstantTime.equals("abc", "abcd"))
    }

    func testMixedCollectionTypes() {
        let array: [UInt8] = [9, 8, 7, 6]
        XCTAssertTrue(ConstantTime.equals(array[1...], [8, 7, 6] as [UInt8]))
        XCTAssertTrue(ConstantTime.equals("xyz".utf8, Array("xyz".utf8)))
    }

    func testStrings() {
        XCTAssertTrue(ConstantTime.equals("ZDRhZjc2", "ZDRhZjc2"))
        XCTAssertFalse(ConstantTime.equals("ZDRhZjc2", "ZDRhZjc3"))
        XCTAssertFalse(ConstantTime.equals("abc", "ABC"))
        XCTAssertTrue(ConstantTime.equals("", ""))
        XCTAssertTrue(ConstantTime.equals("é", "\u{E9}"))
        // Same Character, different bytes (composed vs decomposed): bytes decide.
        XCTAssertFalse(ConstantTime.equals("\u{E9}", "e\u{301}"))
    }
}
