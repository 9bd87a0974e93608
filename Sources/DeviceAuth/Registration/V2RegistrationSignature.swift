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
        stringToSign(path: path, host: host, algorithmHeader: algorithmHeader, timestamp: timestamp, nonce: nonce, hashedPayload: hashedPayload)
    }

    /// The same string-to-sign for another request path.
    static func stringToSign(
        path: String,
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
    /// Tries the candidate hosts in order, each with every body hash the algorithm allows
    /// (``Algorithm/acceptedBodyHashes``), and stops at the first candidate that matches: a request signed
    /// over its `Host` header (the usual case) costs one MAC. Each comparison is constant-time; which
    /// candidate matched (and so how many MACs were computed) depends only on the host and hash the client
    /// signed with, never on the secret or on how close a wrong signature came. An unknown
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
        verify(
            signature: signature, key: productSecret, path: path, candidateHosts: candidateHosts,
            algorithmHeader: algorithmHeader, timestamp: timestamp, nonce: nonce, body: body
        )
    }

    /// ``verify(signature:productSecret:candidateHosts:algorithmHeader:timestamp:nonce:body:)`` for any
    /// request path of the same scheme (the log upload's `/device/reportlog` signs the same way).
    static func verify(
        signature: String,
        key: String,
        path: String,
        candidateHosts: [String],
        algorithmHeader: String,
        timestamp: String,
        nonce: String,
        body: [UInt8]
    ) -> Bool {
        guard let algorithm = Algorithm(headerValue: algorithmHeader) else { return false }
        let keyBytes = Array(key.utf8)
        switch algorithm {
        case .hmacSHA256:
            return firstMatch(KeyedHMAC<SHA256>(key: keyBytes), algorithm: algorithm, signature: signature, path: path, hosts: candidateHosts,
                algorithmHeader: algorithmHeader, timestamp: timestamp, nonce: nonce, body: body)
        case .hmacSHA1:
            return firstMatch(KeyedHMAC<Insecure.SHA1>(key: keyBytes), algorithm: algorithm, signature: signature, path: path, hosts: candidateHosts,
                algorithmHeader: algorithmHeader, timestamp: timestamp, nonce: nonce, body: body)
        }
    }

    private static let method = Array("POST\n".utf8)

    /// Whether the Base64 MAC of `"POST\n" + host + rest` matches `signature` for some host and accepted
    /// body hash; stops at the first match.
    private static func firstMatch<H: HashFunction>(
        _ keyed: KeyedHMAC<H>,
        algorithm: Algorithm,
        signature: String,
        path: String,
        hosts: [String],
        algorithmHeader: String,
        timestamp: String,
        nonce: String,
        body: [UInt8]
    ) -> Bool {
        let expected = Array(signature.utf8)
        // The string-to-sign is "POST\n" + host + rest; `rest` per accepted body hash, built when first needed.
        var rests: [[UInt8]?] = Array(repeating: nil, count: algorithm.acceptedBodyHashes.count)
        for host in hosts {
            let hostBytes = Array(host.utf8)
            for (index, bodyHash) in algorithm.acceptedBodyHashes.enumerated() {
                let rest: [UInt8]
                if let built = rests[index] {
                    rest = built
                } else {
                    var text: [UInt8] = []
                    text.reserveCapacity(96 + algorithmHeader.utf8.count + timestamp.utf8.count + nonce.utf8.count)
                    text.append(UInt8(ascii: "\n"))
                    text += path.utf8
                    text += "\n\n".utf8
                    text += algorithmHeader.utf8
                    text.append(UInt8(ascii: "\n"))
                    text += timestamp.utf8
                    text.append(UInt8(ascii: "\n"))
                    text += nonce.utf8
                    text.append(UInt8(ascii: "\n"))
                    text += bodyHash.hexDigest(of: body).utf8
                    rest = text
                    rests[index] = rest
                }
                let mac = keyed.authenticationCode(method, hostBytes, rest)
                if ConstantTime.equals(Base64.encode(mac).utf8, expected) { return true }
            }
        }
        return false
    }
}

/// HMAC (RFC 2104) with the key schedule done once: the hash states after the inner and outer padded keys,
/// copied for each message. The same MAC as swift-crypto's `HMAC<H>`, fed through the hash function's
/// `update(bufferPointer:)` (its generic `update(data:)` walks a `DataProtocol`'s regions through unspecialized
/// generic code, which cost more than the hashing for these short messages).
struct KeyedHMAC<H: HashFunction> {
    private let inner: H
    private let outer: H

    init(key: [UInt8]) {
        var block = key.count > H.blockByteCount ? Array(H.hash(data: key)) : key
        block += [UInt8](repeating: 0, count: H.blockByteCount - block.count)
        var pad = block.map { $0 ^ 0x36 }
        var inner = H()
        pad.withUnsafeBytes { inner.update(bufferPointer: $0) }
        for index in pad.indices { pad[index] = block[index] ^ 0x5C }
        var outer = H()
        pad.withUnsafeBytes { outer.update(bufferPointer: $0) }
        // Key material not left behind in freed memory.
        for index in pad.indices {
            pad[index] = 0
            block[index] = 0
        }
        self.inner = inner
        self.outer = outer
    }

    /// The MAC of the concatenation of `parts`.
    func authenticationCode(_ parts: [UInt8]...) -> [UInt8] {
        var inner = self.inner
        for part in parts { part.withUnsafeBytes { inner.update(bufferPointer: $0) } }
        let innerDigest = inner.finalize()
        var outer = self.outer
        innerDigest.withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize().withUnsafeBytes { Array($0) }
    }
}

typealias KeyedHMACSHA256 = KeyedHMAC<SHA256>
typealias KeyedHMACSHA1 = KeyedHMAC<Insecure.SHA1>
