import Crypto
import Foundation
import SwiftASN1
import X509

/// The hub's certificate authority.
///
/// One self-signed ECDSA P-256 root, kept in the hub's data directory as `ca.key.pem` (mode 0600) and
/// `ca.cert.pem` (also 0600: the hub never shares its data directory). It issues
/// * device client certificates (returned to certificate devices by dynamic registration and used for
///   mutual TLS on MQTTS, device-protocol.md §3.3 and §5.7), and
/// * the hub's own server certificate for its HTTPS/MQTTS listeners,
///
/// and it verifies device client certificates. Devices chain directly to the root; there is no
/// intermediate CA.
///
/// The value is immutable and `Sendable`; issuing and verifying may run concurrently.
public struct HubCA: Sendable {
    public static let certificateFileName = "ca.cert.pem"
    public static let keyFileName = "ca.key.pem"
    public static let serverCertificateFileName = "server.cert.pem"
    public static let serverKeyFileName = "server.key.pem"

    /// Validity of a newly created root: 20 years.
    public static let caValidityDays = 20 * 365 + 5
    /// How far `notBefore` is back-dated from the issuing time, to tolerate clock skew between the hub and
    /// whatever checks the certificate.
    public static let backdating: TimeInterval = 60 * 60

    /// The CA certificate.
    public let certificate: Certificate
    /// The CA certificate as PEM, ending in a newline (what devices and TLS stacks are given as trust root).
    public let certificatePEM: String
    /// The CA certificate as DER.
    public let certificateDER: [UInt8]

    let privateKey: P256.Signing.PrivateKey
    let signingKey: Certificate.PrivateKey
    /// The CA's subject key identifier (copied into issued certificates' authority key identifier).
    let keyIdentifier: ArraySlice<UInt8>

    // MARK: - Creating and loading

    /// Loads the CA from `directory`, creating it on first use.
    ///
    /// First call: creates the directory (mode 0700) if needed, generates a P-256 key, writes `ca.key.pem`
    /// (SEC1 PEM, mode 0600) and then a self-signed `ca.cert.pem` (basicConstraints CA:true critical,
    /// keyUsage keyCertSign + cRLSign critical, subjectKeyIdentifier, valid 20 years). Later calls load the
    /// files and return the same CA; `commonName` is then ignored. Each file is written atomically and
    /// published only if absent, so concurrent first starts agree on one CA. If a previous start died
    /// between writing the key and the certificate, the certificate is created from the stored key.
    ///
    /// - Throws: ``HubCAError`` `.fileSystem`, or `.invalidStoredMaterial` if the files exist but are unusable
    ///   (including a certificate without its key: that is never silently replaced, because devices trust it).
    public static func loadOrCreate(
        directory: String,
        commonName: String = "IoTHub Root CA",
        now: Date = Date()
    ) throws -> HubCA {
        try FileStore.ensureDirectory(directory)
        let keyPath = directory + "/" + keyFileName
        let certPath = directory + "/" + certificateFileName

        var keyPEM = try FileStore.readText(keyPath)
        var certPEM = try FileStore.readText(certPath)

        if keyPEM == nil {
            if certPEM != nil {
                throw HubCAError(
                    .invalidStoredMaterial,
                    "\(certPath) exists but its key \(keyPath) is missing; restore the key or remove both files"
                )
            }
            let newPEM = try KeyEncoding.sec1PEM(P256.Signing.PrivateKey())
            if try FileStore.writeAtomically(newPEM, to: keyPath, mode: 0o600, replace: false) {
                keyPEM = newPEM
            } else {
                keyPEM = try FileStore.readText(keyPath)
            }
        }
        guard let keyPEM else {
            throw HubCAError(.fileSystem, "\(keyPath) vanished while creating the CA")
        }
        let key: P256.Signing.PrivateKey
        do {
            key = try KeyEncoding.parseP256PrivateKey(pem: keyPEM)
        } catch {
            throw HubCAError(.invalidStoredMaterial, "\(keyPath) is not a P-256 private key: \(error)")
        }

        if certPEM == nil {
            let newPEM = try KeyEncoding.certificatePEM(makeRootCertificate(key: key, commonName: commonName, now: now))
            if try FileStore.writeAtomically(newPEM, to: certPath, mode: 0o600, replace: false) {
                certPEM = newPEM
            } else {
                certPEM = try FileStore.readText(certPath)
            }
        }
        guard let certPEM else {
            throw HubCAError(.fileSystem, "\(certPath) vanished while creating the CA")
        }
        do {
            return try HubCA(certificatePEM: certPEM, privateKey: key)
        } catch let error as HubCAError {
            throw HubCAError(error.code, "\(directory): \(error.message)")
        }
    }

