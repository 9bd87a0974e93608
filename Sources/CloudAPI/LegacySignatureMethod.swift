/// The `SignatureMethod` of the legacy (API 2.0-style) signatures (cloud-api.md §3.3).
public enum LegacySignatureMethod: String, Sendable, Hashable, CaseIterable {
    case hmacSHA256 = "HmacSHA256"
    case hmacSHA1 = "HmacSHA1"

    func mac(key: [UInt8], message: some Sequence<UInt8>) -> [UInt8] {
        switch self {
        case .hmacSHA256: return Digests.hmacSHA256(key: key, message: message)
        case .hmacSHA1: return Digests.hmacSHA1(key: key, message: message)
        }
    }
}
