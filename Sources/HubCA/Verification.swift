import Crypto
import Foundation
import SwiftASN1
import X509

extension HubCA {
    /// Extensions the hub understands; a certificate with any other critical extension is rejected.
    static let understoodCriticalExtensions: Set<ASN1ObjectIdentifier> = [
        .X509ExtensionID.basicConstraints,
        .X509ExtensionID.keyUsage,
        .X509ExtensionID.extendedKeyUsage,
        .X509ExtensionID.subjectAlternativeName,
        .X509ExtensionID.subjectKeyIdentifier,
        .X509ExtensionID.authorityKeyIdentifier,
    ]

    /// Verifies a device client certificate chain as presented in a TLS handshake and returns the device it
    /// names.
    ///
    /// Only `derChain[0]` (the leaf) is checked: devices chain directly to this CA, so any further
    /// certificates the client sends are ignored.
    ///
    /// - Throws: ``HubCAError`` `.emptyChain`, `.malformedCertificate`, or any error of
    ///   ``verifyDeviceCertificate(_:now:)``.
    public func verifyDeviceCertificate(derChain: [[UInt8]], now: Date = Date()) throws -> DeviceCertificateIdentity {
        guard let leafBytes = derChain.first else {
            throw HubCAError(.emptyChain, "no client certificate was presented")
        }
        let leaf: Certificate
        do {
            leaf = try Certificate(derEncoded: leafBytes)
        } catch {
            throw HubCAError(.malformedCertificate, "the client certificate does not parse: \(error)")
        }
        return try verifyDeviceCertificate(leaf, now: now)
    }

