import XCTest

@testable import Registry

final class ShardedDictionaryTests: XCTestCase {
    func testBehavesLikeADictionary() {
        var sharded: ShardedDictionary<String, Int> = ["a": 1]
        var plain: [String: Int] = ["a": 1]
        var generator = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            let key = "k\(Int.random(in: 0..<3_000, using: &generator))"
            switch Int.random(in: 0..<4, using: &generator) {
            case 0:
                XCTAssertEqual(sharded.removeValue(forKey: key), plain.removeValue(forKey: key))
            case 1:
                sharded[key] = nil
                plain[key] = nil
            default:
                sharded[key] = step
                plain[key] = step
            }
            XCTAssertEqual(sharded[key], plain[key])
        }
        XCTAssertEqual(sharded.count, plain.count)
        for (key, value) in plain { XCTAssertEqual(sharded[key], value) }
        XCTAssertFalse(sharded.isEmpty)
        sharded.removeAll()
        XCTAssertTrue(sharded.isEmpty)
        XCTAssertEqual(sharded.count, 0)
        XCTAssertNil(sharded["a"])
    }
}
