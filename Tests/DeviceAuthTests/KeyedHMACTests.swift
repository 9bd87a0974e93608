import XCTest

@testable import DeviceAuth

/// The HMAC under the v2 signature check must equal swift-crypto's for every key length (shorter than,
/// equal to and longer than the hash's block) and message split.
final class KeyedHMACTests: XCTestCase {
    func testMatchesSwiftCryptoHMAC() {
        var generator = SystemRandomNumberGenerator()
        for keyLength in Array(0...130) + [200, 1_000] {
            let key = (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let message = (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let cut = Int.random(in: 0...message.count, using: &generator)
            let parts = (Array(message[..<cut]), Array(message[cut...]))
            XCTAssertEqual(
                KeyedHMACSHA256(key: key).authenticationCode(parts.0, parts.1, []),
                MAC.hmacSHA256(key: key, message: message), "SHA-256, key \(keyLength)"
            )
            XCTAssertEqual(
                KeyedHMACSHA1(key: key).authenticationCode([], parts.0, parts.1),
                MAC.hmacSHA1(key: key, message: message), "SHA-1, key \(keyLength)"
            )
        }
    }

    func testRFC4231Case2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = KeyedHMACSHA256(key: Array("Jefe".utf8)).authenticationCode(Array("what do ya want for nothing?".utf8))
        XCTAssertEqual(Hex.encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
