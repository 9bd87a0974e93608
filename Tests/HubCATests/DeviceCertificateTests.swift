import Crypto
import Foundation
import SwiftASN1
import X509
import XCTest

@testable import HubCA

final class DeviceCertificateTests: XCTestCase {
    func testDeviceCertificateProfile() throws {
        let ca = try HubCA.generate()
        let now = Date()
        let issued = try ca.issueDeviceCertificate(productId: "S3EUVBRJLB", deviceName: "dev_01:a-b", validityDays: 365, now: now)
        let cert = try Certificate(pemEncoded: issued.certificatePEM)
        XCTAssertEqual(cert, issued.certificate)

        // Subject
        func values(_ type: ASN1ObjectIdentifier) -> [String] {
            cert.subject.flatMap { $0 }.filter { $0.type == type }.compactMap { String($0.value) }
        }
        XCTAssertEqual(values(.RDNAttributeType.commonName), ["S3EUVBRJLBdev_01:a-b"])
        XCTAssertEqual(values(.RDNAttributeType.organizationName), ["S3EUVBRJLB"])
        XCTAssertEqual(values(.RDNAttributeType.organizationalUnitName), ["dev_01:a-b"])
        XCTAssertEqual(cert.issuer, ca.certificate.subject)

        // Signature and key
        XCTAssertEqual(cert.signatureAlgorithm, .ecdsaWithSHA256)
        XCTAssertTrue(ca.certificate.publicKey.isValidSignature(cert.signature, for: cert))
        XCTAssertTrue(issued.privateKeyPEM.hasPrefix("-----BEGIN EC PRIVATE KEY-----\n"))
        XCTAssertTrue(issued.privateKeyPEM.hasSuffix("-----END EC PRIVATE KEY-----\n"))
        let key = try P256.Signing.PrivateKey(pemRepresentation: issued.privateKeyPEM)
        XCTAssertEqual(cert.publicKey, Certificate.PublicKey(key.publicKey), "the key belongs to the certificate")

        // Extensions
        let eku = try XCTUnwrap(try cert.extensions.extendedKeyUsage)
        XCTAssertEqual(Array(eku), [.clientAuth])
        let keyUsageExt = try XCTUnwrap(cert.extensions[oid: .X509ExtensionID.keyUsage])
        XCTAssertTrue(keyUsageExt.critical)
        let keyUsage = try KeyUsage(keyUsageExt)
        XCTAssertTrue(keyUsage.digitalSignature)
        XCTAssertFalse(keyUsage.keyCertSign)
        XCTAssertEqual(try cert.extensions.basicConstraints, .notCertificateAuthority)
        let aki = try XCTUnwrap(try cert.extensions.authorityKeyIdentifier)
        XCTAssertEqual(aki.keyIdentifier, try ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
        XCTAssertNil(try cert.extensions.subjectAlternativeNames)

        // Serial number and validity
        XCTAssertEqual(issued.serialNumber.count, 32)
        XCTAssertTrue(issued.serialNumber.allSatisfy { "0123456789abcdef".contains($0) })
        XCTAssertEqual(issued.serialNumber, cert.serialNumber.bytes.map { String(format: "%02x", $0) }.joined())
        XCTAssertEqual(issued.notAfter, cert.notValidAfter)
        XCTAssertEqual(issued.notBefore, cert.notValidBefore)
        XCTAssertEqual(issued.notAfter.timeIntervalSince(now), 365 * 86_400, accuracy: 1)
        XCTAssertLessThan(issued.notBefore, now)

        // Small enough for the C SDK's registration buffer.
        XCTAssertLessThan(issued.certificatePEM.utf8.count + issued.privateKeyPEM.utf8.count, 1_500)
    }

    func testEveryIssueGetsANewKeyAndSerial() throws {
        let ca = try HubCA.generate()
        let a = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001")
        let b = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001")
        XCTAssertNotEqual(a.serialNumber, b.serialNumber)
        XCTAssertNotEqual(a.privateKeyPEM, b.privateKeyPEM)
    }

    func testValidityIsClampedToTheCA() throws {
        let now = Date()
        let ca = try HubCA.generate(now: now)
        let issued = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001", validityDays: 30_000, now: now)
        XCTAssertEqual(issued.notAfter, ca.certificate.notValidAfter)
    }

    func testInvalidArgumentsAreRejected() throws {
        let ca = try HubCA.generate()
        let cases: [(String, String, Int)] = [
            ("abcdefghij", "dev001", 10),  // lowercase ProductId
            ("ABCDEFGHI", "dev001", 10),  // 9 chars
            ("ABCDEFGHIJK", "dev001", 10),  // 11 chars
            ("ABCDEFGHIJ", "", 10),
            ("ABCDEFGHIJ", "dev/001", 10),
            ("ABCDEFGHIJ", "dev+001", 10),
            ("ABCDEFGHIJ", "dev 001", 10),
            ("ABCDEFGHIJ", String(repeating: "a", count: 49), 10),
            ("ABCDEFGHIJ", "dév", 10),
            ("ABCDEFGHIJ", "dev001", 0),
            ("ABCDEFGHIJ", "dev001", -5),
        ]
        for (productId, deviceName, days) in cases {
            XCTAssertThrowsError(
                try ca.issueDeviceCertificate(productId: productId, deviceName: deviceName, validityDays: days),
                "\(productId) \(deviceName) \(days)"
            ) { error in
                XCTAssertEqual((error as? HubCAError)?.code, .invalidArgument, "\(productId) \(deviceName) \(days)")
            }
        }
        XCTAssertNoThrow(try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: String(repeating: "a", count: 48), validityDays: 1))
    }

