/// A parsed `Authorization: TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header.
///
/// Parsing checks only the structure (verification step 1 of cloud-api.md §3.2); the scope values
/// are checked by `TC3Verifier` later.
public struct TC3Authorization: Sendable, Equatable {
    public var algorithm: String
    public var secretId: String
    /// Scope date as sent (`YYYY-MM-DD` expected).
    public var date: String
    /// Scope service as sent (`iotcloud` expected).
    public var service: String
    /// `SignedHeaders` exactly as sent (used verbatim in the canonical request).
    public var signedHeaders: String
    /// Lower-cased header names from `SignedHeaders`, in the order sent.
    public var signedHeaderNames: [String]
    /// Lower-cased hex signature (64 characters).
    public var signature: String

    /// Parses a header value; the error message says what is wrong.
    public static func parse(_ header: String) throws(APIError) -> TC3Authorization {
        let trimmed = header.trimmingASCIIWhitespace()
        guard let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
            throw .invalidAuthorization("The Authorization header is malformed.")
        }
        let algorithm = String(trimmed[..<space])
        guard algorithm == TC3Signer.algorithm else {
            throw .invalidAuthorization("Unsupported signature algorithm `\(algorithm)`; expected TC3-HMAC-SHA256.")
        }
        var credential: String?
        var signedHeaders: String?
        var signature: String?
        for part in trimmed[trimmed.index(after: space)...].split(separator: ",") {
            let item = part.trimmingASCIIWhitespace()
            guard let equals = item.firstIndex(of: "=") else {
                throw .invalidAuthorization("The Authorization header is malformed.")
            }
            let key = item[..<equals].trimmingASCIIWhitespace()
            let value = item[item.index(after: equals)...].trimmingASCIIWhitespace()
            switch key {
            case "Credential": credential = value
            case "SignedHeaders": signedHeaders = value
            case "Signature": signature = value
            default: continue
            }
        }
        guard let credential, let signedHeaders, let signature else {
            throw .invalidAuthorization("The Authorization header must contain Credential, SignedHeaders and Signature.")
        }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 4, !scope[0].isEmpty, !scope[1].isEmpty, !scope[2].isEmpty,
              scope[3] == TC3Signer.terminator
        else {
            throw .invalidAuthorization("Credential must be SecretId/YYYY-MM-DD/service/tc3_request.")
        }
        let names = signedHeaders.split(separator: ";", omittingEmptySubsequences: false)
            .map { $0.trimmingASCIIWhitespace().lowercased() }
        guard !names.contains(where: \.isEmpty), names.contains("host") else {
            throw .invalidAuthorization("SignedHeaders must list the signed header names and include host.")
        }
        guard signature.utf8.count == 64, signature.utf8.allSatisfy(Self.isHexDigit) else {
            throw .invalidAuthorization("Signature must be 64 hexadecimal characters.")
        }
        return TC3Authorization(
            algorithm: algorithm,
            secretId: scope[0],
            date: scope[1],
            service: scope[2],
            signedHeaders: signedHeaders,
            signedHeaderNames: names,
            signature: signature.lowercased()
        )
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
             UInt8(ascii: "A")...UInt8(ascii: "F"):
            return true
        default:
            return false
        }
    }
}
