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
    /// A DeviceSecret as ``DeviceIdentifiers/generatePSK()`` makes it (standard Base64 of
    /// `DeviceIdentifiers.pskByteCount` bytes from the system CSPRNG), with the bytes drawn eight at a time:
    /// two `getrandom` calls instead of one per byte.
    public static func systemPSK() -> String {
        var generator = SystemRandomNumberGenerator()
        let count = DeviceIdentifiers.pskByteCount
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let word = generator.next()
            withUnsafeBytes(of: word) { bytes.append(contentsOf: $0.prefix(count - bytes.count)) }
        }
        return Data(bytes).base64EncodedString()
    }
}
