/// Client-side TC3-HMAC-SHA256 signing (cloud-api.md §3.1), byte-compatible with the official SDKs.
public struct TC3Signer: Sendable {
    public static let algorithm = "TC3-HMAC-SHA256"
    public static let terminator = "tc3_request"
    /// SHA-256 of the empty string: the hashed payload of a GET.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    /// `X-TC-Content-SHA256` value selecting the unsigned-payload mode.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public var secretId: String
    public var secretKey: String
    public var service: String

    public init(secretId: String, secretKey: String, service: String = "iotcloud") {
        self.secretId = secretId
        self.secretKey = secretKey
        self.service = service
    }

    /// Signs one request.
    ///
    /// - Parameters:
    ///   - method: `POST` or `GET`.
    ///   - host: the `Host` header value exactly as it will be sent (`127.0.0.1:8080`, or with a scheme).
    ///   - canonicalQueryString: `""` for POST; the query string exactly as sent for GET.
    ///   - contentType: the `Content-Type` header value as sent.
    ///   - body: the exact body bytes.
    ///   - timestamp: the `X-TC-Timestamp` value (Unix seconds).
    ///   - additionalSignedHeaders: headers signed besides `content-type` and `host` (values as sent).
    ///   - unsignedPayload: hash the literal `UNSIGNED-PAYLOAD` instead of the body.
    public func sign(
        method: String,
        host: String,
        canonicalQueryString: String = "",
        contentType: String,
        body: [UInt8],
        timestamp: Int64,
        additionalSignedHeaders: [(name: String, value: String)] = [],
        unsignedPayload: Bool = false
    ) -> TC3Signature {
        var headers: [(name: String, value: String)] = [("content-type", contentType), ("host", host)]
        headers += additionalSignedHeaders.map { ($0.name.lowercased(), $0.value) }
        headers.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let hashedPayload = unsignedPayload
            ? Digests.sha256Hex(Self.unsignedPayload.utf8)
            : Digests.sha256Hex(body)
        return Self.sign(
            secretId: secretId,
            secretKey: secretKey,
            service: service,
            method: method,
            canonicalQueryString: canonicalQueryString,
            canonicalHeaders: headers,
            signedHeaders: headers.map(\.name).joined(separator: ";"),
            hashedPayload: hashedPayload,
            timestamp: timestamp
        )
    }

