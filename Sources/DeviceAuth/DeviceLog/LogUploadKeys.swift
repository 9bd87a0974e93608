/// The HMAC keys a device signs its log uploads with (device-protocol.md §7.5.1, §7.5.3): not the decoded
/// DeviceSecret but the first 24 characters of a text (`SIGN_KEY_SIZE` in the C SDKs).
public enum LogUploadKeys {
    /// Characters of the key text the C SDKs use.
    public static let keyLength = 24

    /// PSK devices: the first 24 characters of the DeviceSecret text, then the whole text if it is longer
    /// (a client that passes the full psk).
    public static func candidates(psk: String) -> [String] {
        let prefix = String(psk.prefix(keyLength))
        return psk.count > keyLength ? [prefix, psk] : [prefix]
    }

    /// Certificate devices: the first 24 characters of the first Base64 line after the `-----BEGIN ` line of
    /// the device certificate. Empty when the PEM has no such line.
    public static func candidates(certificatePEM: String) -> [String] {
        var afterBegin = false
        for line in certificatePEM.split(whereSeparator: \.isNewline) {
            if afterBegin {
                let text = String(line).trimmingASCIIWhitespace()
                return text.isEmpty ? [] : [String(text.prefix(keyLength))]
            }
            if line.hasPrefix("-----BEGIN ") { afterBegin = true }
        }
        return []
    }
}
