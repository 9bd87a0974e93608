import Foundation

/// Server-side TC3-HMAC-SHA256 verification in the order of cloud-api.md §3.2:
///
/// 1. `Authorization` present and parseable → else `AuthFailure.InvalidAuthorization`
/// 2. SecretId known → else `AuthFailure.SecretIdNotFound`
/// 3. `X-TC-Timestamp` within ±`allowedSkew` s of `now` → else `AuthFailure.SignatureExpire`
///    (a missing or non-numeric timestamp → `AuthFailure.InvalidAuthorization`)
/// 4. scope date = UTC date of the timestamp, scope service = `service` → else `InvalidAuthorization`
/// 5. signature recomputed over the raw request matches (constant time) → else `SignatureFailure`
///
/// Signed header values come from the request as received (names from `SignedHeaders`); the value
/// is tried trimmed as-is, then lower-cased. `Host` may contain a scheme. The canonical query string
/// is the raw query for GET and empty for POST. `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` is honoured.
///
/// The check is split in two phases so the secret lookup may be asynchronous:
/// `authorization(of:)` (step 1, yields the SecretId) then `verify(_:authorization:secretKey:now:)`.
public struct TC3Verifier: APISignatureVerifier {
    public var service: String
    /// Maximum distance between `X-TC-Timestamp` and `now`, in seconds (inclusive).
    public var allowedSkew: Int64

    public init(service: String = "iotcloud", allowedSkew: Int64 = 300) {
        self.service = service
        self.allowedSkew = allowedSkew
    }

    /// Step 1: parse the `Authorization` header.
    public func authorization(of request: APIHTTPRequest) throws(APIError) -> TC3Authorization {
        guard let header = request.headers["Authorization"], !header.isEmpty else {
            throw .invalidAuthorization("The Authorization header is missing.")
        }
        return try TC3Authorization.parse(header)
    }

    /// Steps 2–5. `secretKey` is the result of looking up `authorization.secretId` (`nil`: unknown).
    /// Returns the authenticated SecretId.
    public func verify(
        _ request: APIHTTPRequest,
        authorization: TC3Authorization,
        secretKey: String?,
        now: Date
    ) throws(APIError) -> String {
        guard let secretKey else { throw .secretIdNotFound() }
        let timestamp = try Self.timestamp(of: request)
        try Self.checkWindow(timestamp: timestamp, now: now, allowedSkew: allowedSkew)
        let expectedDate = UTCDate.dateString(unixSeconds: timestamp)
        guard authorization.date == expectedDate else {
            throw .invalidAuthorization(
                "The credential scope date `\(authorization.date)` is not the UTC date of X-TC-Timestamp (\(expectedDate))."
            )
        }
        guard authorization.service == service else {
            throw .invalidAuthorization("The credential scope service must be `\(service)`.")
        }
        for candidate in candidateSignatures(request, authorization: authorization, secretKey: secretKey, timestamp: timestamp) {
            if Digests.constantTimeEquals(Array(candidate.utf8), Array(authorization.signature.utf8)) {
                return authorization.secretId
            }
        }
        throw .signatureFailure()
    }

    // MARK: - Pieces

    static func timestamp(of request: APIHTTPRequest) throws(APIError) -> Int64 {
        guard let text = request.headers["X-TC-Timestamp"]?.trimmingASCIIWhitespace(),
              !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = Int64(text)
        else {
            throw .invalidAuthorization("X-TC-Timestamp is missing or not a decimal Unix time.")
        }
        return value
    }

    static func checkWindow(timestamp: Int64, now: Date, allowedSkew: Int64) throws(APIError) {
        let serverTime = Int64(now.timeIntervalSince1970.rounded(.down))
        let (distance, overflow) = serverTime.subtractingReportingOverflow(timestamp)
        guard !overflow, distance.magnitude <= allowedSkew.magnitude else {
            throw .signatureExpire(
                "The signature has expired: X-TC-Timestamp \(timestamp) is more than \(allowedSkew) s away from the server time \(serverTime)."
            )
        }
    }

    /// Signatures for the request with signed-header values as-is, then lower-cased (if different);
    /// header lines in `SignedHeaders` order, then sorted by name (if different).
    func candidateSignatures(
        _ request: APIHTTPRequest,
        authorization: TC3Authorization,
        secretKey: String,
        timestamp: Int64
    ) -> [String] {
        let names = authorization.signedHeaderNames
        let rawValues = names.map { (request.headers[$0] ?? "").trimmingASCIIWhitespace() }
        var valueVariants = [rawValues]
        let lowered = rawValues.map { $0.lowercased() }
        if lowered != rawValues { valueVariants.append(lowered) }

        var headerVariants: [[(name: String, value: String)]] = []
        for values in valueVariants {
            let inSentOrder = zip(names, values).map { (name: $0.0, value: $0.1) }
            headerVariants.append(inSentOrder)
            let sorted = inSentOrder.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
            if sorted.map(\.name) != names { headerVariants.append(sorted) }
        }

        let hashedPayload: String
        if request.headers["X-TC-Content-SHA256"]?.trimmingASCIIWhitespace() == TC3Signer.unsignedPayload {
            hashedPayload = Digests.sha256Hex(TC3Signer.unsignedPayload.utf8)
        } else {
            hashedPayload = Digests.sha256Hex(request.body)
        }
        let query = request.method == "GET" ? request.rawQuery : ""
        return headerVariants.map { headers in
            TC3Signer.sign(
                secretId: authorization.secretId,
                secretKey: secretKey,
                service: authorization.service,
                method: request.method,
                canonicalQueryString: query,
                canonicalHeaders: headers,
                signedHeaders: authorization.signedHeaders,
                hashedPayload: hashedPayload,
                timestamp: timestamp
            ).signature
        }
    }
}
