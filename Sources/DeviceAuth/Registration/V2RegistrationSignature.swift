import Crypto
import Foundation

/// The request signature of the v2 `POST /device/register` endpoint (device-protocol.md §3.2).
///
/// String-to-sign: `POST`, host, `/device/register`, empty query, the `X-TC-Algorithm` value
/// verbatim, timestamp, nonce and the hex body hash, joined with LF.
/// Signature: Base64 of the raw HMAC (44 characters for SHA-256, 28 for SHA-1).
public enum V2RegistrationSignature {
    /// The request path; part of the string-to-sign.
    public static let path = "/device/register"
    /// The host name the SDKs use by default; always a candidate host.
    public static let defaultHost = "ap-guangzhou.gateway.tencentdevices.com"

    /// The MAC named by the `X-TC-Algorithm` header.
    public enum Algorithm: Sendable, Hashable, CaseIterable {
        case hmacSHA256
        case hmacSHA1

        /// Parses the header value case-insensitively (`hmacsha256`, `HmacSha256`, `hmacsha1`).
        public init?(headerValue: some StringProtocol) {
            switch headerValue.lowercased() {
            case "hmacsha256": self = .hmacSHA256
            case "hmacsha1": self = .hmacSHA1
            default: return nil
            }
        }

        /// The lowercase header value the SDKs send.
        public var headerValue: String {
            switch self {
            case .hmacSHA256: "hmacsha256"
            case .hmacSHA1: "hmacsha1"
            }
        }

        /// The body hashes a verifier accepts: SHA-256 always, and SHA-1 too for `hmacsha1`
        /// (the C SDK hashes with SHA-1, the vendor docs say SHA-256).
        public var acceptedBodyHashes: [BodyHash] {
            switch self {
            case .hmacSHA256: [.sha256]
            case .hmacSHA1: [.sha1, .sha256]
            }
        }

        /// The body hash a client uses when signing: SHA-1 for `hmacsha1` (as the C SDK), else SHA-256.
        public var signingBodyHash: BodyHash {
            switch self {
            case .hmacSHA256: .sha256
            case .hmacSHA1: .sha1
            }
        }
    }

    /// The digest of the request body that goes into the string-to-sign.
    public enum BodyHash: Sendable, Hashable, CaseIterable {
        case sha1
        case sha256

        /// Lowercase hex digest of `body`.
        public func hexDigest(of body: some Collection<UInt8>) -> String {
            switch self {
            case .sha1: MAC.sha1Hex(body)
            case .sha256: MAC.sha256Hex(body)
            }
        }
    }

    /// The eight LF-joined fields (no trailing LF).
    public static func stringToSign(
        host: String,
        algorithmHeader: String,
        timestamp: String,
        nonce: String,
        hashedPayload: String
    ) -> String {
        ["POST", host, path, "", algorithmHeader, timestamp, nonce, hashedPayload].joined(separator: "\n")
    }

    /// Base64 of the raw HMAC of `stringToSign` keyed with the ProductSecret bytes.
    public static func sign(stringToSign: String, productSecret: String, algorithm: Algorithm) -> String {
        let key = Array(productSecret.utf8)
        let mac: [UInt8] =
            switch algorithm {
            case .hmacSHA256: MAC.hmacSHA256(key: key, message: stringToSign.utf8)
            case .hmacSHA1: MAC.hmacSHA1(key: key, message: stringToSign.utf8)
            }
        return Base64.encode(mac)
    }

    /// Signs a request as a client does: `algorithm.headerValue` in the string-to-sign and
    /// `algorithm.signingBodyHash` unless `bodyHash` is given.
    public static func sign(
        host: String,
        algorithm: Algorithm,
        timestamp: String,
        nonce: String,
        body: [UInt8],
        productSecret: String,
        bodyHash: BodyHash? = nil
    ) -> String {
        let text = stringToSign(
            host: host,
            algorithmHeader: algorithm.headerValue,
            timestamp: timestamp,
            nonce: nonce,
            hashedPayload: (bodyHash ?? algorithm.signingBodyHash).hexDigest(of: body)
        )
        return sign(stringToSign: text, productSecret: productSecret, algorithm: algorithm)
    }

    /// Verifies a request signature as the hub does.
    ///
    /// Tries every candidate host and every body hash the algorithm allows
    /// (``Algorithm/acceptedBodyHashes``), comparing in constant time. An unknown
    /// `algorithmHeader` never verifies.
    ///
    /// The same MACs as ``sign(stringToSign:productSecret:algorithm:)`` over
    /// ``stringToSign(host:algorithmHeader:timestamp:nonce:hashedPayload:)``, computed with the
    /// key schedule done once and the parts shared by every candidate encoded once.
    public static func verify(
        signature: String,
        productSecret: String,
        candidateHosts: [String],
        algorithmHeader: String,
        timestamp: String,
        nonce: String,
        body: [UInt8]
    ) -> Bool {
        guard let algorithm = Algorithm(headerValue: algorithmHeader) else { return false }
        let key = SymmetricKey(data: Array(productSecret.utf8))
        var matched = false
        for bodyHash in algorithm.acceptedBodyHashes {
            // The string-to-sign is "POST\n" + host + this.
            let rest = Array(
                ("\n" + path + "\n\n" + algorithmHeader + "\n" + timestamp + "\n" + nonce + "\n" + bodyHash.hexDigest(of: body)).utf8
            )
            let expected: [String] =
                switch algorithm {
                case .hmacSHA256: signatures(HMAC<SHA256>(key: key), hosts: candidateHosts, rest: rest)
                case .hmacSHA1: signatures(HMAC<Insecure.SHA1>(key: key), hosts: candidateHosts, rest: rest)
                }
            for candidate in expected {
                // No early exit: every candidate costs the same whichever one matches.
                matched = ConstantTime.equals(candidate, signature) || matched
            }
        }
        return matched
    }

    private static let method = Array("POST\n".utf8)

    /// Base64 of the MAC of `"POST\n" + host + rest` for each host, from one keyed state.
    private static func signatures<H: HashFunction>(_ keyed: HMAC<H>, hosts: [String], rest: [UInt8]) -> [String] {
        hosts.map { host in
            var mac = keyed
            mac.update(data: method)
            mac.update(data: Array(host.utf8))
            mac.update(data: rest)
            return Base64.encode(Array(mac.finalize()))
        }
    }
}
