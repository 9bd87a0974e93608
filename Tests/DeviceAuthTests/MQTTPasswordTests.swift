import DeviceAuth
import XCTest

final class MQTTPasswordTests: XCTestCase {
    private let psk = "c2VjcmV0LXBzay0xMjM0NQ=="
    private let username = "ABCDEFGHIJdev001;21010406;abcde;1700003600"
    private let sha1Password = "7d2ac1da0a5192b00d1a365393c7217f9207ad51;hmacsha1"

    func testPasswordVectors() throws {
        let cases: [(String, MQTTPassword.Method)] = [
            ("mqtt.password.hmacsha1", .hmacSHA1),
            ("mqtt.password.hmacsha256", .hmacSHA256),
            ("mqtt.password.hmacsha256.java", .hmacSHA256),
        ]
        for (id, method) in cases {
            let vector = try TestVectors.vector(id)
            let inputs = try vector.section("inputs")
            let expected = try vector.section("expected")
            let productId = try inputs.string("productId")
            let deviceName = try inputs.string("deviceName")
            let psk = try inputs.string("deviceSecret")

            XCTAssertEqual(
                DeviceIdentifiers.clientId(productId: productId, deviceName: deviceName),
                try expected.string("clientId"),
                id
            )
            XCTAssertEqual(DeviceIdentifiers.pskKeyBytes(psk).map(hex), try inputs.string("deviceSecretDecodedHex"), id)

            let expiry = try XCTUnwrap(DeviceUsername.Expiry(parsing: try inputs.string("expiry")))
            let username = DeviceUsername.make(
                productId: productId,
                deviceName: deviceName,
                sdkAppId: try inputs.string("sdkappid"),
                connId: try inputs.string("connid"),
                expiry: expiry
            )
            XCTAssertEqual(username, try expected.string("username"), id)

            let password = try MQTTPassword.make(username: username, devicePSK: psk, method: method)
            XCTAssertEqual(password, try expected.string("password"), id)
            XCTAssertEqual(MQTTPassword.verify(password: password, username: username, devicePSK: psk), .ok, id)
        }
    }

    func testAnyMethodWithAnySDKAppId() throws {
        let java = "ABCDEFGHIJdev001;12010126;abcde;1700003600"
        for method in MQTTPassword.Method.allCases {
            for name in [username, java] {
                let password = try MQTTPassword.make(username: name, devicePSK: psk, method: method)
                XCTAssertEqual(MQTTPassword.verify(password: password, username: name, devicePSK: psk), .ok)
            }
        }
    }

    func testCaseInsensitiveHexAndMethod() {
        XCTAssertEqual(
            MQTTPassword.verify(password: sha1Password.uppercased(), username: username, devicePSK: psk),
            .ok
        )
        XCTAssertEqual(
            MQTTPassword.verify(
                password: "7d2ac1da0a5192b00d1a365393c7217f9207ad51;HmacSha1",
                username: username,
                devicePSK: psk
            ),
            .ok
        )
    }

    func testMismatches() {
        // One hex digit changed.
        XCTAssertEqual(
            MQTTPassword.verify(
                password: "7d2ac1da0a5192b00d1a365393c7217f9207ad50;hmacsha1",
                username: username,
                devicePSK: psk
            ),
            .mismatch
        )
        // Other username (different expiry), other secret.
        XCTAssertEqual(
            MQTTPassword.verify(
                password: sha1Password,
                username: "ABCDEFGHIJdev001;21010406;abcde;1700003601",
                devicePSK: psk
            ),
            .mismatch
        )
        XCTAssertEqual(
            MQTTPassword.verify(password: sha1Password, username: username, devicePSK: "c2VjcmV0LXBzay0xMjM0Ng=="),
            .mismatch
        )
        // SHA-1 MAC labelled hmacsha256.
        XCTAssertEqual(
            MQTTPassword.verify(
                password: "7d2ac1da0a5192b00d1a365393c7217f9207ad51;hmacsha256",
                username: username,
                devicePSK: psk
            ),
            .mismatch
        )
        // Truncated MAC.
        XCTAssertEqual(
            MQTTPassword.verify(password: "7d2ac1da;hmacsha1", username: username, devicePSK: psk),
            .mismatch
        )
    }

    func testMalformedAndUnknownMethods() {
        XCTAssertEqual(MQTTPassword.verify(password: "", username: username, devicePSK: psk), .malformed)
        XCTAssertEqual(
            MQTTPassword.verify(
                password: "7d2ac1da0a5192b00d1a365393c7217f9207ad51",
                username: username,
                devicePSK: psk
            ),
            .malformed
        )
        XCTAssertEqual(MQTTPassword.verify(password: ";hmacsha1", username: username, devicePSK: psk), .malformed)
        XCTAssertEqual(MQTTPassword.verify(password: "xyz;hmacsha1", username: username, devicePSK: psk), .malformed)
        // Odd number of hex digits.
        XCTAssertEqual(MQTTPassword.verify(password: "abc;hmacsha1", username: username, devicePSK: psk), .malformed)
        XCTAssertEqual(MQTTPassword.verify(password: "abcd;md5", username: username, devicePSK: psk), .unknownMethod)
        XCTAssertEqual(MQTTPassword.verify(password: "abcd;", username: username, devicePSK: psk), .unknownMethod)
        XCTAssertEqual(
            MQTTPassword.verify(password: "abcd;hmacsha1 ", username: username, devicePSK: psk),
            .unknownMethod
        )
    }

    func testSplitsAtLastSemicolon() {
        // Split at the first ';' the method would be "00;hmacsha1" (unknown); at the last it is
        // hmacsha1 with a signature that is not hex.
        XCTAssertEqual(MQTTPassword.verify(password: "ab;00;hmacsha1", username: username, devicePSK: psk), .malformed)
        XCTAssertEqual(
            MQTTPassword.verify(
                password: "7d2ac1da0a5192b00d1a365393c7217f9207ad51;hmacsha256;hmacsha1",
                username: username,
                devicePSK: psk
            ),
            .malformed
        )
    }

    func testRSARequiresCertificate() {
        XCTAssertEqual(
            MQTTPassword.verify(password: "00ABcd;rsa-sha256", username: username, devicePSK: psk),
            .requiresCertificate(signatureHex: "00ABcd")
        )
        XCTAssertEqual(
            MQTTPassword.verify(password: "00abcd;RSA-SHA256", username: username, devicePSK: "not base64"),
            .requiresCertificate(signatureHex: "00abcd")
        )
        XCTAssertEqual(MQTTPassword.verify(password: "zz;rsa-sha256", username: username, devicePSK: psk), .malformed)
    }

    func testInvalidDeviceSecret() {
        XCTAssertThrowsError(try MQTTPassword.make(username: username, devicePSK: "not base64", method: .hmacSHA1)) {
            error in
            XCTAssertEqual((error as? DeviceAuthError)?.code, .invalidDeviceSecret)
        }
        XCTAssertEqual(
            MQTTPassword.verify(password: sha1Password, username: username, devicePSK: "not base64"),
            .invalidDeviceSecret
        )
    }
}