    /// Creates a CA from existing material (for example a CA managed outside the hub).
    ///
    /// - Parameter privateKeyPEM: a P-256 key in SEC1 (`EC PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`) PEM.
    /// - Throws: ``HubCAError`` `.invalidStoredMaterial` if either does not parse, the key does not match the
    ///   certificate, or the certificate is not a CA certificate.
    public init(certificatePEM: String, privateKeyPEM: String) throws {
        let key: P256.Signing.PrivateKey
        do {
            key = try KeyEncoding.parseP256PrivateKey(pem: privateKeyPEM)
        } catch {
            throw HubCAError(.invalidStoredMaterial, "the CA key is not a P-256 private key: \(error)")
        }
        try self.init(certificatePEM: certificatePEM, privateKey: key)
    }

    /// Creates a new CA in memory only (nothing is written). Meant for tests and tools.
    public static func generate(commonName: String = "IoTHub Root CA", now: Date = Date()) throws -> HubCA {
        let key = P256.Signing.PrivateKey()
        let certificate = try makeRootCertificate(key: key, commonName: commonName, now: now)
        return try HubCA(certificatePEM: KeyEncoding.certificatePEM(certificate), privateKey: key)
    }

    init(certificatePEM: String, privateKey: P256.Signing.PrivateKey) throws {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw HubCAError(.invalidStoredMaterial, "the CA certificate does not parse: \(error)")
        }
        guard certificate.publicKey == Certificate.PublicKey(privateKey.publicKey) else {
            throw HubCAError(.invalidStoredMaterial, "the CA key does not match the CA certificate")
        }
        let basicConstraints: BasicConstraints?
        do {
            basicConstraints = try certificate.extensions.basicConstraints
        } catch {
            throw HubCAError(.invalidStoredMaterial, "the CA certificate's basicConstraints do not parse: \(error)")
        }
        guard case .isCertificateAuthority = basicConstraints else {
            throw HubCAError(.invalidStoredMaterial, "the CA certificate is not a CA certificate (basicConstraints)")
        }
        let publicKey = certificate.publicKey
        let ski = (try? certificate.extensions.subjectKeyIdentifier) ?? nil
        self.certificate = certificate
        do {
            self.certificatePEM = try KeyEncoding.certificatePEM(certificate)
            self.certificateDER = try KeyEncoding.certificateDER(certificate)
        } catch {
            throw HubCAError(.invalidStoredMaterial, "the CA certificate does not serialize: \(error)")
        }
        self.privateKey = privateKey
        self.signingKey = Certificate.PrivateKey(privateKey)
        self.keyIdentifier = ski?.keyIdentifier ?? SubjectKeyIdentifier(hash: publicKey).keyIdentifier
    }

    static func makeRootCertificate(key: P256.Signing.PrivateKey, commonName: String, now: Date) throws -> Certificate {
        guard !commonName.isEmpty else {
            throw HubCAError(.invalidArgument, "the CA common name is empty")
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let name = try DistinguishedName {
                OrganizationName("IoTHub")
                CommonName(commonName)
            }
            return try Certificate(
                version: .v3,
                serialNumber: KeyEncoding.randomSerialNumber(),
                publicKey: publicKey,
                notValidBefore: now - backdating,
                notValidAfter: now + TimeInterval(caValidityDays) * 86_400,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(key)
            )
        } catch let error as HubCAError {
            throw error
        } catch {
            throw HubCAError(.issuanceFailed, "cannot create the CA certificate: \(error)")
        }
    }

    // MARK: - Issuing

    /// Issues a client certificate and a new key for device `{productId}/{deviceName}`.
    ///
    /// Subject: CN = `{productId}{deviceName}` (the MQTT ClientId), O = productId, OU = deviceName.
    /// Extensions: basicConstraints CA:false, keyUsage digitalSignature (critical), extendedKeyUsage
    /// clientAuth, subjectKeyIdentifier, authorityKeyIdentifier. Signed with ECDSA-SHA256. `notAfter` is
    /// clamped to the CA's own `notAfter`.
    ///
    /// **Why the device key is ECDSA P-256:** mbedTLS in Tencent's C SDK and every embedded TLS stack
    /// (wolfSSL, BearSSL, ESP-IDF, OpenSSL, Python's `ssl`, Java) support it; a P-256 key and certificate
    /// are a few hundred bytes each, so the PEM pair (about 0.9 KB, about 1.3 KB after JSON escaping, AES
    /// padding and Base64) fits easily in the C SDK's 5 KiB registration response buffer, whereas an
    /// RSA-2048 pair (about 2.8 KB of PEM, nearly 4 KB encoded) leaves almost no room;
    /// and generating a P-256 key takes tens of microseconds, about 1000× faster than an RSA-2048 key,
    /// which matters for registration throughput when a fleet registers at once.
    ///
    /// **Key format:** the private key is returned as SEC1 PEM (`-----BEGIN EC PRIVATE KEY-----`), which
    /// mbedTLS (all versions), OpenSSL and the other stacks parse. (swift-crypto would emit PKCS#8
    /// `-----BEGIN PRIVATE KEY-----`; mbedTLS parses that too, but SEC1 is the most widely supported.)
    ///
    /// - Parameters:
    ///   - productId: 10 characters `[A-Z0-9]`.
    ///   - deviceName: `[a-zA-Z0-9:_-]{1,48}`.
    ///   - validityDays: at least 1.
    ///   - now: the issuing time (`notBefore` is back-dated by ``backdating``).
    /// - Throws: ``HubCAError`` `.invalidArgument` or `.issuanceFailed`.
    public func issueDeviceCertificate(
        productId: String,
        deviceName: String,
        validityDays: Int = 3650,
        now: Date = Date()
    ) throws -> IssuedCredential {
        guard Names.isValidProductId(productId) else {
            throw HubCAError(.invalidArgument, "invalid ProductId \(String(reflecting: productId)): expected 10 characters [A-Z0-9]")
        }
        guard Names.isValidDeviceName(deviceName) else {
            throw HubCAError(.invalidArgument, "invalid DeviceName \(String(reflecting: deviceName)): expected [a-zA-Z0-9:_-]{1,48}")
        }
        let subject: DistinguishedName
        do {
            subject = try DistinguishedName {
                OrganizationName(productId)
                OrganizationalUnitName(deviceName)
                CommonName(productId + deviceName)
            }
        } catch {
            throw HubCAError(.issuanceFailed, "cannot build the subject name: \(error)")
        }
        return try issue(
            subject: subject,
            validityDays: validityDays,
            now: now,
            usage: .clientAuth,
            subjectAlternativeNames: []
        )
    }

    /// Issues a server certificate and key for the hub's own HTTPS/MQTTS listeners.
    ///
    /// SANs: a `dNSName` per host name (a leading `*.` wildcard label is allowed) and an `iPAddress` per IP
    /// address (IPv4 dotted quad or IPv6 text). Subject CN = the first host name (or the first address).
    /// keyUsage digitalSignature (critical), extendedKeyUsage serverAuth. The default validity, 825 days, is
    /// the longest that Apple platforms accept for TLS server certificates.
    ///
    /// - Throws: ``HubCAError`` `.invalidArgument` (no names, a malformed name or address) or `.issuanceFailed`.
    public func issueServerCertificate(
        hostnames: [String],
        ipAddresses: [String],
        validityDays: Int = 825,
        now: Date = Date()
    ) throws -> IssuedCredential {
        let names = try Self.serverNames(hostnames: hostnames, ipAddresses: ipAddresses)
        let commonName = hostnames.first ?? ipAddresses[0]
        let subject: DistinguishedName
        do {
            subject = try DistinguishedName {
                OrganizationName("IoTHub")
                CommonName(commonName)
            }
        } catch {
            throw HubCAError(.issuanceFailed, "cannot build the subject name: \(error)")
        }
        return try issue(
            subject: subject,
            validityDays: validityDays,
            now: now,
            usage: .serverAuth,
            subjectAlternativeNames: names
        )
    }

    /// Returns the server credential stored in `directory` (`server.cert.pem`, `server.key.pem`), issuing and
    /// storing a new one unless the stored one
    /// * parses, and its key matches its certificate,
    /// * was issued by this CA,
    /// * covers every requested host name and IP address (it may cover more), and
    /// * is valid at `now` for at least `renewBeforeDays` more days.
    ///
    /// The key is written with mode 0600, each file atomically (key first; a pair left mismatched by a crash
    /// is detected on the next call and replaced).
    public func loadOrCreateServerCredential(
        directory: String,
        hostnames: [String],
        ipAddresses: [String],
        validityDays: Int = 825,
        renewBeforeDays: Int = 30,
        now: Date = Date()
    ) throws -> IssuedCredential {
        let requested = try Self.serverNames(hostnames: hostnames, ipAddresses: ipAddresses)
        try FileStore.ensureDirectory(directory)
        let keyPath = directory + "/" + Self.serverKeyFileName
        let certPath = directory + "/" + Self.serverCertificateFileName

        if let certPEM = try FileStore.readText(certPath), let keyPEM = try FileStore.readText(keyPath),
            let stored = reusableServerCredential(
                certificatePEM: certPEM,
                privateKeyPEM: keyPEM,
                requested: requested,
                renewBefore: TimeInterval(max(renewBeforeDays, 0)) * 86_400,
                now: now
            )
        {
            return stored
        }

        let issued = try issueServerCertificate(
            hostnames: hostnames,
            ipAddresses: ipAddresses,
            validityDays: validityDays,
            now: now
        )
        try FileStore.writeAtomically(issued.privateKeyPEM, to: keyPath, mode: 0o600, replace: true)
        try FileStore.writeAtomically(issued.certificatePEM, to: certPath, mode: 0o600, replace: true)
        return issued
    }

    private func reusableServerCredential(
        certificatePEM: String,
        privateKeyPEM: String,
        requested: [GeneralName],
        renewBefore: TimeInterval,
        now: Date
    ) -> IssuedCredential? {
        guard let certificate = try? Certificate(pemEncoded: certificatePEM),
            let key = try? KeyEncoding.parseP256PrivateKey(pem: privateKeyPEM),
            certificate.publicKey == Certificate.PublicKey(key.publicKey),
            isSignedByThisCA(certificate),
            certificate.notValidBefore <= now,
            certificate.notValidAfter > now + renewBefore,
            let eku = try? certificate.extensions.extendedKeyUsage, eku.contains(.serverAuth),
            let sans = try? certificate.extensions.subjectAlternativeNames
        else { return nil }
        let present = Set(sans.map(Self.normalized))
        guard requested.allSatisfy({ present.contains(Self.normalized($0)) }) else { return nil }
        return IssuedCredential(
            certificatePEM: certificatePEM,
            privateKeyPEM: privateKeyPEM,
            serialNumber: KeyEncoding.serialHex(certificate.serialNumber),
            notBefore: certificate.notValidBefore,
            notAfter: certificate.notValidAfter,
            certificate: certificate
        )
    }

    private static func normalized(_ name: GeneralName) -> GeneralName {
        if case .dnsName(let dns) = name { return .dnsName(dns.lowercased()) }
        return name
    }

    static func serverNames(hostnames: [String], ipAddresses: [String]) throws -> [GeneralName] {
        guard !hostnames.isEmpty || !ipAddresses.isEmpty else {
            throw HubCAError(.invalidArgument, "a server certificate needs at least one host name or IP address")
        }
        var names: [GeneralName] = []
        for hostname in hostnames {
            guard Names.isValidHostname(hostname) else {
                throw HubCAError(.invalidArgument, "invalid host name \(String(reflecting: hostname))")
            }
            let name = GeneralName.dnsName(hostname)
            if !names.contains(where: { normalized($0) == normalized(name) }) { names.append(name) }
        }
        for address in ipAddresses {
            guard let bytes = IPAddress.parse(address) else {
                throw HubCAError(.invalidArgument, "invalid IP address \(String(reflecting: address))")
            }
            let name = GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    private func issue(
        subject: DistinguishedName,
        validityDays: Int,
        now: Date,
        usage: ExtendedKeyUsage.Usage,
        subjectAlternativeNames: [GeneralName]
    ) throws -> IssuedCredential {
        guard validityDays >= 1, validityDays <= 100 * 366 else {
            throw HubCAError(.invalidArgument, "validityDays must be between 1 and 36600, got \(validityDays)")
        }
        let notBefore = now - Self.backdating
        let notAfter = min(now + TimeInterval(validityDays) * 86_400, certificate.notValidAfter)
        guard notAfter > notBefore else {
            throw HubCAError(.issuanceFailed, "the CA expires at \(certificate.notValidAfter); it cannot issue at \(now)")
        }
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let serialNumber = KeyEncoding.randomSerialNumber()
        do {
            let extensions = try Certificate.Extensions {
                BasicConstraints.notCertificateAuthority
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([usage])
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: keyIdentifier)
                if !subjectAlternativeNames.isEmpty {
                    SubjectAlternativeNames(subjectAlternativeNames)
                }
            }
            let issued = try Certificate(
                version: .v3,
                serialNumber: serialNumber,
                publicKey: publicKey,
                notValidBefore: notBefore,
                notValidAfter: notAfter,
                issuer: certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: signingKey
            )
            return IssuedCredential(
                certificatePEM: try KeyEncoding.certificatePEM(issued),
                privateKeyPEM: try KeyEncoding.sec1PEM(key),
                serialNumber: KeyEncoding.serialHex(serialNumber),
                notBefore: issued.notValidBefore,
                notAfter: issued.notValidAfter,
                certificate: issued
            )
        } catch let error as HubCAError {
            throw error
        } catch {
            throw HubCAError(.issuanceFailed, "cannot issue the certificate: \(error)")
        }
    }

    // MARK: - Helpers

    /// SHA-256 of the certificate's DER, lowercase hex without separators.
    ///
    /// - Throws: ``HubCAError`` `.malformedCertificate` if `certificatePEM` is not one PEM certificate.
    public static func fingerprintSHA256(certificatePEM: String) throws -> String {
        let document: PEMDocument
        do {
            document = try PEMDocument(pemString: certificatePEM)
        } catch {
            throw HubCAError(.malformedCertificate, "not a PEM document: \(error)")
        }
        guard document.discriminator == Certificate.defaultPEMDiscriminator else {
            throw HubCAError(.malformedCertificate, "PEM type is \(document.discriminator), expected CERTIFICATE")
        }
        return fingerprintSHA256(derBytes: document.derBytes)
    }

    /// SHA-256 of DER bytes, lowercase hex without separators.
    public static func fingerprintSHA256(derBytes: [UInt8]) -> String {
        KeyEncoding.hex(SHA256.hash(data: derBytes))
    }

    /// SHA-256 fingerprint of the CA certificate, lowercase hex without separators.
    public var fingerprintSHA256: String { Self.fingerprintSHA256(derBytes: certificateDER) }
}
