import DeviceAuth
import XCTest

final class DeviceUsernameTests: XCTestCase {
    func testExpiryVector() throws {
        let vector = try TestVectors.vector("mqtt.username.expiry")
        let now = UInt64(try vector.section("inputs").int("nowUnixSeconds"))
        let cases = try vector.array("expected")
        XCTAssertEqual(cases.count, 8)
        for item in cases {
            let text = try item.string("username")
            let accept = try XCTUnwrap(item.object["accept"] as? Bool)
            let username = try XCTUnwrap(DeviceUsername(parsing: text), text)
            XCTAssertEqual(username.clientId, "ABCDEFGHIJdev001")
            XCTAssertEqual(username.sdkAppId, "21010406")
            XCTAssertEqual(username.connId, "abcde")
            let note = try item.string("note")
            XCTAssertEqual(username.expiry.isExpired(nowSeconds: now), !accept, "\(text): \(note)")
        }
    }

    func testExpiryForms() {
        XCTAssertEqual(DeviceUsername.Expiry(parsing: "9223372036854775807"), .at(9_223_372_036_854_775_807))
        XCTAssertEqual(DeviceUsername.Expiry(parsing: "92233720368547758"), .at(92_233_720_368_547_758))
        XCTAssertEqual(DeviceUsername.Expiry(parsing: "18446744073709551615"), .at(UInt64.max))
        XCTAssertEqual(DeviceUsername.Expiry(parsing: "18446744073709551616"), .never)
        XCTAssertEqual(DeviceUsername.Expiry(parsing: "99999999999999999999"), .never)
        XCTAssertEqual(DeviceUsername.Expiry(parsing: "0"), .at(0))
        XCTAssertEqual(DeviceUsername.Expiry(parsing: "00000000000000000042"), .at(42))
        for bad in ["", "123456789012345678901", "-1", "+1", "1.5", " 1", "1 ", "0x10", "１"] {
            XCTAssertNil(DeviceUsername.Expiry(parsing: bad), bad)
        }
    }

    func testIsExpired() {
        XCTAssertFalse(DeviceUsername.Expiry.never.isExpired(nowSeconds: .max))
        XCTAssertFalse(DeviceUsername.Expiry.at(100).isExpired(nowSeconds: 100))
        XCTAssertTrue(DeviceUsername.Expiry.at(99).isExpired(nowSeconds: 100))
        XCTAssertFalse(DeviceUsername.Expiry.at(101).isExpired(nowSeconds: 100))
        XCTAssertTrue(DeviceUsername.Expiry.at(0).isExpired(nowSeconds: 1))
    }

    func testMalformedUsernames() {
        let bad = [
            "",
            "ABCDEFGHIJdev001",
            "ABCDEFGHIJdev001;21010406;abcde",
            "ABCDEFGHIJdev001;21010406;abcde;1700003600;extra",
            "ABCDEFGHIJdev001;21010406;abcde;",
            "ABCDEFGHIJdev001;21010406;;1700003600",
            ";21010406;abcde;1700003600",
            "ABCDEFGHIJdev001;21010406;abcde;17000036OO",
            "ABCDEFGHIJdev001;21010406;abcde;123456789012345678901",
        ]
        for text in bad {
            XCTAssertNil(DeviceUsername(parsing: text), text)
        }
        // sdkappid is opaque.
        XCTAssertEqual(DeviceUsername(parsing: "ABCDEFGHIJdev001;;abcde;1")?.sdkAppId, "")
        // Fields are cut at the bytes of `;`, multi-byte characters around them included; a Substring parses
        // as its String does.
        let accented = DeviceUsername(parsing: "Ä€😀;sdk;é;7")
        XCTAssertEqual(accented?.clientId, "Ä€😀")
        XCTAssertEqual(accented?.connId, "é")
        XCTAssertEqual(accented?.expiry, .at(7))
        let text = "xxABCDEFGHIJdev001;21010406;abcde;1700003600"
        XCTAssertEqual(DeviceUsername(parsing: text.dropFirst(2)), DeviceUsername(parsing: String(text.dropFirst(2))))
        XCTAssertEqual(DeviceUsername(parsing: text.dropFirst(2))?.clientId, "ABCDEFGHIJdev001")
    }

    func testMakeAndDescription() {
        let text = DeviceUsername.make(
            productId: "ABCDEFGHIJ",
            deviceName: "dev001",
            connId: "abcde",
            expiry: .at(1_700_003_600)
        )
        XCTAssertEqual(text, "ABCDEFGHIJdev001;21010406;abcde;1700003600")
        XCTAssertEqual(DeviceUsername(parsing: text)?.description, text)
        XCTAssertEqual(
            DeviceUsername.make(
                productId: "ABCDEFGHIJ",
                deviceName: "dev001",
                sdkAppId: "12010126",
                connId: "Q1w2E",
                expiry: .never
            ),
            "ABCDEFGHIJdev001;12010126;Q1w2E;9223372036854775807"
        )
        XCTAssertEqual(
            DeviceUsername(clientId: "ABCDEFGHIJdev001", connId: "xyz12", expiry: .at(5)).description,
            "ABCDEFGHIJdev001;21010406;xyz12;5"
        )
    }

    func testRandomConnId() throws {
        let username = try XCTUnwrap(
            DeviceUsername(parsing: DeviceUsername.make(productId: "ABCDEFGHIJ", deviceName: "d", expiry: .never))
        )
        XCTAssertEqual(username.connId.count, 5)
        XCTAssertTrue(username.connId.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        let many = Set((0..<20).map { _ in DeviceUsername.randomConnId() })
        XCTAssertGreaterThan(many.count, 15)
    }
}