    /// The core algorithm over explicit canonical parts (used by the verifier as well).
    /// `canonicalHeaders` are (lower-case name, value) in the order they are signed.
    public static func sign(
        secretId: String,
        secretKey: String,
        service: String,
        method: String,
        canonicalQueryString: String,
        canonicalHeaders: [(name: String, value: String)],
        signedHeaders: String,
        hashedPayload: String,
        timestamp: Int64
    ) -> TC3Signature {
        let date = UTCDate.dateString(unixSeconds: timestamp)
        let credentialScope = "\(date)/\(service)/\(terminator)"
        let canonicalRequest = Self.canonicalRequest(
            method: method,
            canonicalQueryString: canonicalQueryString,
            canonicalHeaders: canonicalHeaders,
            signedHeaders: signedHeaders,
            hashedPayload: hashedPayload
        )
        let canonicalRequestHash = Digests.sha256Hex(canonicalRequest.utf8)
        let stringToSign = Self.stringToSign(
            timestamp: timestamp,
            credentialScope: credentialScope,
            canonicalRequestHash: canonicalRequestHash
        )
        let key = signingKey(secretKey: secretKey, date: date, service: service).signing
        let signature = Digests.hex(Digests.hmacSHA256(key: key, message: stringToSign.utf8))
        let authorization = "\(algorithm) Credential=\(secretId)/\(credentialScope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return TC3Signature(
            date: date,
            credentialScope: credentialScope,
            hashedPayload: hashedPayload,
            canonicalRequest: canonicalRequest,
            canonicalRequestHash: canonicalRequestHash,
            stringToSign: stringToSign,
            signedHeaders: signedHeaders,
            signature: signature,
            authorization: authorization
        )
    }

    /// `METHOD\n/\nQUERY\nname:value\n…\nSIGNEDHEADERS\nHASHEDPAYLOAD` (each header line ends in LF,
    /// so a blank line precedes the signed-header list).
    public static func canonicalRequest(
        method: String,
        canonicalQueryString: String,
        canonicalHeaders: [(name: String, value: String)],
        signedHeaders: String,
        hashedPayload: String
    ) -> String {
        let headerBlock = canonicalHeaders.map { "\($0.name):\($0.value)\n" }.joined()
        return "\(method)\n/\n\(canonicalQueryString)\n\(headerBlock)\n\(signedHeaders)\n\(hashedPayload)"
    }

    public static func stringToSign(timestamp: Int64, credentialScope: String, canonicalRequestHash: String) -> String {
        "\(algorithm)\n\(timestamp)\n\(credentialScope)\n\(canonicalRequestHash)"
    }

    /// `kDate = HMAC("TC3" + SecretKey, date)`, `kService = HMAC(kDate, service)`,
    /// `kSigning = HMAC(kService, "tc3_request")`.
    public static func signingKey(
        secretKey: String,
        date: String,
        service: String
    ) -> (date: [UInt8], service: [UInt8], signing: [UInt8]) {
        let kDate = Digests.hmacSHA256(key: Array(("TC3" + secretKey).utf8), message: date.utf8)
        let kService = Digests.hmacSHA256(key: kDate, message: service.utf8)
        let kSigning = Digests.hmacSHA256(key: kService, message: terminator.utf8)
        return (kDate, kService, kSigning)
    }

    /// UTC `YYYY-MM-DD` of a Unix timestamp (the credential-scope date).
    public static func utcDate(timestamp: Int64) -> String {
        UTCDate.dateString(unixSeconds: timestamp)
    }

    /// All headers of a TC3 `POST` with a JSON body, in the order the Python SDK sends them:
    /// `Content-Type`, `Host`, `X-TC-Action`, `X-TC-Timestamp`, `X-TC-Version`, `X-TC-Region` (if any),
    /// `X-TC-Language` (if any), `X-TC-RequestClient` (if any), `Authorization`.
    ///
    /// `signsActionHeaders`: also sign `x-tc-action`, `x-tc-version` and `x-tc-region` (if any). The
    /// official SDKs sign only `content-type;host`, so two of their requests with the same body in the same
    /// second carry the same signature, and a hub that refuses replays (`APIReplayCache`) refuses the second
    /// if its action differs; signing the action makes each request's signature its own. TC3 allows any
    /// extra signed headers, so TencentCloud accepts such requests too.
    public func postJSONHeaders(
        action: String,
        version: String,
        host: String,
        body: [UInt8],
        timestamp: Int64,
        region: String? = nil,
        language: String? = nil,
        requestClient: String? = nil,
        signsActionHeaders: Bool = false
    ) -> [(name: String, value: String)] {
        let contentType = "application/json"
        var signed: [(name: String, value: String)] = []
        if signsActionHeaders {
            signed = [("x-tc-action", action), ("x-tc-version", version)]
            if let region { signed.append(("x-tc-region", region)) }
        }
        let signature = sign(method: "POST", host: host, contentType: contentType, body: body, timestamp: timestamp, additionalSignedHeaders: signed)
        var headers: [(name: String, value: String)] = [
            ("Content-Type", contentType),
            ("Host", host),
            ("X-TC-Action", action),
            ("X-TC-Timestamp", String(timestamp)),
            ("X-TC-Version", version),
        ]
        if let region { headers.append(("X-TC-Region", region)) }
        if let language { headers.append(("X-TC-Language", language)) }
        if let requestClient { headers.append(("X-TC-RequestClient", requestClient)) }
        headers.append(("Authorization", signature.authorization))
        return headers
    }

    /// `postJSONHeaders` with a typed version.
    public func postJSONHeaders(
        action: String,
        version: APIVersion,
        host: String,
        body: [UInt8],
        timestamp: Int64,
        region: String? = nil,
        language: String? = nil,
        requestClient: String? = nil
    ) -> [(name: String, value: String)] {
        postJSONHeaders(
            action: action, version: version.rawValue, host: host, body: body, timestamp: timestamp,
            region: region, language: language, requestClient: requestClient
        )
    }
}
