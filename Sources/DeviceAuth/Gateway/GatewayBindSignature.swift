import Crypto
import Foundation

/// The signature a gateway sends in a `bind` request for a sub-device (device-protocol.md §6.10.5).
///
/// String-to-sign `{product_id}{device_name};{random};{timestamp}`; the key is the sub-device's DeviceSecret
/// **as text** (the ASCII bytes of the Base64 string, not decoded) for `psk`, or the lowercase hex MD5 of the
/// sub-device's certificate file for `certificate` (C SDK); `signature` is standard Base64 of the raw MAC.
public enum GatewayBindSignature {
    public enum Method: String, Sendable, CaseIterable {
        case hmacSHA1 = "hmacsha1"
        case hmacSHA256 = "hmacsha256"

        /// Case-insensitive, as the spec decides.
        public init?(wire: String) {
            self.init(rawValue: wire.lowercased())
        }
    }

    public static func stringToSign(productId: String, deviceName: String, random: Int64, timestamp: Int64) -> String {
        "\(productId)\(deviceName);\(random);\(timestamp)"
    }

    /// Base64 of the MAC over the string-to-sign with `key` (the secret text).
    public static func sign(productId: String, deviceName: String, random: Int64, timestamp: Int64, key: String, method: Method) -> String {
        let message = Data(stringToSign(productId: productId, deviceName: deviceName, random: random, timestamp: timestamp).utf8)
        let symmetric = SymmetricKey(data: Data(key.utf8))
        switch method {
        case .hmacSHA1: return Data(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: symmetric)).base64EncodedString()
        case .hmacSHA256: return Data(HMAC<SHA256>.authenticationCode(for: message, using: symmetric)).base64EncodedString()
        }
    }

    /// Whether `signature` is right for one of `keys` (constant-time comparison of the Base64 text).
    public static func verify(
        _ signature: String, productId: String, deviceName: String, random: Int64, timestamp: Int64, keys: [String], method: Method
    ) -> Bool {
        var matched = false
        for key in keys {
            let expected = sign(productId: productId, deviceName: deviceName, random: random, timestamp: timestamp, key: key, method: method)
            if ConstantTime.equals(expected, signature) { matched = true }
        }
        return matched
    }

    /// The keys a `certificate` bind may have been signed with, from the certificate PEM the hub issued: the
    /// C SDK signs with the lowercase hex MD5 of the certificate file as stored on the gateway. The server
    /// rule is not documented, so the PEM as issued and with a trailing newline added or removed are tried,
    /// each as MD5 and (the vendor docs' wording) SHA-1 hex.
    public static func certificateKeys(certificatePEM: String) -> [String] {
        var texts = [certificatePEM]
        if certificatePEM.hasSuffix("\n") { texts.append(String(certificatePEM.dropLast())) } else { texts.append(certificatePEM + "\n") }
        var keys: [String] = []
        for text in texts {
            keys.append(MD5Digest.hex(of: Array(text.utf8)))
            keys.append(Hex.encode(Insecure.SHA1.hash(data: Data(text.utf8))))
        }
        return keys
    }
}
