import DeviceAuth
import Foundation
import XCTest

final class RegistrationPayloadTests: XCTestCase {
    private let secret = "a1b2c3d4e5f6g7h8i9j0k1l2"

    func testPSKVector() throws {
        let vector = try TestVectors.vector("dynreg.payload.psk")
        let inputs = try vector.section("inputs")
        let intermediate = try vector.section("intermediate")
        let expected = try vector.section("expected")
        let secret = try inputs.string("productSecret")

        let plaintext = RegistrationPayload.pskPlaintext(psk: try inputs.string("deviceSecret"))
        XCTAssertEqual(plaintext, try inputs.bytes("plaintext"))
        XCTAssertEqual(plaintext.count, try intermediate.int("plaintextLength"))

        let (payload, length) = try RegistrationPayload.encrypt(plaintext: plaintext, productSecret: secret)
        XCTAssertEqual(payload, try expected.string("payload"))
        XCTAssertEqual(length, try expected.int("len"))
        XCTAssertEqual(hex(try base64Bytes(payload)), try expected.string("ciphertextHex"))

        // Decrypting the full padded length exposes exactly the NUL padding of the vector.
        let padded = try RegistrationPayload.decrypt(payload: payload, productSecret: secret, length: 64)
        XCTAssertEqual(hex(padded), try intermediate.string("paddedPlaintextHex"))
        XCTAssertEqual(padded.count - plaintext.count, try intermediate.int("paddingNulBytes"))

        XCTAssertEqual(
            try RegistrationPayload.decrypt(payload: payload, productSecret: secret, length: length),
            plaintext
        )
        XCTAssertEqual(try RegistrationPayload.decrypt(payload: payload, productSecret: secret, length: nil), plaintext)
        XCTAssertEqual(try RegistrationPayload.parsePlaintext(plaintext), .psk(try inputs.string("deviceSecret")))

        // Key = first 16 characters: anything after them does not matter …
        XCTAssertEqual(try intermediate.string("aesKeyAscii"), String(secret.prefix(16)))
        XCTAssertEqual(
            try RegistrationPayload.encrypt(plaintext: plaintext, productSecret: "a1b2c3d4e5f6g7h8").payload,
            payload
        )
        XCTAssertEqual(
            try RegistrationPayload.encrypt(plaintext: plaintext, productSecret: "a1b2c3d4e5f6g7h8ZZZZZZZZ").payload,
            payload
        )
        // … but the first 16 do.
        XCTAssertNotEqual(
            try RegistrationPayload.encrypt(plaintext: plaintext, productSecret: "b1b2c3d4e5f6g7h8i9j0k1l2").payload,
            payload
        )
    }

    func testRealCloudGoldenReply() throws {
        let vector = try TestVectors.vector("dynreg.golden.real_cloud")
        let inputs = try vector.section("inputs")
        let intermediate = try vector.section("intermediate")
        let expected = try vector.section("expected")
        let secret = try inputs.string("productSecret")

        let reply = try RegistrationWire.parseLegacyResponse(try inputs.bytes("responseBody")).get()
        XCTAssertEqual(reply.length, try expected.int("len"))
        XCTAssertEqual(hex(try base64Bytes(reply.payload)), try intermediate.string("ciphertextHex"))

        let padded = try RegistrationPayload.decrypt(payload: reply.payload, productSecret: secret, length: 64)
        XCTAssertEqual(hex(padded), try expected.string("decryptedHex"))

        let plaintext = try RegistrationPayload.decrypt(
            payload: reply.payload,
            productSecret: secret,
            length: reply.length
        )
        XCTAssertEqual(String(decoding: plaintext, as: UTF8.self), try expected.string("plaintext"))
        XCTAssertEqual(plaintext.count, try expected.int("plaintextLength"))
        XCTAssertEqual(
            try RegistrationPayload.decrypt(payload: reply.payload, productSecret: secret, length: nil),
            plaintext
        )

        let deviceSecret = try expected.string("deviceSecret")
        XCTAssertEqual(try RegistrationPayload.parsePlaintext(plaintext), .psk(deviceSecret))
        XCTAssertEqual(try reply.decrypt(productSecret: secret), .psk(deviceSecret))

        // Re-encrypting reproduces the production service's payload byte for byte.
        XCTAssertEqual(RegistrationPayload.pskPlaintext(psk: deviceSecret), plaintext)
        let again = try RegistrationPayload.encrypt(plaintext: plaintext, productSecret: secret)
        XCTAssertEqual(again.payload, reply.payload)
        XCTAssertEqual(again.length, 53)
    }