    func testPEMRoundTrip() throws {
        let ca = try HubCA.generate()
        let issued = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001")

        let cert = try Certificate(pemEncoded: issued.certificatePEM)
        XCTAssertEqual(try KeyEncoding.certificatePEM(cert), issued.certificatePEM)
        XCTAssertTrue(issued.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        XCTAssertTrue(issued.certificatePEM.hasSuffix("-----END CERTIFICATE-----\n"))
        for line in issued.certificatePEM.split(separator: "\n") {
            XCTAssertLessThanOrEqual(line.count, 64)
        }

        let key = try P256.Signing.PrivateKey(pemRepresentation: issued.privateKeyPEM)
        XCTAssertEqual(try KeyEncoding.sec1PEM(key), issued.privateKeyPEM)
        // swift-certificates' own SEC1 parser agrees.
        XCTAssertEqual(try Certificate.PrivateKey(pemEncoded: issued.privateKeyPEM).publicKey, cert.publicKey)

        // SEC1 structure: version 1, 32-byte key, named curve prime256v1, uncompressed public key.
        let der = try PEMDocument(pemString: issued.privateKeyPEM).derBytes
        guard case .constructed(let nodes) = try DER.parse(der).content else { return XCTFail("not a SEQUENCE") }
        var iterator = nodes.makeIterator()
        XCTAssertEqual(try Int(derEncoded: &iterator), 1)
        XCTAssertEqual(try ASN1OctetString(derEncoded: &iterator).bytes.count, 32)
        let params = try XCTUnwrap(iterator.next())
        XCTAssertEqual(params.identifier, ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
        guard case .constructed(let inner) = params.content, let oidNode = inner.first(where: { _ in true }) else {
            return XCTFail("parameters")
        }
        XCTAssertEqual(try ASN1ObjectIdentifier(derEncoded: oidNode), .NamedCurves.secp256r1)
        let publicKeyNode = try XCTUnwrap(iterator.next())
        XCTAssertEqual(publicKeyNode.identifier, ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific))
        XCTAssertNil(iterator.next())

        // The sign/verify pair works end to end.
        let message = Array("hello".utf8)
        let signature = try key.signature(for: message)
        let publicKey = try XCTUnwrap(P256.Signing.PublicKey(cert.publicKey))
        XCTAssertTrue(publicKey.isValidSignature(signature, for: message))
    }

    func testFingerprint() throws {
        let ca = try HubCA.generate()
        let issued = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001")
        let fingerprint = try HubCA.fingerprintSHA256(certificatePEM: issued.certificatePEM)
        let der = try PEMDocument(pemString: issued.certificatePEM).derBytes
        let expected = SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(fingerprint, expected)
        XCTAssertEqual(fingerprint.count, 64)
        XCTAssertEqual(HubCA.fingerprintSHA256(derBytes: der), expected)
        XCTAssertEqual(try ca.verifyDeviceCertificate(issued.certificate).fingerprintSHA256, expected)

        XCTAssertThrowsError(try HubCA.fingerprintSHA256(certificatePEM: "garbage")) {
            XCTAssertEqual(($0 as? HubCAError)?.code, .malformedCertificate)
        }
        XCTAssertThrowsError(try HubCA.fingerprintSHA256(certificatePEM: issued.privateKeyPEM)) {
            XCTAssertEqual(($0 as? HubCAError)?.code, .malformedCertificate)
        }
    }
}
