import DeviceAuth
import Foundation

/// 256-bit random tokens (session ids, CSRF tokens) from the system's CSPRNG, as URL-safe base64.
enum RandomToken {
    static func make() -> String {
        base64URL(SecureRandom.bytes(32))
    }

    /// Base64url without padding (RFC 4648 §5).
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
