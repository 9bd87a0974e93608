import Crypto
import Foundation
import SwiftASN1
import X509
import XCTest

@testable import HubCA

final class CAStoreTests: XCTestCase {
    func testFirstCallCreatesFilesAndLaterCallsLoadTheSameCA() throws {
        let directory = try makeTemporaryDirectory(self) + "/data/ca"
        let created = try HubCA.loadOrCreate(directory: directory, commonName: "Test Root")

        let keyPath = directory + "/ca.key.pem"
        let certPath = directory + "/ca.cert.pem"
        XCTAssertTrue(FileManager.default.fileExists(atPath: keyPath))
        XCTAssertTrue(FileManager.default.fileExists(atPath: certPath))
        XCTAssertEqual(try posixMode(keyPath), 0o600)
        XCTAssertEqual(try posixMode(certPath), 0o600)
        XCTAssertEqual(try posixMode(directory), 0o700)
        XCTAssertEqual(try readText(certPath), created.certificatePEM)
        XCTAssertTrue(try readText(keyPath).hasPrefix("-----BEGIN EC PRIVATE KEY-----\n"))
        // No temporary files are left behind.
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory).sorted(),
            ["ca.cert.pem", "ca.key.pem"]
        )

        let keyBefore = try readText(keyPath)
        let reloaded = try HubCA.loadOrCreate(directory: directory, commonName: "ignored on reload")
        XCTAssertEqual(reloaded.certificatePEM, created.certificatePEM)
        XCTAssertEqual(reloaded.certificate, created.certificate)
        XCTAssertEqual(reloaded.certificateDER, created.certificateDER)
        XCTAssertEqual(reloaded.privateKey.rawRepresentation, created.privateKey.rawRepresentation)
        XCTAssertEqual(try readText(keyPath), keyBefore, "reloading must not rewrite the key")
        XCTAssertEqual(reloaded.fingerprintSHA256, created.fingerprintSHA256)

        // A certificate issued before the reload verifies with the reloaded CA, and vice versa.
        let device = try created.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001")
        XCTAssertEqual(try reloaded.verifyDeviceCertificate(device.certificate).deviceName, "dev001")
        let device2 = try reloaded.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev002")
        XCTAssertEqual(try created.verifyDeviceCertificate(device2.certificate).deviceName, "dev002")
    }

    func testRootCertificateProfile() throws {
        let now = Date()
        let ca = try HubCA.loadOrCreate(directory: try makeTemporaryDirectory(self), commonName: "Test Root", now: now)
        let cert = ca.certificate

        XCTAssertEqual(cert.version, .v3)
        XCTAssertEqual(cert.issuer, cert.subject)
        XCTAssertTrue(cert.publicKey.isValidSignature(cert.signature, for: cert), "self-signed")
        XCTAssertEqual(cert.signatureAlgorithm, .ecdsaWithSHA256)
        XCTAssertNotNil(P256.Signing.PublicKey(cert.publicKey), "P-256 key")
        XCTAssertEqual(cert.publicKey, Certificate.PublicKey(ca.privateKey.publicKey))

        let cn = cert.subject.flatMap { $0 }.first { $0.type == .RDNAttributeType.commonName }
        XCTAssertEqual(cn.flatMap { String($0.value) }, "Test Root")

        let basicConstraints = try XCTUnwrap(cert.extensions[oid: .X509ExtensionID.basicConstraints])
        XCTAssertTrue(basicConstraints.critical)
        XCTAssertEqual(try BasicConstraints(basicConstraints), .isCertificateAuthority(maxPathLength: 0))

        let keyUsageExt = try XCTUnwrap(cert.extensions[oid: .X509ExtensionID.keyUsage])
        XCTAssertTrue(keyUsageExt.critical)
        let keyUsage = try KeyUsage(keyUsageExt)
        XCTAssertTrue(keyUsage.keyCertSign)
        XCTAssertTrue(keyUsage.cRLSign)
        XCTAssertFalse(keyUsage.digitalSignature)

        let ski = try XCTUnwrap(try cert.extensions.subjectKeyIdentifier)
        XCTAssertEqual(ski.keyIdentifier.count, 20)
        XCTAssertEqual(ski.keyIdentifier, ca.keyIdentifier)

        let years = cert.notValidAfter.timeIntervalSince(now) / (365.25 * 86_400)
        XCTAssertEqual(years, 20, accuracy: 0.01)
        XCTAssertLessThanOrEqual(cert.notValidBefore, now)
        XCTAssertEqual(cert.serialNumber.bytes.count, 16)
        XCTAssertLessThan(cert.serialNumber.bytes.first!, 0x80, "positive serial")
    }

    func testCertificateWithoutKeyIsNotReplaced() throws {
        let directory = try makeTemporaryDirectory(self)
        let ca = try HubCA.loadOrCreate(directory: directory)
        try FileManager.default.removeItem(atPath: directory + "/ca.key.pem")

        XCTAssertThrowsError(try HubCA.loadOrCreate(directory: directory)) { error in
            XCTAssertEqual((error as? HubCAError)?.code, .invalidStoredMaterial)
        }
        XCTAssertEqual(try readText(directory + "/ca.cert.pem"), ca.certificatePEM, "the trusted cert is kept")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/ca.key.pem"))
    }

    func testKeyWithoutCertificateGetsACertificateForThatKey() throws {
        // A first start that died between writing the key and the certificate.
        let directory = try makeTemporaryDirectory(self)
        let first = try HubCA.loadOrCreate(directory: directory)
        try FileManager.default.removeItem(atPath: directory + "/ca.cert.pem")

        let second = try HubCA.loadOrCreate(directory: directory)
        XCTAssertEqual(second.privateKey.rawRepresentation, first.privateKey.rawRepresentation)
        XCTAssertEqual(second.certificate.publicKey, first.certificate.publicKey)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/ca.cert.pem"))
    }

    func testMismatchedKeyIsRejected() throws {
        let directory = try makeTemporaryDirectory(self)
        _ = try HubCA.loadOrCreate(directory: directory)
        let other = P256.Signing.PrivateKey()
        try writeText(try KeyEncoding.sec1PEM(other), directory + "/ca.key.pem")

        XCTAssertThrowsError(try HubCA.loadOrCreate(directory: directory)) { error in
            XCTAssertEqual((error as? HubCAError)?.code, .invalidStoredMaterial)
        }
    }

    func testCorruptFilesAreRejected() throws {
        let directory = try makeTemporaryDirectory(self)
        _ = try HubCA.loadOrCreate(directory: directory)
        let goodCert = try readText(directory + "/ca.cert.pem")

        try writeText("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", directory + "/ca.cert.pem")
        XCTAssertThrowsError(try HubCA.loadOrCreate(directory: directory)) { error in
            XCTAssertEqual((error as? HubCAError)?.code, .invalidStoredMaterial)
        }

        try writeText(goodCert, directory + "/ca.cert.pem")
        try writeText("not a key\n", directory + "/ca.key.pem")
        XCTAssertThrowsError(try HubCA.loadOrCreate(directory: directory)) { error in
            XCTAssertEqual((error as? HubCAError)?.code, .invalidStoredMaterial)
        }
    }

    func testALeafCertificateCannotBeUsedAsTheCA() throws {
        let ca = try HubCA.generate()
        let device = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001")
        XCTAssertThrowsError(
            try HubCA(certificatePEM: device.certificatePEM, privateKeyPEM: device.privateKeyPEM)
        ) { error in
            XCTAssertEqual((error as? HubCAError)?.code, .invalidStoredMaterial)
        }
    }

    func testPathThatIsAFileIsAFileSystemError() throws {
        let file = try makeTemporaryDirectory(self) + "/plain-file"
        try writeText("x", file)
        XCTAssertThrowsError(try HubCA.loadOrCreate(directory: file)) { error in
            XCTAssertEqual((error as? HubCAError)?.code, .fileSystem)
        }
    }

    func testConcurrentFirstStartsAgreeOnOneCA() throws {
        let directory = try makeTemporaryDirectory(self) + "/ca"
        let results = LockedResults()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            results.append(Result { try HubCA.loadOrCreate(directory: directory).certificatePEM })
        }
        let pems = try results.values.map { try $0.get() }
        XCTAssertEqual(pems.count, 8)
        XCTAssertEqual(Set(pems).count, 1, "every caller must end up with the same CA")
        XCTAssertEqual(pems.first, try readText(directory + "/ca.cert.pem"))
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory).sorted(),
            ["ca.cert.pem", "ca.key.pem"]
        )
    }

    func testInitFromPEMAcceptsSEC1AndPKCS8Keys() throws {
        let directory = try makeTemporaryDirectory(self)
        let ca = try HubCA.loadOrCreate(directory: directory)
        let certPEM = try readText(directory + "/ca.cert.pem")
        let sec1 = try readText(directory + "/ca.key.pem")
        let pkcs8 = ca.privateKey.pemRepresentation
        XCTAssertTrue(pkcs8.hasPrefix("-----BEGIN PRIVATE KEY-----"))

        for keyPEM in [sec1, pkcs8] {
            let loaded = try HubCA(certificatePEM: certPEM, privateKeyPEM: keyPEM)
            XCTAssertEqual(loaded.certificate, ca.certificate)
            XCTAssertEqual(loaded.privateKey.rawRepresentation, ca.privateKey.rawRepresentation)
        }
        XCTAssertThrowsError(try HubCA(certificatePEM: certPEM, privateKeyPEM: P256.Signing.PrivateKey().pemRepresentation)) {
            XCTAssertEqual(($0 as? HubCAError)?.code, .invalidStoredMaterial)
        }
    }

    func testErrorCodesHaveStableNames() {
        let codes: [(HubCAError.Code, String)] = [
            (.fileSystem, "fileSystem"),
            (.invalidStoredMaterial, "invalidStoredMaterial"),
            (.invalidArgument, "invalidArgument"),
            (.issuanceFailed, "issuanceFailed"),
            (.malformedCertificate, "malformedCertificate"),
            (.emptyChain, "emptyChain"),
            (.notIssuedByThisCA, "notIssuedByThisCA"),
            (.notYetValid, "notYetValid"),
            (.expired, "expired"),
            (.caNotValid, "caNotValid"),
            (.wrongKeyUsage, "wrongKeyUsage"),
            (.unsupportedCriticalExtension, "unsupportedCriticalExtension"),
            (.invalidSubject, "invalidSubject"),
        ]
        for (code, name) in codes {
            XCTAssertEqual(code.description, name)
        }
        XCTAssertEqual(Set(codes.map(\.0)).count, codes.count)
        let error = HubCAError(.expired, "gone")
        XCTAssertEqual(error.description, "HubCAError(expired): gone")
        XCTAssertNotEqual(HubCAError.Code.expired, .notYetValid)
    }
}

final class LockedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<String, any Error>] = []

    func append(_ result: Result<String, any Error>) {
        lock.lock()
        storage.append(result)
        lock.unlock()
    }

    var values: [Result<String, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
