import Foundation
import DeviceAuth
import XCTest

/// device-protocol.md §6.10.5: the bind signature's vectors (sub-device psk text `Zm9vYmFyYmF6cXV4MTIzNA==`).
final class GatewayBindSignatureTests: XCTestCase {
    let psk = "Zm9vYmFyYmF6cXV4MTIzNA=="

    func testVectorsFromTheSpec() {
        XCTAssertEqual(
            GatewayBindSignature.stringToSign(productId: "SUBPRODUCT", deviceName: "sub001", random: 485_275_368, timestamp: 1_796_607_217),
            "SUBPRODUCTsub001;485275368;1796607217"
        )
        XCTAssertEqual(
            GatewayBindSignature.sign(productId: "SUBPRODUCT", deviceName: "sub001", random: 485_275_368, timestamp: 1_796_607_217, key: psk, method: .hmacSHA1),
            "xrMRqOyG8Lz6ER0T0bxqjbX7pKI=", "captured from the C SDK"
        )
        XCTAssertEqual(
            GatewayBindSignature.sign(productId: "SUBPRODUCT", deviceName: "sub001", random: 485_275_368, timestamp: 1_796_607_217, key: psk, method: .hmacSHA256),
            "9c1prGZgiLTyB987ssugBoCrJJzavEeP4ZmUywpZopk="
        )
        // The key is the secret's text, not its Base64-decoded bytes.
        let decoded = String(decoding: Data(base64Encoded: psk)!, as: UTF8.self)
        XCTAssertEqual(
            GatewayBindSignature.sign(productId: "SUBPRODUCT", deviceName: "sub001", random: 485_275_368, timestamp: 1_796_607_217, key: decoded, method: .hmacSHA1),
            "tUitJwcCutFIvZPosrcwk4HrqSQ=", "the spec's negative vector"
        )
    }

    func testVerifyAcceptsOnlyTheRightSignature() {
        let good = "xrMRqOyG8Lz6ER0T0bxqjbX7pKI="
        func verify(_ signature: String, random: Int64 = 485_275_368, keys: [String]? = nil, method: GatewayBindSignature.Method = .hmacSHA1) -> Bool {
            GatewayBindSignature.verify(signature, productId: "SUBPRODUCT", deviceName: "sub001", random: random, timestamp: 1_796_607_217, keys: keys ?? [psk], method: method)
        }
        XCTAssertTrue(verify(good))
        XCTAssertTrue(verify(good, keys: ["other", psk]), "any of the keys")
        XCTAssertFalse(verify(good, random: 485_275_369))
        XCTAssertFalse(verify(good, method: .hmacSHA256))
        XCTAssertFalse(verify("tUitJwcCutFIvZPosrcwk4HrqSQ="))
        XCTAssertFalse(verify(good, keys: []))
        XCTAssertEqual(GatewayBindSignature.Method(wire: "HmacSha256"), .hmacSHA256)
        XCTAssertNil(GatewayBindSignature.Method(wire: "rsa-sha256"))
    }

    func testCertificateKeysAreHexDigestsOfThePEMWithAndWithoutTheFinalNewline() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        let keys = GatewayBindSignature.certificateKeys(certificatePEM: pem)
        XCTAssertEqual(keys.count, 4)
        XCTAssertEqual(keys[0], MD5Digest.hex(of: Array(pem.utf8)))
        XCTAssertEqual(keys[2], MD5Digest.hex(of: Array(pem.dropLast().utf8)))
        XCTAssertTrue(keys.allSatisfy { $0.count == 32 || $0.count == 40 })
    }
}
