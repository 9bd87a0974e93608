import Foundation

extension RegistrationPayload {
    /// `{"encryptionType":2,"psk":"…"}`, exact compact text (53 bytes for a 24-character psk).
    public static func pskPlaintext(psk: String) -> [UInt8] {
        // Printable ASCII other than `"` and `\` (every Base64 DeviceSecret) is quoted as it is; written
        // byte by byte, without JSONText's scalar-by-scalar pass.
        guard psk.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else {
            return Array("{\"encryptionType\":2,\"psk\":\(JSONText.quoted(psk))}".utf8)
        }
        var text: [UInt8] = []
        text.reserveCapacity(pskPrefix.count + psk.utf8.count + 2)
        text += pskPrefix
        text += psk.utf8
        text += pskSuffix
        return text
    }

    private static let pskPrefix = Array("{\"encryptionType\":2,\"psk\":\"".utf8)
    private static let pskSuffix = Array("\"}".utf8)

    /// `{"encryptionType":1,"clientCert":"…","clientKey":"…"}` with standard JSON escaping
    /// (PEM line breaks become `\n`).
    public static func certificatePlaintext(certificatePEM: String, privateKeyPEM: String) -> [UInt8] {
        let text =
            "{\"encryptionType\":1,\"clientCert\":\(JSONText.quoted(certificatePEM)),"
            + "\"clientKey\":\(JSONText.quoted(privateKeyPEM))}"
        return Array(text.utf8)
    }

    /// The plaintext for `credential`.
    public static func plaintext(for credential: RegistrationCredential) -> [UInt8] {
        switch credential {
        case .psk(let psk):
            pskPlaintext(psk: psk)
        case .certificate(let certificatePEM, let privateKeyPEM):
            certificatePlaintext(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
        }
    }

    /// Parses a decrypted plaintext. Trailing NUL bytes are ignored; `encryptionType` may be
    /// an integer or a decimal string.
    public static func parsePlaintext(_ plaintext: [UInt8]) throws -> RegistrationCredential {
        var bytes = plaintext
        while bytes.last == 0 {
            bytes.removeLast()
        }
        let fields: PlaintextFields
        do {
            fields = try JSONDecoder().decode(PlaintextFields.self, from: Data(bytes))
        } catch {
            throw DeviceAuthError(
                .malformedPlaintext,
                "registration plaintext is not the expected JSON",
                underlying: error
            )
        }
        switch fields.encryptionType.value {
        case "2":
            guard let psk = fields.psk else {
                throw DeviceAuthError(.malformedPlaintext, "encryptionType 2 without psk")
            }
            return .psk(psk)
        case "1":
            guard let certificate = fields.clientCert, let key = fields.clientKey else {
                throw DeviceAuthError(.malformedPlaintext, "encryptionType 1 without clientCert and clientKey")
            }
            return .certificate(certificatePEM: certificate, privateKeyPEM: key)
        default:
            throw DeviceAuthError(.malformedPlaintext, "unknown encryptionType \(fields.encryptionType.value)")
        }
    }
}

private struct PlaintextFields: Decodable {
    var encryptionType: DecimalText
    var psk: String?
    var clientCert: String?
    var clientKey: String?
}