    func testFullBlockPaddingVector() throws {
        let vector = try TestVectors.vector("dynreg.payload.full_block_padding")
        let inputs = try vector.section("inputs")
        let intermediate = try vector.section("intermediate")
        let expected = try vector.section("expected")
        let secret = try inputs.string("productSecret")
        let vectorPlaintext = try inputs.bytes("plaintext")

        // Build the same plaintext from the PEM texts (with real line breaks).
        let fields = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(vectorPlaintext)) as? [String: Any])
        let certificate = try XCTUnwrap(fields["clientCert"] as? String)
        let key = try XCTUnwrap(fields["clientKey"] as? String)
        XCTAssertTrue(certificate.contains("\n"))
        let plaintext = RegistrationPayload.certificatePlaintext(certificatePEM: certificate, privateKeyPEM: key)
        XCTAssertEqual(plaintext, vectorPlaintext)
        XCTAssertEqual(plaintext.count, try intermediate.int("plaintextLength"))
        XCTAssertTrue(plaintext.count.isMultiple(of: 16))

        let (payload, length) = try RegistrationPayload.encrypt(plaintext: plaintext, productSecret: secret)
        XCTAssertEqual(payload, try expected.string("payload"))
        XCTAssertEqual(length, try expected.int("len"))
        let ciphertext = try base64Bytes(payload)
        XCTAssertEqual(hex(ciphertext), try expected.string("ciphertextHex"))
        XCTAssertEqual(ciphertext.count, plaintext.count + 16)

        let padded = try RegistrationPayload.decrypt(payload: payload, productSecret: secret, length: ciphertext.count)
        XCTAssertEqual(hex(padded), try intermediate.string("paddedPlaintextHex"))
        XCTAssertEqual(padded.count - plaintext.count, try intermediate.int("paddingNulBytes"))

        XCTAssertEqual(try RegistrationPayload.decrypt(payload: payload, productSecret: secret, length: nil), plaintext)
        XCTAssertEqual(
            try RegistrationPayload.parsePlaintext(plaintext),
            .certificate(certificatePEM: certificate, privateKeyPEM: key)
        )
    }

    func testPaddingIsAlwaysOneToSixteenNULs() throws {
        for count in 0...48 {
            let plaintext = [UInt8](repeating: UInt8(ascii: "x"), count: count)
            let (payload, length) = try RegistrationPayload.encrypt(plaintext: plaintext, productSecret: secret)
            XCTAssertEqual(length, count)
            let ciphertext = try base64Bytes(payload)
            XCTAssertEqual(ciphertext.count, (count / 16 + 1) * 16, "plaintext of \(count) bytes")
            let padded = try RegistrationPayload.decrypt(
                payload: payload,
                productSecret: secret,
                length: ciphertext.count
            )
            XCTAssertEqual(Array(padded[..<count]), plaintext)
            XCTAssertTrue(padded[count...].allSatisfy { $0 == 0 })
            XCTAssertTrue((1...16).contains(padded.count - count))
            XCTAssertEqual(
                try RegistrationPayload.decrypt(payload: payload, productSecret: secret, length: nil),
                plaintext
            )
        }
    }

    func testRoundTrips() throws {
        let psk = DeviceIdentifiers.generatePSK()
        let sealed = try RegistrationPayload.seal(.psk(psk), productSecret: secret)
        XCTAssertEqual(sealed.length, 53)
        XCTAssertEqual(try sealed.decrypt(productSecret: secret), .psk(psk))

        let tricky = RegistrationCredential.certificate(
            certificatePEM:
                "-----BEGIN CERTIFICATE-----\r\nMII\"quoted\"\\back/slash\t\u{1}é\n-----END CERTIFICATE-----\n",
            privateKeyPEM: "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n"
        )
        let sealedCert = try RegistrationPayload.seal(tricky, productSecret: secret)
        XCTAssertEqual(try sealedCert.decrypt(productSecret: secret), tricky)
        // Standard escaping: no raw line breaks in the JSON text, `/` left alone.
        let text = String(decoding: RegistrationPayload.plaintext(for: tricky), as: UTF8.self)
        XCTAssertFalse(text.contains("\n"))
        XCTAssertTrue(text.contains(#"\r\nMII\"quoted\"\\back/slash\t\u0001é\n"#))
    }

    func testWrongSecretDoesNotRecoverTheCredential() throws {
        let sealed = try RegistrationPayload.seal(.psk("c2VjcmV0LXBzay0xMjM0NQ=="), productSecret: secret)
        let garbage = try RegistrationPayload.decrypt(
            payload: sealed.payload,
            productSecret: "z1b2c3d4e5f6g7h8i9j0k1l2",
            length: sealed.length
        )
        XCTAssertNotEqual(garbage, RegistrationPayload.pskPlaintext(psk: "c2VjcmV0LXBzay0xMjM0NQ=="))
        XCTAssertThrowsError(try sealed.decrypt(productSecret: "z1b2c3d4e5f6g7h8i9j0k1l2")) { error in
            XCTAssertEqual((error as? DeviceAuthError)?.code, .malformedPlaintext)
        }
    }

    func testShortProductSecretIsRefused() {
        XCTAssertThrowsError(try RegistrationPayload.encrypt(plaintext: [1], productSecret: "a1b2c3d4e5f6g7h")) {
            error in
            XCTAssertEqual((error as? DeviceAuthError)?.code, .productSecretTooShort)
        }
        XCTAssertThrowsError(
            try RegistrationPayload.decrypt(payload: "FZGN/KRr97LbUziOqUR0ww==", productSecret: "short", length: nil)
        ) { error in
            XCTAssertEqual((error as? DeviceAuthError)?.code, .productSecretTooShort)
        }
    }

    func testBadPayloads() throws {
        func code(_ payload: String, length: Int? = nil) -> DeviceAuthError.Code? {
            do {
                _ = try RegistrationPayload.decrypt(payload: payload, productSecret: secret, length: length)
                return nil
            } catch {
                return (error as? DeviceAuthError)?.code
            }
        }
        XCTAssertEqual(code("not base64!"), .invalidBase64)
        XCTAssertEqual(
            code("FZGN/KRr97LbUziOqUR0w3RQWPaMjk1OHL7kPoKLfvaDJwImqxamDiXz4AwLraoXqvM/+U6zS78N6/j2zWbx2g"),
            .invalidBase64
        )
        XCTAssertEqual(code(""), .invalidCiphertext)
        XCTAssertEqual(code("AAAA"), .invalidCiphertext)
        let good = "FZGN/KRr97LbUziOqUR0w3RQWPaMjk1OHL7kPoKLfvaDJwImqxamDiXz4AwLraoXqvM/+U6zS78N6/j2zWbx2g=="
        XCTAssertNil(code(good, length: 53))
        XCTAssertEqual(code(good, length: 65), .lengthOutOfRange)
        XCTAssertEqual(code(good, length: -1), .lengthOutOfRange)
    }

    func testParsePlaintextForms() throws {
        XCTAssertEqual(
            try RegistrationPayload.parsePlaintext(Array(#"{"encryptionType":"2","psk":"AA=="}"#.utf8)),
            .psk("AA==")
        )
        XCTAssertEqual(
            try RegistrationPayload.parsePlaintext(Array(#"{"psk":"AA==","encryptionType":2}"#.utf8) + [0, 0, 0]),
            .psk("AA==")
        )
        for bad in [
            #"{"encryptionType":3,"psk":"AA=="}"#,
            #"{"encryptionType":2}"#,
            #"{"encryptionType":1,"clientCert":"c"}"#,
            #"{"psk":"AA=="}"#,
            "garbage",
        ] {
            XCTAssertThrowsError(try RegistrationPayload.parsePlaintext(Array(bad.utf8)), bad) { error in
                XCTAssertEqual((error as? DeviceAuthError)?.code, .malformedPlaintext)
            }
        }
    }
}
