import Crypto
import Foundation
import SwiftASN1
import X509
import XCTest

@testable import HubCA

final class ServerCertificateTests: XCTestCase {
    func sans(_ certificate: Certificate) throws -> (dns: [String], ips: [[UInt8]]) {
        let names = try XCTUnwrap(try certificate.extensions.subjectAlternativeNames)
        var dns: [String] = []
        var ips: [[UInt8]] = []
        for name in names {
            switch name {
            case .dnsName(let value): dns.append(value)
            case .ipAddress(let value): ips.append(Array(value.bytes))
            default: XCTFail("unexpected SAN \(name)")
            }
        }
        return (dns, ips)
    }

    func testServerCertificateHasTheRequestedNames() throws {
        let ca = try HubCA.generate()
        let issued = try ca.issueServerCertificate(
            hostnames: ["hub.example.com", "*.iotcloud.example.com", "localhost"],
            ipAddresses: ["127.0.0.1", "192.168.10.254", "::1", "2001:db8::8a2e:370:7334", "::ffff:192.0.2.1"]
        )
        // Parse back from PEM, not from the in-memory value.
        let cert = try Certificate(pemEncoded: issued.certificatePEM)
        let (dns, ips) = try sans(cert)
        XCTAssertEqual(dns, ["hub.example.com", "*.iotcloud.example.com", "localhost"])
        XCTAssertEqual(ips, [
            [127, 0, 0, 1],
            [192, 168, 10, 254],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0x8a, 0x2e, 0x03, 0x70, 0x73, 0x34],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1],
        ])

        let cn = cert.subject.flatMap { $0 }.first { $0.type == .RDNAttributeType.commonName }
        XCTAssertEqual(cn.flatMap { String($0.value) }, "hub.example.com")
        XCTAssertEqual(Array(try XCTUnwrap(try cert.extensions.extendedKeyUsage)), [.serverAuth])
        XCTAssertTrue(try XCTUnwrap(try cert.extensions.keyUsage).digitalSignature)
        XCTAssertEqual(try cert.extensions.basicConstraints, .notCertificateAuthority)
        XCTAssertTrue(ca.certificate.publicKey.isValidSignature(cert.signature, for: cert))
        XCTAssertEqual(cert.signatureAlgorithm, .ecdsaWithSHA256)
        XCTAssertEqual(issued.notAfter.timeIntervalSince(issued.notBefore), 825 * 86_400 + HubCA.backdating, accuracy: 1)
        let key = try P256.Signing.PrivateKey(pemRepresentation: issued.privateKeyPEM)
        XCTAssertEqual(cert.publicKey, Certificate.PublicKey(key.publicKey))
        XCTAssertNoThrow(try ca.verifyIssued(cert, usage: .serverAuth, now: Date()))
    }

    /// Old mbedTLS (Tencent's classic C SDK) matches the dialled host only against dNSName entries and the CN:
    /// a hub whose public host is an IPv4 address carries it as both an iPAddress and a dNSName entry, and as CN.
    func testPublicIPv4HostIsAlsoADNSNameAndTheCommonName() throws {
        let names = ServerNames(publicHosts: ["192.168.10.254", "hub.example.com", "2001:db8::1"])
        XCTAssertEqual(names.hostnames, ["192.168.10.254", "hub.example.com", "localhost"])
        XCTAssertEqual(names.ipAddresses, ["192.168.10.254", "2001:db8::1", "127.0.0.1", "::1"])
        XCTAssertEqual(ServerNames(publicHosts: []).hostnames, ["localhost"])
        XCTAssertEqual(ServerNames(publicHosts: ["LocalHost", "127.0.0.1"]).hostnames, ["LocalHost", "127.0.0.1"])

        let ca = try HubCA.generate()
        let directory = NSTemporaryDirectory() + "servernames-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A credential issued before (host names only for the address) is replaced by one that covers it.
        let old = try ca.loadOrCreateServerCredential(directory: directory, hostnames: ["localhost"], ipAddresses: ["192.168.10.254"])
        let issued = try ca.loadOrCreateServerCredential(directory: directory, hostnames: names.hostnames, ipAddresses: names.ipAddresses)
        XCTAssertNotEqual(old.serialNumber, issued.serialNumber)
        let cert = try Certificate(pemEncoded: issued.certificatePEM)
        let (dns, ips) = try sans(cert)
        XCTAssertEqual(dns, ["192.168.10.254", "hub.example.com", "localhost"])
        XCTAssertTrue(ips.contains([192, 168, 10, 254]))
        let cn = cert.subject.flatMap { $0 }.first { $0.type == .RDNAttributeType.commonName }
        XCTAssertEqual(cn.flatMap { String($0.value) }, "192.168.10.254")
    }

    func testIPOnlyServerCertificate() throws {
        let ca = try HubCA.generate()
        let issued = try ca.issueServerCertificate(hostnames: [], ipAddresses: ["10.0.0.1", "10.0.0.1"])
        let (dns, ips) = try sans(issued.certificate)
        XCTAssertEqual(dns, [])
        XCTAssertEqual(ips, [[10, 0, 0, 1]], "duplicates are dropped")
    }

    func testInvalidServerNamesAreRejected() throws {
        let ca = try HubCA.generate()
        let bad: [([String], [String])] = [
            ([], []),
            ([""], []),
            (["bad host"], []),
            (["-leading.example.com"], []),
            (["a..b"], []),
            (["foo.*.example.com"], []),
            (["*"], []),
            (["example.com."], []),
            ([String(repeating: "a", count: 64) + ".com"], []),
            ([], ["256.0.0.1"]),
            ([], ["1.2.3"]),
            ([], ["01.2.3.4"]),
            ([], ["fe80::1%eth0"]),
            ([], ["1::2::3"]),
            ([], ["hub.example.com"]),
        ]
        for (hostnames, ips) in bad {
            XCTAssertThrowsError(try ca.issueServerCertificate(hostnames: hostnames, ipAddresses: ips), "\(hostnames) \(ips)") {
                XCTAssertEqual(($0 as? HubCAError)?.code, .invalidArgument, "\(hostnames) \(ips)")
            }
        }
    }

    func testIPAddressParsing() {
        let valid: [(String, [UInt8])] = [
            ("0.0.0.0", [0, 0, 0, 0]),
            ("255.255.255.255", [255, 255, 255, 255]),
            ("::", [UInt8](repeating: 0, count: 16)),
            ("::1", [UInt8](repeating: 0, count: 15) + [1]),
            ("[::1]", [UInt8](repeating: 0, count: 15) + [1]),
            ("1::", [0, 1] + [UInt8](repeating: 0, count: 14)),
            ("fe80::1:2", [0xfe, 0x80] + [UInt8](repeating: 0, count: 10) + [0, 1, 0, 2]),
            ("FFFF:0:0:0:0:0:0:ABCD", [0xff, 0xff] + [UInt8](repeating: 0, count: 12) + [0xab, 0xcd]),
            ("1:2:3:4:5:6:7:8", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]),
            ("1:2:3:4:5:6:1.2.3.4", [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4]),
        ]
        for (text, bytes) in valid {
            XCTAssertEqual(IPAddress.parse(text), bytes, text)
        }
        let invalid = [
            "", ":", ":::", "1.2.3.4.5", "1.2.3.", "a.b.c.d", "-1.2.3.4", "+1.2.3.4", "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7", "12345::", "g::", "1::2::3", "::1.2.3.4:5", "1.2.3.4::", "::+1", "1:2:3:4:5:6:7::8",
            "[::1", "fe80::1%1", " ::1", "::1 ",
        ]
        for text in invalid {
            XCTAssertNil(IPAddress.parse(text), text)
        }
    }

    func testServerCredentialIsStoredAndReused() throws {
        let directory = try makeTemporaryDirectory(self)
        let ca = try HubCA.loadOrCreate(directory: directory)
        let now = Date()

        let first = try ca.loadOrCreateServerCredential(
            directory: directory, hostnames: ["hub.example.com", "localhost"], ipAddresses: ["127.0.0.1", "::1"], now: now)
        XCTAssertEqual(try readText(directory + "/server.cert.pem"), first.certificatePEM)
        XCTAssertEqual(try readText(directory + "/server.key.pem"), first.privateKeyPEM)
        XCTAssertEqual(try posixMode(directory + "/server.key.pem"), 0o600)

        // Same names, a subset, other case: reused.
        let again = try ca.loadOrCreateServerCredential(
            directory: directory, hostnames: ["hub.example.com", "localhost"], ipAddresses: ["127.0.0.1", "::1"], now: now)
        XCTAssertEqual(again, first)
        let subset = try ca.loadOrCreateServerCredential(
            directory: directory, hostnames: ["HUB.example.com"], ipAddresses: ["0:0::1"], now: now + 86_400)
        XCTAssertEqual(subset.serialNumber, first.serialNumber)

        // A new name: reissued, stored, and the old names are not kept unless asked for.
        let widened = try ca.loadOrCreateServerCredential(
            directory: directory, hostnames: ["hub.example.com", "mqtt.example.com"], ipAddresses: [], now: now)
        XCTAssertNotEqual(widened.serialNumber, first.serialNumber)
        XCTAssertEqual(try sans(widened.certificate).dns, ["hub.example.com", "mqtt.example.com"])
        XCTAssertEqual(try readText(directory + "/server.cert.pem"), widened.certificatePEM)
        XCTAssertEqual(try posixMode(directory + "/server.key.pem"), 0o600)

        // Within the renewal window (default 30 days before notAfter): reissued.
        let late = widened.notAfter - 10 * 86_400
        let renewed = try ca.loadOrCreateServerCredential(
            directory: directory, hostnames: ["hub.example.com"], ipAddresses: [], now: late)
        XCTAssertNotEqual(renewed.serialNumber, widened.serialNumber)
        XCTAssertGreaterThan(renewed.notAfter, widened.notAfter)

        // No temporary files left.
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory).sorted(),
            ["ca.cert.pem", "ca.key.pem", "server.cert.pem", "server.key.pem"]
        )
    }

    func testServerCredentialFromAnotherCAOrMismatchedKeyIsReplaced() throws {
        let directory = try makeTemporaryDirectory(self)
        let ca = try HubCA.loadOrCreate(directory: directory)
        let other = try HubCA.generate()

        let foreign = try other.issueServerCertificate(hostnames: ["hub.example.com"], ipAddresses: [])
        try writeText(foreign.certificatePEM, directory + "/server.cert.pem")
        try writeText(foreign.privateKeyPEM, directory + "/server.key.pem")
        let replaced = try ca.loadOrCreateServerCredential(directory: directory, hostnames: ["hub.example.com"], ipAddresses: [])
        XCTAssertNotEqual(replaced.serialNumber, foreign.serialNumber)
        XCTAssertEqual(replaced.certificate.issuer, ca.certificate.subject)
        XCTAssertTrue(ca.isSignedByThisCA(replaced.certificate))

        // Key from a different credential (as after a crash between the two writes).
        let stray = try ca.issueServerCertificate(hostnames: ["hub.example.com"], ipAddresses: [])
        try writeText(stray.privateKeyPEM, directory + "/server.key.pem")
        let repaired = try ca.loadOrCreateServerCredential(directory: directory, hostnames: ["hub.example.com"], ipAddresses: [])
        XCTAssertNotEqual(repaired.serialNumber, replaced.serialNumber)
        let key = try P256.Signing.PrivateKey(pemRepresentation: try readText(directory + "/server.key.pem"))
        XCTAssertEqual(repaired.certificate.publicKey, Certificate.PublicKey(key.publicKey))

        // Garbage files are replaced too.
        try writeText("garbage", directory + "/server.cert.pem")
        XCTAssertNoThrow(try ca.loadOrCreateServerCredential(directory: directory, hostnames: ["hub.example.com"], ipAddresses: []))
    }
}
