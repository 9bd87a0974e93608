import Foundation
import XCTest

@testable import HubCA

/// Cross-checks with the system OpenSSL: an independent implementation must accept what the hub issues.
final class OpenSSLInteropTests: XCTestCase {
    func openssl() throws -> String {
        guard let path = findExecutable("openssl") else {
            // Never a skip: scripts/test installs openssl.
            XCTFail("openssl is not installed (not found on PATH); run scripts/test")
            throw CocoaError(.fileNoSuchFile)
        }
        return path
    }

    func testOpenSSLAcceptsTheChainAndParsesTheKeys() throws {
        let openssl = try openssl()
        let directory = try makeTemporaryDirectory(self)
        let ca = try HubCA.loadOrCreate(directory: directory)
        let device = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev_01:x-y")
        let server = try ca.issueServerCertificate(hostnames: ["hub.example.com"], ipAddresses: ["127.0.0.1", "::1"])
        try writeText(device.certificatePEM, directory + "/device.pem")
        try writeText(device.privateKeyPEM, directory + "/device.key")
        try writeText(server.certificatePEM, directory + "/server.pem")

        func sh(_ arguments: [String]) throws -> ProcessResult {
            try runProcess(openssl, arguments, currentDirectory: directory)
        }
        func assertSucceeds(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> ProcessResult {
            let result = try sh(arguments)
            XCTAssertTrue(result.succeeded, "openssl \(arguments.joined(separator: " ")): \(result.stdout)\(result.stderr)", file: file, line: line)
            return result
        }

        // Device chain, for TLS client authentication.
        let verified = try assertSucceeds(["verify", "-CAfile", "ca.cert.pem", "-purpose", "sslclient", "device.pem"])
        XCTAssertEqual(verified.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "device.pem: OK")
        // Not usable as a server certificate.
        XCTAssertFalse(try sh(["verify", "-CAfile", "ca.cert.pem", "-purpose", "sslserver", "device.pem"]).succeeded)

        // Server chain with host name and address checks.
        _ = try assertSucceeds([
            "verify", "-CAfile", "ca.cert.pem", "-purpose", "sslserver",
            "-verify_hostname", "hub.example.com", "-verify_ip", "::1", "server.pem",
        ])
        _ = try assertSucceeds(["verify", "-CAfile", "ca.cert.pem", "-verify_ip", "127.0.0.1", "server.pem"])
        XCTAssertFalse(try sh(["verify", "-CAfile", "ca.cert.pem", "-verify_hostname", "other.example.com", "server.pem"]).succeeded)
        XCTAssertFalse(try sh(["verify", "-CAfile", "ca.cert.pem", "-verify_ip", "127.0.0.2", "server.pem"]).succeeded)

        // A certificate from another CA is rejected by OpenSSL as well.
        let other = try HubCA.generate()
        try writeText(other.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001").certificatePEM, directory + "/foreign.pem")
        XCTAssertFalse(try sh(["verify", "-CAfile", "ca.cert.pem", "foreign.pem"]).succeeded)

        // Keys: SEC1 parses as an EC key on P-256, passes the consistency check, and matches its certificate.
        let ecText = try assertSucceeds(["ec", "-in", "device.key", "-noout", "-text", "-check"])
        XCTAssertTrue((ecText.stdout + ecText.stderr).contains("prime256v1"), ecText.stdout)
        XCTAssertTrue((ecText.stdout + ecText.stderr).contains("EC Key valid"), ecText.stderr)
        _ = try assertSucceeds(["ec", "-in", "ca.key.pem", "-noout", "-check"])
        let keyPublic = try assertSucceeds(["pkey", "-in", "device.key", "-pubout"]).stdout
        let certPublic = try assertSucceeds(["x509", "-in", "device.pem", "-noout", "-pubkey"]).stdout
        XCTAssertFalse(keyPublic.isEmpty)
        XCTAssertEqual(keyPublic, certPublic)
        let caKeyPublic = try assertSucceeds(["pkey", "-in", "ca.key.pem", "-pubout"]).stdout
        let caCertPublic = try assertSucceeds(["x509", "-in", "ca.cert.pem", "-noout", "-pubkey"]).stdout
        XCTAssertEqual(caKeyPublic, caCertPublic)

        // The fields OpenSSL reads out agree with ours.
        let subject = try assertSucceeds(["x509", "-in", "device.pem", "-noout", "-subject", "-nameopt", "RFC2253"]).stdout
        XCTAssertEqual(subject.trimmingCharacters(in: .whitespacesAndNewlines), "subject=CN=ABCDEFGHIJdev_01:x-y,OU=dev_01:x-y,O=ABCDEFGHIJ")
        let serial = try assertSucceeds(["x509", "-in", "device.pem", "-noout", "-serial"]).stdout
        XCTAssertEqual(serial.trimmingCharacters(in: .whitespacesAndNewlines), "serial=" + device.serialNumber.uppercased())
        let fingerprint = try assertSucceeds(["x509", "-in", "device.pem", "-noout", "-fingerprint", "-sha256"]).stdout
        let opensslHex = fingerprint.split(separator: "=").last.map {
            $0.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        }
        XCTAssertEqual(opensslHex, try HubCA.fingerprintSHA256(certificatePEM: device.certificatePEM))
        let caText = try assertSucceeds(["x509", "-in", "ca.cert.pem", "-noout", "-text"]).stdout
        XCTAssertTrue(caText.contains("CA:TRUE"), caText)
        XCTAssertTrue(caText.contains("Certificate Sign, CRL Sign"), caText)
        XCTAssertTrue(caText.contains("ecdsa-with-SHA256"), caText)
    }

    /// The reverse direction: a key written by OpenSSL in either format loads as the hub's CA key.
    func testOpenSSLGeneratedCAMaterialLoads() throws {
        let openssl = try openssl()
        let directory = try makeTemporaryDirectory(self)
        func sh(_ arguments: [String]) throws {
            let result = try runProcess(openssl, arguments, currentDirectory: directory)
            XCTAssertTrue(result.succeeded, "openssl \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        try sh(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sec1.key"])
        try sh(["pkcs8", "-topk8", "-nocrypt", "-in", "sec1.key", "-out", "pkcs8.key"])
        try sh([
            "req", "-x509", "-new", "-key", "sec1.key", "-days", "30", "-subj", "/CN=OpenSSL Root", "-out", "ca.pem",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        let certPEM = try readText(directory + "/ca.pem")
        for keyFile in ["sec1.key", "pkcs8.key"] {
            let ca = try HubCA(certificatePEM: certPEM, privateKeyPEM: try readText(directory + "/" + keyFile))
            let device = try ca.issueDeviceCertificate(productId: "ABCDEFGHIJ", deviceName: "dev001", validityDays: 10)
            XCTAssertEqual(try ca.verifyDeviceCertificate(device.certificate).deviceName, "dev001")
            try writeText(device.certificatePEM, directory + "/device.pem")
            try sh(["verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "device.pem"])
        }
    }
}
