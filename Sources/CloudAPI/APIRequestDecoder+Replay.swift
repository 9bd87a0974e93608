import Crypto

/// The replay check of `APIRequestDecoder` (after the signature verified and the version and action are
/// known, before the parameters are read).
extension APIRequestDecoder {
    /// The cache key of a verified request: TC3 → SecretId and signature; legacy → SecretId, Timestamp
    /// and Nonce (the signature when there is no Nonce).
    static func replayKey(_ pending: PendingAuthorization) -> APIReplayCache.Digest {
        var hasher = ReplayHasher()
        switch pending {
        case .tc3(let authorization):
            hasher.add("tc3")
            hasher.add(authorization.secretId)
            hasher.add(authorization.signature)
        case .legacy(let authorization):
            hasher.add("legacy")
            hasher.add(authorization.secretId)
            hasher.add(authorization.parameter("Timestamp") ?? "")
            if let nonce = authorization.parameter("Nonce") {
                hasher.add("nonce")
                hasher.add(nonce)
            } else {
                hasher.add("signature")
                hasher.add(authorization.signature)
            }
        }
        return hasher.finish()
    }

    /// Headers that change what a request does (lower-cased): the action and where and how it runs, the
    /// body's hash mode and the temporary-credential token. `X-TC-Language`, `X-TC-RequestClient` and
    /// `X-TC-TraceId` only change messages and logs, so two SDK clients that differ in them but send the
    /// same action and body in the same second are one request (an identical retry), not a replay.
    static let replayFingerprintHeaders: Set<String> = [
        "host", "content-type", "x-tc-action", "x-tc-version", "x-tc-region", "x-tc-content-sha256", "x-tc-token",
    ]

    /// What the request does: method, query, the `replayFingerprintHeaders` (names sorted, since clients
    /// such as URLSession send headers in no fixed order; a repeated name keeps its values in wire order,
    /// so a second `X-TC-Action` counts) and the body. Two sends of the same request give the same
    /// fingerprint.
    static func replayFingerprint(_ request: APIHTTPRequest) -> APIReplayCache.Digest {
        var hasher = ReplayHasher()
        hasher.add(request.method)
        hasher.add(request.rawQuery)
        let fields = request.headers.fields.enumerated().compactMap { index, field -> (name: String, index: Int, value: String)? in
            let name = field.name.lowercased()
            guard replayFingerprintHeaders.contains(name) else { return nil }
            return (name, index, field.value.trimmingASCIIWhitespace())
        }
        for field in fields.sorted(by: { ($0.name, $0.index) < ($1.name, $1.index) }) {
            hasher.add(field.name)
            hasher.add(field.value)
        }
        hasher.add("body")
        hasher.add(request.body)
        return hasher.finish()
    }

    /// Refuses a signature already used for another request, and a new one when the cache is full.
    func checkReplay(_ request: APIHTTPRequest, _ pending: PendingAuthorization, now: Int64) throws(APIError) {
        guard let replayCache else { return }
        let timestamp: Int64
        switch pending {
        case .tc3: timestamp = (try? TC3Verifier.timestamp(of: request)) ?? now
        case .legacy(let authorization): timestamp = Int64(authorization.parameter("Timestamp") ?? "") ?? now
        }
        let connection = request.connection.map { text -> APIReplayCache.Digest in
            var hasher = ReplayHasher()
            hasher.add(text)
            return hasher.finish()
        }
        let outcome = replayCache.check(
            key: Self.replayKey(pending), fingerprint: Self.replayFingerprint(request), connection: connection, timestamp: timestamp, now: now
        )
        switch outcome {
        case .fresh, .retry, .variant:
            return
        case .conflict:
            switch pending {
            case .tc3:
                throw .signatureFailure(
                    "The signature was already used for a different request (replay refused): action, version, region and body must match the first use. Sign each request anew (a second later, or also sign x-tc-action)."
                )
            case .legacy:
                throw .signatureFailure(
                    "The Nonce was already used with this SecretId and Timestamp for a different request (replay refused). Use a new Nonce for each request."
                )
            }
        case .full:
            throw .requestLimitExceeded(
                "Too many signed requests within the signature window (\(replayCache.maxEntries) remembered); retry later."
            )
        }
    }
}

/// SHA-256 over length-prefixed fields, so that no two field lists hash the same input.
private struct ReplayHasher {
    var hash = SHA256()

    mutating func add(_ text: String) {
        add(Array(text.utf8))
    }

    mutating func add(_ bytes: [UInt8]) {
        withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { hash.update(bufferPointer: $0) }
        hash.update(data: bytes)
    }

    func finish() -> APIReplayCache.Digest {
        APIReplayCache.Digest(hash.finalize())
    }
}
