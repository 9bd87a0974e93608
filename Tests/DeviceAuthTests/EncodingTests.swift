import Foundation
import XCTest

@testable import DeviceAuth

final class EncodingTests: XCTestCase {
    func testBase64AgreesWithFoundation() throws {
        var generator = SystemRandomNumberGenerator()
        for count in 0..<70 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Base64.encode(bytes)
            XCTAssertEqual(text, Data(bytes).base64EncodedString(), "\(count) bytes")
            XCTAssertEqual(Base64.decode(text), bytes, "\(count) bytes")
        }
    }

    func testBase64RejectsNonStandardText() {
        for bad in ["A", "AA", "AAA", "AA=A", "A===", "====", "AA==AA==", "AA AA", "AA-_", "AAA\n"] {
            XCTAssertNil(Base64.decode(bad), bad)
        }
        XCTAssertEqual(Base64.decode(""), [])
        XCTAssertEqual(Base64.decode("AA=="), [0])
        XCTAssertEqual(Base64.decode("AAE="), [0, 1])
    }

    func testHex() {
        XCTAssertEqual(Hex.encode([0x00, 0x0F, 0xA0, 0xFF]), "000fa0ff")
        XCTAssertEqual(Hex.decode("000fa0ff"), [0x00, 0x0F, 0xA0, 0xFF])
        XCTAssertEqual(Hex.decode("000FA0FF"), [0x00, 0x0F, 0xA0, 0xFF])
        XCTAssertEqual(Hex.decode(""), [])
        XCTAssertNil(Hex.decode("0"))
        XCTAssertNil(Hex.decode("0g"))
        XCTAssertNil(Hex.decode("é1"))
    }

    func testJSONQuoting() {
        XCTAssertEqual(JSONText.quoted("a/b+c=="), #""a/b+c==""#)
        XCTAssertEqual(JSONText.quoted("\"\\\n\r\t\u{8}\u{C}\u{1F}"), #""\"\\\n\r\t\b\f\u001f""#)
        XCTAssertEqual(JSONText.quoted("é€"), "\"é€\"")
    }
}