    /// Verifies a PEM device certificate (only the first certificate if several are concatenated).
    public func verifyDeviceCertificate(pem: String, now: Date = Date()) throws -> DeviceCertificateIdentity {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            throw HubCAError(.malformedCertificate, "not a PEM document: \(error)")
        }
        let certificates = documents.filter { $0.discriminator == Certificate.defaultPEMDiscriminator }
        guard !certificates.isEmpty else {
            throw HubCAError(.emptyChain, "no CERTIFICATE in the PEM text")
        }
        return try verifyDeviceCertificate(derChain: certificates.map(\.derBytes), now: now)
    }

    /// Verifies that `leaf` is a device client certificate issued by this CA and valid at `now`, and returns
    /// the device it names.
    ///
    /// Checks, in order: the CA itself is valid at `now`; issuer name equals this CA's subject, the
    /// authority key identifier (if present) equals this CA's key identifier, and the signature verifies
    /// with this CA's public key; `notBefore ≤ now ≤ notAfter`; no unknown critical extension; not a CA;
    /// extendedKeyUsage contains clientAuth; keyUsage (if present) allows digitalSignature; the subject has
    /// exactly one O (ProductId), one OU (DeviceName) and one CN equal to O + OU, with valid names.
    ///
    /// Whether the certificate is the one the registry holds for the device (serial number or fingerprint)
    /// is the caller's check.
    ///
    /// - Throws: ``HubCAError`` `.caNotValid`, `.notIssuedByThisCA`, `.notYetValid`, `.expired`,
    ///   `.unsupportedCriticalExtension`, `.wrongKeyUsage`, `.invalidSubject`, `.malformedCertificate`.
    public func verifyDeviceCertificate(_ leaf: Certificate, now: Date = Date()) throws -> DeviceCertificateIdentity {
        try verifyIssued(leaf, usage: .clientAuth, now: now)

        let identity = try Self.deviceIdentity(subject: leaf.subject)
        let der: [UInt8]
        do {
            der = try KeyEncoding.certificateDER(leaf)
        } catch {
            throw HubCAError(.malformedCertificate, "the certificate does not serialize: \(error)")
        }
        return DeviceCertificateIdentity(
            productId: identity.productId,
            deviceName: identity.deviceName,
            serialNumber: KeyEncoding.serialHex(leaf.serialNumber),
            fingerprintSHA256: Self.fingerprintSHA256(derBytes: der),
            notAfter: leaf.notValidAfter
        )
    }

    /// True if `certificate` names this CA as issuer and carries a valid signature by this CA's key.
    func isSignedByThisCA(_ certificate: Certificate) -> Bool {
        certificate.issuer == self.certificate.subject
            && self.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// The checks common to every end-entity certificate this CA issues.
    func verifyIssued(_ leaf: Certificate, usage: ExtendedKeyUsage.Usage, now: Date) throws {
        guard certificate.notValidBefore <= now, now <= certificate.notValidAfter else {
            throw HubCAError(
                .caNotValid,
                "the hub CA is valid from \(certificate.notValidBefore) to \(certificate.notValidAfter), not at \(now)"
            )
        }
        guard leaf.issuer == certificate.subject else {
            throw HubCAError(.notIssuedByThisCA, "issuer \(leaf.issuer) is not the hub CA \(certificate.subject)")
        }
        let extensions = leaf.extensions
        do {
            if let aki = try extensions.authorityKeyIdentifier, let id = aki.keyIdentifier, id != keyIdentifier {
                throw HubCAError(.notIssuedByThisCA, "the authority key identifier is not the hub CA's")
            }
        } catch let error as HubCAError {
            throw error
        } catch {
            throw HubCAError(.malformedCertificate, "authorityKeyIdentifier does not parse: \(error)")
        }
        guard certificate.publicKey.isValidSignature(leaf.signature, for: leaf) else {
            throw HubCAError(.notIssuedByThisCA, "the signature does not verify with the hub CA's key")
        }
        guard leaf.notValidBefore <= now else {
            throw HubCAError(.notYetValid, "the certificate is valid only from \(leaf.notValidBefore)")
        }
        guard now <= leaf.notValidAfter else {
            throw HubCAError(.expired, "the certificate expired at \(leaf.notValidAfter)")
        }
        for ext in extensions where ext.critical && !Self.understoodCriticalExtensions.contains(ext.oid) {
            throw HubCAError(.unsupportedCriticalExtension, "unsupported critical extension \(ext.oid)")
        }
        do {
            if case .isCertificateAuthority = try extensions.basicConstraints {
                throw HubCAError(.wrongKeyUsage, "a CA certificate cannot authenticate a device")
            }
            guard let eku = try extensions.extendedKeyUsage, eku.contains(usage) else {
                throw HubCAError(.wrongKeyUsage, "extendedKeyUsage does not allow \(usage)")
            }
            if let keyUsage = try extensions.keyUsage, !keyUsage.digitalSignature {
                throw HubCAError(.wrongKeyUsage, "keyUsage does not allow digitalSignature")
            }
        } catch let error as HubCAError {
            throw error
        } catch {
            throw HubCAError(.malformedCertificate, "an extension does not parse: \(error)")
        }
    }

    static func deviceIdentity(subject: DistinguishedName) throws -> (productId: String, deviceName: String) {
        var commonNames: [String] = []
        var organizations: [String] = []
        var units: [String] = []
        for rdn in subject {
            for attribute in rdn {
                let value = String(attribute.value)
                switch attribute.type {
                case .RDNAttributeType.commonName: commonNames.append(value ?? "")
                case .RDNAttributeType.organizationName: organizations.append(value ?? "")
                case .RDNAttributeType.organizationalUnitName: units.append(value ?? "")
                default: break
                }
            }
        }
        guard commonNames.count == 1, organizations.count == 1, units.count == 1 else {
            throw HubCAError(.invalidSubject, "subject \(subject) must have exactly one CN, O and OU")
        }
        let productId = organizations[0]
        let deviceName = units[0]
        guard Names.isValidProductId(productId), Names.isValidDeviceName(deviceName) else {
            throw HubCAError(.invalidSubject, "subject \(subject) does not hold a valid ProductId (O) and DeviceName (OU)")
        }
        guard commonNames[0] == productId + deviceName else {
            throw HubCAError(.invalidSubject, "subject CN \(commonNames[0]) is not O + OU")
        }
        return (productId, deviceName)
    }
}
