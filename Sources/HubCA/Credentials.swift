import Foundation
import X509

/// A freshly issued (or reloaded) certificate together with its private key.
public struct IssuedCredential: Sendable, Hashable {
    /// The certificate, PEM (`-----BEGIN CERTIFICATE-----`), ending in a newline.
    public let certificatePEM: String
    /// The private key, SEC1 PEM (`-----BEGIN EC PRIVATE KEY-----`), ending in a newline.
    public let privateKeyPEM: String
    /// The serial number as lowercase hex without separators (the DER INTEGER content bytes).
    public let serialNumber: String
    public let notBefore: Date
    public let notAfter: Date
    /// The parsed certificate.
    public let certificate: Certificate

    public init(
        certificatePEM: String,
        privateKeyPEM: String,
        serialNumber: String,
        notBefore: Date,
        notAfter: Date,
        certificate: Certificate
    ) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.serialNumber = serialNumber
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.certificate = certificate
    }
}

/// The device a verified client certificate belongs to.
public struct DeviceCertificateIdentity: Sendable, Hashable {
    public let productId: String
    public let deviceName: String
    /// Serial number, lowercase hex without separators (same form as ``IssuedCredential/serialNumber``).
    public let serialNumber: String
    /// SHA-256 of the certificate's DER, lowercase hex without separators.
    public let fingerprintSHA256: String
    public let notAfter: Date

    /// The MQTT ClientId this certificate authenticates: `{productId}{deviceName}`.
    public var clientId: String { productId + deviceName }

    public init(productId: String, deviceName: String, serialNumber: String, fingerprintSHA256: String, notAfter: Date) {
        self.productId = productId
        self.deviceName = deviceName
        self.serialNumber = serialNumber
        self.fingerprintSHA256 = fingerprintSHA256
        self.notAfter = notAfter
    }
}
