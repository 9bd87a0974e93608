import DeviceAuth
import Foundation
import XCTest

final class LegacyRegistrationSignatureTests: XCTestCase {
    func testVectorSignature() throws {
        let vector = try TestVectors.vector("dynreg.legacy.signature")
        let inputs = try vector.section("inputs")
        let intermediate = try vector.section("intermediate")
        let expected = try vector.section("expected")
        let secret = try inputs.string("productSecret")

        let stringToSign = LegacyRegistrationSignature.stringToSign(
            deviceName: try inputs.string("deviceName"),
            nonce: try inputs.int("nonce"),
            productId: try inputs.string("productId"),
            timestamp: try inputs.int("timestamp")
        )
        XCTAssertEqual(stringToSign, try intermediate.string("stringToSign"))

        let signature = LegacyRegistrationSignature.sign(stringToSign: stringToSign, productSecret: secret)
        XCTAssertEqual(signature, try expected.string("signature"))
        XCTAssertEqual(signature.count, 56)
        // The Base64 wraps the hex text of the MAC.
        XCTAssertEqual(
            String(decoding: try base64Bytes(signature), as: UTF8.self),
            try intermediate.string("hmacSha1Hex")
        )

        XCTAssertTrue(
            LegacyRegistrationSignature.verify(signature: signature, stringToSign: stringToSign, productSecret: secret)
        )
        // The raw-MAC form is rejected.
        let negative = try vector.section("negative").string("signature")
        XCTAssertFalse(
            LegacyRegistrationSignature.verify(signature: negative, stringToSign: stringToSign, productSecret: secret)
        )

        let body = RegistrationWire.legacyRequestBody(
            productId: try inputs.string("productId"),
            deviceName: try inputs.string("deviceName"),
            nonce: try inputs.int("nonce"),
            timestamp: try inputs.int("timestamp"),
            productSecret: secret
        )
        XCTAssertEqual(body, try expected.string("requestBody"))
        XCTAssertEqual(body.utf8.count, try expected.int("requestBodyLength"))
    }

    func testCSDKRequestBody() throws {
        let vector = try TestVectors.vector("dynreg.legacy.request_c_sdk")
        let inputs = try vector.section("inputs")
        let expected = try vector.section("expected")
        let secret = try inputs.string("productSecret")

        let stringToSign = LegacyRegistrationSignature.stringToSign(
            deviceName: try inputs.string("deviceName"),
            nonce: try inputs.decimal("nonce"),
            productId: try inputs.string("productId"),
            timestamp: try inputs.decimal("timestamp")
        )
        XCTAssertEqual(stringToSign, try vector.section("intermediate").string("stringToSign"))
        XCTAssertEqual(
            LegacyRegistrationSignature.sign(stringToSign: stringToSign, productSecret: secret),
            try expected.string("signature")
        )

        let body = RegistrationWire.legacyRequestBody(
            productId: try inputs.string("productId"),
            deviceName: try inputs.string("deviceName"),
            nonce: try inputs.int("nonce"),
            timestamp: try inputs.int("timestamp"),
            productSecret: secret
        )
        let request = try expected.string("httpRequest")
        let parts = request.components(separatedBy: "\r\n\r\n")
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(body, parts.last)
        XCTAssertEqual(body.utf8.count, try expected.int("contentLength"))
        XCTAssertTrue(parts[0].contains("Content-Length: \(body.utf8.count)"))

        // The hub side parses that body and accepts its signature.
        let parsed = try LegacyRegistrationRequest(parsing: Array(body.utf8))
        XCTAssertEqual(parsed.productId, try inputs.string("productId"))
        XCTAssertEqual(parsed.deviceName, try inputs.string("deviceName"))
        XCTAssertEqual(parsed.nonce, "906582010")
        XCTAssertEqual(parsed.timestamp, "1795908504")
        XCTAssertEqual(parsed.stringToSign, stringToSign)
        XCTAssertTrue(parsed.verifySignature(productSecret: secret))
        XCTAssertFalse(parsed.verifySignature(productSecret: "a1b2c3d4e5f6g7h8i9j0k1l3"))
    }

    func testRealCloudSignature() throws {
        let vector = try TestVectors.vector("dynreg.golden.real_cloud")
        let inputs = try vector.section("inputs")
        let intermediate = try vector.section("intermediate")
        let stringToSign = LegacyRegistrationSignature.stringToSign(
            deviceName: try inputs.string("deviceName"),
            nonce: try inputs.int("nonce"),
            productId: try inputs.string("productId"),
            timestamp: try inputs.int("timestamp")
        )
        XCTAssertEqual(stringToSign, try intermediate.string("stringToSign"))
        let signature = LegacyRegistrationSignature.sign(
            stringToSign: stringToSign,
            productSecret: try inputs.string("productSecret")
        )
        XCTAssertEqual(signature, try vector.section("expected").string("signature"))
        XCTAssertEqual(
            String(decoding: try base64Bytes(signature), as: UTF8.self),
            try intermediate.string("hmacSha1Hex")
        )
    }

    func testWrongSecretOrTamperedFieldsFail() {
        let secret = "a1b2c3d4e5f6g7h8i9j0k1l2"
        let text = LegacyRegistrationSignature.stringToSign(
            deviceName: "dev001",
            nonce: 123456,
            productId: "ABCDEFGHIJ",
            timestamp: 1700000000
        )
        let signature = "ZDRhZjc2ZWQ4ZTc2ZDJjNDU2YjFjODdmOWQzODAyZTdjZjVjOWM1MQ=="
        XCTAssertTrue(
            LegacyRegistrationSignature.verify(signature: signature, stringToSign: text, productSecret: secret)
        )
        XCTAssertFalse(
            LegacyRegistrationSignature.verify(
                signature: signature,
                stringToSign: text,
                productSecret: "a1b2c3d4e5f6g7h8i9j0k1l"
            )
        )
        let otherDevice = LegacyRegistrationSignature.stringToSign(
            deviceName: "dev002",
            nonce: 123456,
            productId: "ABCDEFGHIJ",
            timestamp: 1700000000
        )
        XCTAssertFalse(
            LegacyRegistrationSignature.verify(signature: signature, stringToSign: otherDevice, productSecret: secret)
        )
        XCTAssertFalse(LegacyRegistrationSignature.verify(signature: "", stringToSign: text, productSecret: secret))
        // Hex text must be lowercase, as the SDKs produce it.
        let upper = Data(Array("D4AF76ED8E76D2C456B1C87F9D3802E7CF5C9C51".utf8)).base64EncodedString()
        XCTAssertFalse(LegacyRegistrationSignature.verify(signature: upper, stringToSign: text, productSecret: secret))
    }

    func testStringAndIntegerFormsAgree() {
        XCTAssertEqual(
            LegacyRegistrationSignature.stringToSign(deviceName: "d", nonce: "42", productId: "P", timestamp: "7"),
            LegacyRegistrationSignature.stringToSign(deviceName: "d", nonce: 42, productId: "P", timestamp: 7)
        )
        // Decimal text is used verbatim (no URL-encoding).
        XCTAssertEqual(
            LegacyRegistrationSignature.stringToSign(deviceName: "a:b", nonce: "1", productId: "P", timestamp: "2"),
            "deviceName=a:b&nonce=1&productId=P&timestamp=2"
        )
    }
}
