/// The MQTT password of a key device: `{hex HMAC(key = decoded DeviceSecret, msg = username)};{method}`
/// (device-protocol.md §5.3).
public enum MQTTPassword {
    /// An HMAC method a password can be made with.
    public enum Method: String, Sendable, Hashable, CaseIterable {
        case hmacSHA1 = "hmacsha1"
        case hmacSHA256 = "hmacsha256"
    }

    /// The outcome of checking a password.
    public enum Verification: Sendable, Hashable {
        /// The HMAC matches.
        case ok
        /// The method after the last `;` is none of `hmacsha1`, `hmacsha256`, `rsa-sha256`.
        case unknownMethod
        /// No `;`, or the signature part is not hex text.
        case malformed
        /// Well-formed, known method, wrong signature.
        case mismatch
        /// `rsa-sha256` (certificate devices over WebSocket): verify `signatureHex` (an
        /// RSA-SHA256 signature of the username) with the device certificate's public key.
        case requiresCertificate(signatureHex: String)
        /// The stored DeviceSecret is not valid Base64, so no key can be derived.
        case invalidDeviceSecret
    }

    /// Builds a password for `username`.
    /// - Throws: ``DeviceAuthError/Code/invalidDeviceSecret`` if `devicePSK` is not a valid PSK.
    public static func make(username: String, devicePSK: String, method: Method) throws -> String {
        guard let key = DeviceIdentifiers.pskKeyBytes(devicePSK) else {
            throw DeviceAuthError(.invalidDeviceSecret, "DeviceSecret is not Base64 of 1...48 bytes")
        }
        return Hex.encode(mac(method, key: key, username: username)) + ";" + method.rawValue
    }

    /// Checks `password` against `username` (exactly as received) and the device's secret.
    ///
    /// Splits at the last `;`; the method is case-insensitive; the hex signature is
    /// compared case-insensitively in constant time. Any method is accepted with any sdkappid.
    public static func verify(password: String, username: String, devicePSK: String) -> Verification {
        guard let separator = password.lastIndex(of: ";") else { return .malformed }
        let signatureHex = password[..<separator]
        let methodText = password[password.index(after: separator)...].lowercased()
        let method = Method(rawValue: methodText)
        guard method != nil || methodText == rsaMethod else { return .unknownMethod }
        guard !signatureHex.isEmpty, let signature = Hex.decode(signatureHex) else { return .malformed }
        guard let method else { return .requiresCertificate(signatureHex: String(signatureHex)) }
        guard let key = DeviceIdentifiers.pskKeyBytes(devicePSK) else { return .invalidDeviceSecret }
        let expected = mac(method, key: key, username: username)
        return ConstantTime.equals(expected, signature) ? .ok : .mismatch
    }

    private static let rsaMethod = "rsa-sha256"

    private static func mac(_ method: Method, key: [UInt8], username: String) -> [UInt8] {
        switch method {
        case .hmacSHA1: MAC.hmacSHA1(key: key, message: username.utf8)
        case .hmacSHA256: MAC.hmacSHA256(key: key, message: username.utf8)
        }
    }
}
