import Crypto
import Foundation
import SwiftASN1
import X509
import XCTest

@testable import HubCA

final class VerificationTests: XCTestCase {
    func expectFailure(
        _ code: HubCAError.Code,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () throws -> DeviceCertificateIdentity
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual((error as? HubCAError)?.code, code, "\(error)", file: file, line: line)
        }
    }

    func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    func testDeviceCertificateVerifiesAndMapsToTheDevice() throws {
        let ca = try HubCA.generate()
        let issued = try ca.issueDeviceCertificate(productId: "S3EUVBRJLB", deviceName: "sensor-7")

        let identity = try ca.verifyDeviceCertificate(issued.certificate)
        XCTAssertEqual(identity.productId, "S3EUVBRJLB")
        XCTAssertEqual(identity.deviceName, "sensor-7")
        XCTAssertEqual(identity.clientId, "S3EUVBRJLBsensor-7")
        XCTAssertEqual(identity.serialNumber, issued.serialNumber)
        XCTAssertEqual(identity.notAfter, issued.notAfter)

        // The same through DER (as from a TLS handshake, with the CA appended) and PEM.
        XCTAssertEqual(try ca.verifyDeviceCertificate(derChain: [der(issued.certificate), ca.certificateDER]), identity)
        XCTAssertEqual(try ca.verifyDeviceCertificate(pem: issued.certificatePEM), identity)
        XCTAssertEqual(try ca.verifyDeviceCertificate(pem: issued.certificatePEM + ca.certificatePEM), identity)
    }

    func testCertificateFromAnotherCAIsRejected() throws {
        let ca = try HubCA.loadOrCreate(directory: try makeTemporaryDirectory(self))
        // Same common name, so the issuer names are equal: only keys tell them apart.
        let other = try HubCA.loadOrCreate(directory: try makeTemporaryDirectory(self))
        XCTAssertEqual(ca.certificate.subject, other.certificate.subject)
        let foreign = try other.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001")

        XCTAssertNoThrow(try other.verifyDeviceCertificate(foreign.certificate))
        expectFailure(.notIssuedByThisCA) { try ca.verifyDeviceCertificate(foreign.certificate) }
        expectFailure(.notIssuedByThisCA) { try ca.verifyDeviceCertificate(pem: foreign.certificatePEM) }

        // A CA with another name.
        let named = try HubCA.generate(commonName: "Somebody Else")
        let foreign2 = try named.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001")
        expectFailure(.notIssuedByThisCA) { try ca.verifyDeviceCertificate(foreign2.certificate) }
    }

    func testForgedCertificateWithOurNamesButAnotherKeyIsRejected() throws {
        let ca = try HubCA.generate()
        let attackerKey = P256.Signing.PrivateKey()
        let deviceKey = P256.Signing.PrivateKey()
        // Copies everything from a genuine certificate (issuer, AKI, subject, extensions) but is signed by the
        // attacker: only the signature check can catch it.
        let genuine = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001").certificate
        let forged = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(deviceKey.publicKey),
            notValidBefore: genuine.notValidBefore,
            notValidAfter: genuine.notValidAfter,
            issuer: genuine.issuer,
            subject: genuine.subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: genuine.extensions,
            issuerPrivateKey: Certificate.PrivateKey(attackerKey)
        )
        expectFailure(.notIssuedByThisCA) { try ca.verifyDeviceCertificate(forged) }
    }

    func testExpiredAndNotYetValidCertificatesAreRejected() throws {
        let now = Date()
        let ca = try HubCA.generate(now: now - 100 * 86_400)
        let issuedAt = now - 20 * 86_400
        let issued = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001", validityDays: 10, now: issuedAt)

        XCTAssertNoThrow(try ca.verifyDeviceCertificate(issued.certificate, now: issuedAt))
        XCTAssertNoThrow(try ca.verifyDeviceCertificate(issued.certificate, now: issuedAt + 10 * 86_400 - 1))
        expectFailure(.expired) { try ca.verifyDeviceCertificate(issued.certificate, now: now) }
        expectFailure(.expired) { try ca.verifyDeviceCertificate(issued.certificate) }
        expectFailure(.expired) { try ca.verifyDeviceCertificate(derChain: [self.der(issued.certificate)], now: now) }
        expectFailure(.notYetValid) { try ca.verifyDeviceCertificate(issued.certificate, now: issuedAt - 2 * 3600) }
    }

    func testCertificatesAreRejectedOnceTheCAHasExpired() throws {
        let created = Date(timeIntervalSince1970: 1_000_000_000)
        let ca = try HubCA.generate(now: created)
        let issued = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001", validityDays: 36_000, now: created)
        let afterCA = ca.certificate.notValidAfter + 86_400
        expectFailure(.caNotValid) { try ca.verifyDeviceCertificate(issued.certificate, now: afterCA) }
        // And the CA cannot issue any more.
        XCTAssertThrowsError(try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001", now: afterCA))
    }

    func testTamperedCertificateIsRejected() throws {
        let ca = try HubCA.generate()
        let issued = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001")
        let original = try der(issued.certificate)

        // Rename the device inside the signed part: OU "dev001" -> "dev002" (CN contains it too).
        var renamed = original
        let needle = Array("dev001".utf8)
        var replaced = 0
        var index = 0
        while index + needle.count <= renamed.count {
            if Array(renamed[index..<index + needle.count]) == needle {
                renamed[index + needle.count - 1] = UInt8(ascii: "2")
                replaced += 1
            }
            index += 1
        }
        XCTAssertEqual(replaced, 2, "OU and CN")
        let renamedCert = try Certificate(derEncoded: renamed)
        XCTAssertEqual(try HubCA.deviceIdentity(subject: renamedCert.subject).deviceName, "dev002")
        expectFailure(.notIssuedByThisCA) { try ca.verifyDeviceCertificate(derChain: [renamed]) }

        // Flip a bit in the signature value (last byte of the DER).
        var badSignature = original
        badSignature[badSignature.count - 1] ^= 0x01
        XCTAssertThrowsError(try ca.verifyDeviceCertificate(derChain: [badSignature])) { error in
            let code = (error as? HubCAError)?.code
            XCTAssertTrue(code == .notIssuedByThisCA || code == .malformedCertificate, "\(error)")
        }

        // Truncated and garbage input.
        expectFailure(.malformedCertificate) { try ca.verifyDeviceCertificate(derChain: [Array(original.prefix(100))]) }
        expectFailure(.malformedCertificate) { try ca.verifyDeviceCertificate(derChain: [[0x30, 0x00]]) }
        expectFailure(.emptyChain) { try ca.verifyDeviceCertificate(derChain: []) }
        expectFailure(.emptyChain) { try ca.verifyDeviceCertificate(pem: issued.privateKeyPEM) }
        expectFailure(.malformedCertificate) { try ca.verifyDeviceCertificate(pem: "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n") }
    }

    func testServerAndCACertificatesCannotAuthenticateDevices() throws {
        let ca = try HubCA.generate()
        let server = try ca.issueServerCertificate(hostnames: ["hub.example.com"], ipAddresses: [])
        expectFailure(.wrongKeyUsage) { try ca.verifyDeviceCertificate(server.certificate) }
        // The root is self-signed, so issuer and signature match: basicConstraints must stop it.
        expectFailure(.wrongKeyUsage) { try ca.verifyDeviceCertificate(ca.certificate) }
    }

    /// Certificates signed by the CA key but with a profile the hub did not issue.
    func testOddProfilesSignedByTheCAAreRejected() throws {
        let ca = try HubCA.generate()
        let deviceKey = P256.Signing.PrivateKey()
        let now = Date()

        func make(subject: DistinguishedName, extensions: Certificate.Extensions) throws -> Certificate {
            try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(deviceKey.publicKey),
                notValidBefore: now - 60,
                notValidAfter: now + 86_400,
                issuer: ca.certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: ca.signingKey
            )
        }
        let goodSubject = try DistinguishedName {
            OrganizationName("ABCDEFGHIJ")
            OrganizationalUnitName("dev001")
            CommonName("ABCDEFGHIJdev001")
        }
        let goodExtensions = try Certificate.Extensions {
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.clientAuth])
        }
        // Control: the hand-made certificate passes, so the failures below are due to the one change each.
        XCTAssertEqual(try ca.verifyDeviceCertificate(make(subject: goodSubject, extensions: goodExtensions)).deviceName, "dev001")

        let noEKU = try Certificate.Extensions { Critical(KeyUsage(digitalSignature: true)) }
        expectFailure(.wrongKeyUsage) { try ca.verifyDeviceCertificate(make(subject: goodSubject, extensions: noEKU)) }

        let serverOnly = try Certificate.Extensions {
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
        }
        expectFailure(.wrongKeyUsage) { try ca.verifyDeviceCertificate(make(subject: goodSubject, extensions: serverOnly)) }

        let isCA = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.clientAuth])
        }
        expectFailure(.wrongKeyUsage) { try ca.verifyDeviceCertificate(make(subject: goodSubject, extensions: isCA)) }

        let noDigitalSignature = try Certificate.Extensions {
            Critical(KeyUsage(keyEncipherment: true))
            try ExtendedKeyUsage([.clientAuth])
        }
        expectFailure(.wrongKeyUsage) { try ca.verifyDeviceCertificate(make(subject: goodSubject, extensions: noDigitalSignature)) }

        var unknownCritical = goodExtensions
        try unknownCritical.append(Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 99999, 1], critical: true, value: [0x05, 0x00]))
        expectFailure(.unsupportedCriticalExtension) { try ca.verifyDeviceCertificate(make(subject: goodSubject, extensions: unknownCritical)) }
        var unknownNonCritical = goodExtensions
        try unknownNonCritical.append(Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 99999, 1], critical: false, value: [0x05, 0x00]))
        XCTAssertNoThrow(try ca.verifyDeviceCertificate(make(subject: goodSubject, extensions: unknownNonCritical)))

        let mismatchedCN = try DistinguishedName {
            OrganizationName("ABCDEFGHIJ")
            OrganizationalUnitName("dev001")
            CommonName("ABCDEFGHIJdev002")
        }
        expectFailure(.invalidSubject) { try ca.verifyDeviceCertificate(make(subject: mismatchedCN, extensions: goodExtensions)) }

        let missingOU = try DistinguishedName {
            OrganizationName("ABCDEFGHIJ")
            CommonName("ABCDEFGHIJdev001")
        }
        expectFailure(.invalidSubject) { try ca.verifyDeviceCertificate(make(subject: missingOU, extensions: goodExtensions)) }

        let badProductId = try DistinguishedName {
            OrganizationName("abc")
            OrganizationalUnitName("dev001")
            CommonName("abcdev001")
        }
        expectFailure(.invalidSubject) { try ca.verifyDeviceCertificate(make(subject: badProductId, extensions: goodExtensions)) }

        let twoOUs = try DistinguishedName {
            OrganizationName("ABCDEFGHIJ")
            OrganizationalUnitName("dev001")
            OrganizationalUnitName("dev002")
            CommonName("ABCDEFGHIJdev001")
        }
        expectFailure(.invalidSubject) { try ca.verifyDeviceCertificate(make(subject: twoOUs, extensions: goodExtensions)) }
    }

    /// swift-certificates' own RFC 5280 verifier, with this CA as the only root, agrees with the hub.
    func testSwiftCertificatesVerifierAcceptsTheChain() async throws {
        let ca = try HubCA.generate()
        let other = try HubCA.generate()
        let issued = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001")
        let foreign = try other.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001")

        var verifier = Verifier(rootCertificates: CertificateStore([ca.certificate])) {
            RFC5280Policy()
        }
        let result = await verifier.validate(leaf: issued.certificate, intermediates: CertificateStore())
        guard case .validCertificate(let chain) = result else { return XCTFail("\(result)") }
        XCTAssertEqual(Array(chain), [issued.certificate, ca.certificate])

        let rejected = await verifier.validate(leaf: foreign.certificate, intermediates: CertificateStore())
        guard case .couldNotValidate = rejected else { return XCTFail("a foreign certificate validated: \(rejected)") }
    }
}
