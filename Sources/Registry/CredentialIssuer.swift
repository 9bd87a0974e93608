import Foundation
import Logging
import DeviceAuth

/// Issues device credentials: a PSK for key products, a certificate and private key for certificate
/// products. The hub wires the certificate side to its CA.
public struct CredentialIssuer: Sendable {
    public var issueCertificate: @Sendable (_ device: DeviceKey) throws -> DeviceCredential
    public var generatePSK: @Sendable () -> String

    public init(
        issueCertificate: @escaping @Sendable (_ device: DeviceKey) throws -> DeviceCredential,
        generatePSK: @escaping @Sendable () -> String = { CredentialIssuer.systemPSK() }
    ) {
        self.issueCertificate = issueCertificate
        self.generatePSK = generatePSK
    }

    func issue(for device: DeviceKey, encryption: EncryptionType) throws -> DeviceCredential {
        switch encryption {
        case .psk: return .psk(generatePSK())
        case .certificate: return try issueCertificate(device)
        }
    }
}

extension CredentialIssuer {
    /// A DeviceSecret from the system CSPRNG: ``DeviceIdentifiers/generatePSK()`` (standard Base64 of
    /// `DeviceIdentifiers.pskByteCount` bytes, drawn from ``SecureRandom``'s pool rather than with a
    /// `getrandom` call per eight bytes).
    public static func systemPSK() -> String {
        DeviceIdentifiers.generatePSK()
    }
}
