/// The signature of the v2 log upload `POST /device/reportlog` (device-protocol.md §7.5.2): the scheme of
/// the v2 registration (§3.2) over this path, keyed with a ``LogUploadKeys`` text instead of the
/// ProductSecret.
///
/// String-to-sign: `POST\n{CanonicalHost}\n/device/reportlog\n\n{algorithm}\n{timestamp}\n{nonce}\n{HashedPayload}`.
/// C33 signs `hmacsha1` over the SHA-1 body hash, Java `hmacsha256` over SHA-256; for `hmacsha1` both body
/// hashes are accepted. `rsa-sha256` (certificate devices) is not verified here: the hub's device
/// certificates carry ECDSA keys, with which no RSA signature can verify.
public enum V2LogUploadSignature {
    /// The request path; part of the string-to-sign.
    public static let path = "/device/reportlog"

    /// The regional log hosts of the C SDK 3.3.0 besides ``V2RegistrationSignature/defaultHost``.
    public static let regionalHosts = [
        "us-east.gateway.tencentdevices.com",
        "europe.gateway.tencentdevices.com",
        "ap-bangkok.gateway.tencentdevices.com",
    ]

    /// The CanonicalHost candidates: those of the v2 registration (the `Host` header without port, the
    /// configured hub names, `ap-guangzhou.gateway.tencentdevices.com`), then the other regional hosts.
    public static func candidateHosts(hostHeader: String?, configuredHosts: [String]) -> [String] {
        var hosts = V2RegistrationSignature.candidateHosts(hostHeader: hostHeader, configuredHosts: configuredHosts)
        for host in regionalHosts where !hosts.contains(host) { hosts.append(host) }
        return hosts
    }

    public static func stringToSign(host: String, algorithmHeader: String, timestamp: String, nonce: String, hashedPayload: String) -> String {
        V2RegistrationSignature.stringToSign(
            path: path, host: host, algorithmHeader: algorithmHeader, timestamp: timestamp, nonce: nonce, hashedPayload: hashedPayload
        )
    }

    /// Signs as a device does: `algorithm.headerValue` verbatim, `algorithm.signingBodyHash` unless
    /// `bodyHash` is given; Base64 of the raw HMAC keyed with the UTF-8 bytes of `key`.
    public static func sign(
        host: String,
        algorithm: V2RegistrationSignature.Algorithm,
        timestamp: String,
        nonce: String,
        body: [UInt8],
        key: String,
        bodyHash: V2RegistrationSignature.BodyHash? = nil
    ) -> String {
        let text = stringToSign(
            host: host, algorithmHeader: algorithm.headerValue, timestamp: timestamp, nonce: nonce,
            hashedPayload: (bodyHash ?? algorithm.signingBodyHash).hexDigest(of: body)
        )
        return V2RegistrationSignature.sign(stringToSign: text, productSecret: key, algorithm: algorithm)
    }

    /// Whether `signature` verifies under one of `keys`, for one of `candidateHosts` and an accepted body
    /// hash. Every key is tried (constant-time comparisons; the number of MACs depends only on the host and
    /// hash the client signed with and on the number of keys). An unknown algorithm never verifies.
    public static func verify(
        signature: String,
        keys: [String],
        candidateHosts: [String],
        algorithmHeader: String,
        timestamp: String,
        nonce: String,
        body: [UInt8]
    ) -> Bool {
        var matched = false
        for key in keys {
            if V2RegistrationSignature.verify(
                signature: signature, key: key, path: path, candidateHosts: candidateHosts,
                algorithmHeader: algorithmHeader, timestamp: timestamp, nonce: nonce, body: body
            ) {
                matched = true
            }
        }
        return matched
    }
}
