import DeviceAuth
import Foundation
import XCTest

final class DeviceIdentifiersTests: XCTestCase {
    func testProductId() {
        XCTAssertTrue(DeviceIdentifiers.isValidProductId("ABCDEFGHIJ"))
        XCTAssertTrue(DeviceIdentifiers.isValidProductId("S3EUVBRJLB"))
        XCTAssertTrue(DeviceIdentifiers.isValidProductId("0123456789"))
        XCTAssertFalse(DeviceIdentifiers.isValidProductId("ABCDEFGHI"))
        XCTAssertFalse(DeviceIdentifiers.isValidProductId("ABCDEFGHIJK"))
        XCTAssertFalse(DeviceIdentifiers.isValidProductId("abcdefghij"))
        XCTAssertFalse(DeviceIdentifiers.isValidProductId("ABCDEFGHI/"))
        XCTAssertFalse(DeviceIdentifiers.isValidProductId("ABCDEFGHI+"))
        XCTAssertFalse(DeviceIdentifiers.isValidProductId("ABCDEFGHI#"))
        XCTAssertFalse(DeviceIdentifiers.isValidProductId("ABCDEFGHI_"))
        XCTAssertFalse(DeviceIdentifiers.isValidProductId("ABCDEFGHIÉ"))
        XCTAssertFalse(DeviceIdentifiers.isValidProductId(""))
    }

    func testDeviceName() {
        XCTAssertTrue(DeviceIdentifiers.isValidDeviceName("dev001"))
        XCTAssertTrue(DeviceIdentifiers.isValidDeviceName("d"))
        XCTAssertTrue(DeviceIdentifiers.isValidDeviceName("a:b_c-D9"))
        XCTAssertTrue(DeviceIdentifiers.isValidDeviceName(String(repeating: "x", count: 48)))
        XCTAssertFalse(DeviceIdentifiers.isValidDeviceName(String(repeating: "x", count: 49)))
        XCTAssertFalse(DeviceIdentifiers.isValidDeviceName(""))
        for bad in ["a/b", "a+b", "a#b", "a b", "a.b", "a$b", "dév", "a\u{0}"] {
            XCTAssertFalse(DeviceIdentifiers.isValidDeviceName(bad), bad)
        }
    }

    func testProductName() {
        XCTAssertTrue(DeviceIdentifiers.isValidProductName("smart_lamp-v2:eu"))
        XCTAssertTrue(DeviceIdentifiers.isValidProductName(String(repeating: "p", count: 32)))
        XCTAssertFalse(DeviceIdentifiers.isValidProductName(String(repeating: "p", count: 33)))
        XCTAssertFalse(DeviceIdentifiers.isValidProductName(""))
        XCTAssertFalse(DeviceIdentifiers.isValidProductName("lamp/1"))
        XCTAssertFalse(DeviceIdentifiers.isValidProductName("lamp#"))
        XCTAssertFalse(DeviceIdentifiers.isValidProductName("lamp+"))
    }

    func testClientIdJoinAndSplit() throws {
        XCTAssertEqual(DeviceIdentifiers.clientId(productId: "ABCDEFGHIJ", deviceName: "dev001"), "ABCDEFGHIJdev001")
        let split = try XCTUnwrap(DeviceIdentifiers.splitClientId("ABCDEFGHIJdev001"))
        XCTAssertEqual(split.productId, "ABCDEFGHIJ")
        XCTAssertEqual(split.deviceName, "dev001")

        let longest = "ABCDEFGHIJ" + String(repeating: "n", count: 48)
        XCTAssertEqual(DeviceIdentifiers.splitClientId(longest)?.deviceName.count, 48)
        XCTAssertNil(DeviceIdentifiers.splitClientId(longest + "n"))
        XCTAssertNil(DeviceIdentifiers.splitClientId("ABCDEFGHIJ"))
        XCTAssertNil(DeviceIdentifiers.splitClientId("abcdefghijdev001"))
        XCTAssertNil(DeviceIdentifiers.splitClientId("ABCDEFGHIJdev/1"))
        XCTAssertNil(DeviceIdentifiers.splitClientId("ABCDEFGHIÉdev1"))
        XCTAssertNil(DeviceIdentifiers.splitClientId(""))
    }

    func testGeneratedProductIdsAndSecrets() {
        var productIds = Set<String>()
        for _ in 0..<50 {
            let productId = DeviceIdentifiers.generateProductId()
            XCTAssertTrue(DeviceIdentifiers.isValidProductId(productId), productId)
            productIds.insert(productId)

            let secret = DeviceIdentifiers.generateProductSecret()
            XCTAssertEqual(secret.count, 24)
            XCTAssertTrue(
                secret.unicodeScalars.allSatisfy { $0.isASCII && CharacterSet.alphanumerics.contains($0) },
                secret
            )
        }
        XCTAssertEqual(productIds.count, 50, "50 random 10-character ids should not collide")
    }

    func testGeneratedPSK() throws {
        var seen = Set<String>()
        for _ in 0..<50 {
            let psk = DeviceIdentifiers.generatePSK()
            XCTAssertEqual(psk.count, 24)
            XCTAssertTrue(psk.hasSuffix("=="))
            XCTAssertEqual(try base64Bytes(psk).count, 16)
            XCTAssertTrue(DeviceIdentifiers.isValidPSK(psk))
            seen.insert(psk)
        }
        XCTAssertEqual(seen.count, 50)
    }

    func testIsValidPSK() {
        XCTAssertTrue(DeviceIdentifiers.isValidPSK("c2VjcmV0LXBzay0xMjM0NQ=="))
        XCTAssertTrue(DeviceIdentifiers.isValidPSK("7WmFA/MEs+Fy+32QwJWtYw=="))
        XCTAssertTrue(DeviceIdentifiers.isValidPSK("AA=="))  // 1 byte
        XCTAssertTrue(DeviceIdentifiers.isValidPSK(Data(count: 48).base64EncodedString()))
        XCTAssertFalse(DeviceIdentifiers.isValidPSK(Data(count: 49).base64EncodedString()))
        XCTAssertFalse(DeviceIdentifiers.isValidPSK(""))
        XCTAssertFalse(DeviceIdentifiers.isValidPSK("c2VjcmV0LXBzay0xMjM0NQ"))  // no padding
        XCTAssertFalse(DeviceIdentifiers.isValidPSK("c2VjcmV0LXBzay0x MjM0NQ=="))
        XCTAssertFalse(DeviceIdentifiers.isValidPSK("c2VjcmV0LXBzay0xMjM0NQ==\n"))
        XCTAssertFalse(DeviceIdentifiers.isValidPSK("c2VjcmV0_XBzay0xMjM0NQ=="))  // URL alphabet
        XCTAssertFalse(DeviceIdentifiers.isValidPSK("===="))
        XCTAssertFalse(DeviceIdentifiers.isValidPSK("A=AA"))
    }

    func testPSKKeyBytes() {
        XCTAssertEqual(
            DeviceIdentifiers.pskKeyBytes("c2VjcmV0LXBzay0xMjM0NQ==").map(hex),
            "7365637265742d70736b2d3132333435"
        )
        XCTAssertNil(DeviceIdentifiers.pskKeyBytes("not base64!"))
    }
}
