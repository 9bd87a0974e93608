import Foundation
import JSONCore

/// Turns a raw management-API HTTP request into an `APIRequest`, in the order of cloud-api.md §3.2:
///
/// 0. method GET or POST → else `UnsupportedProtocol`
/// 1. signature (TC3 when an `Authorization` header is present, else legacy when the form carries
///    `Signature`, else `AuthFailure.InvalidAuthorization`) — see `TC3Verifier` / `LegacyVerifier`
/// 2. version (`X-TC-Version` / `Version`): missing → `MissingParameter`, not served → `NoSuchVersion`
/// 3. action (`X-TC-Action` / `Action`): missing → `MissingParameter`, unknown → `InvalidAction`,
///    known without schema → `UnsupportedOperation`
/// (between 3 and 4, when a `replayCache` is set: a signature already used for a different request →
///    `AuthFailure.SignatureFailure`, a new one while the cache is full → `RequestLimitExceeded`; see
///    `APIReplayCache`. After 3, so that a request which cannot run (unknown version or action) is
///    neither checked nor remembered.)
/// 4. parameters: TC3 POST JSON body (must be an object, empty body = `{}`), TC3 GET query, form
///    body, or legacy form minus the common fields; flattened names are converted to typed JSON using
///    the action's schema; then validated (`MissingParameter` / `InvalidParameter` / `UnknownParameter`)
///    and renamed to internal names.
///
/// The secret lookup may be synchronous or asynchronous (errors other than `APIError` thrown by an
/// asynchronous lookup become `InternalError`).
public struct APIRequestDecoder: Sendable {
    public var catalog: ActionCatalog
    public var tc3Verifier: TC3Verifier
    public var legacyVerifier: LegacyVerifier
    /// Accept the legacy HmacSHA256 / HmacSHA1 signatures.
    public var allowsLegacySignatures: Bool
    /// Accept TC3 over GET.
    public var allowsGET: Bool
    /// Remembers verified signatures to refuse replays as other requests (nil: no replay check).
    public var replayCache: APIReplayCache?

    /// Form fields the legacy signatures add to every request; removed from the action parameters.
    public static let legacyCommonFields: Set<String> = [
        "Action", "Version", "Region", "Timestamp", "Nonce", "SecretId", "SignatureMethod", "Signature",
        "Language", "RequestClient", "Token",
    ]

    public init(
        catalog: ActionCatalog = .standard,
        service: String = "iotcloud",
        allowedSkew: Int64 = 300,
        allowsLegacySignatures: Bool = true,
        allowsGET: Bool = true,
        replayCache: APIReplayCache? = nil
    ) {
        self.catalog = catalog
        self.tc3Verifier = TC3Verifier(service: service, allowedSkew: allowedSkew)
        self.legacyVerifier = LegacyVerifier(allowedSkew: allowedSkew)
        self.allowsLegacySignatures = allowsLegacySignatures
        self.allowsGET = allowsGET
        self.replayCache = replayCache
    }

    /// Decodes with a synchronous secret lookup (`nil`: unknown SecretId).
    public func decode(
        _ request: APIHTTPRequest,
        now: Date = Date(),
        secretKey lookup: (String) -> String?
    ) throws(APIError) -> APIRequest {
        let pending = try begin(request)
        return try finish(request, pending, secretKey: lookup(pending.secretId), now: now)
    }

    /// Decodes with an asynchronous secret lookup.
    public func decode(
        _ request: APIHTTPRequest,
        now: Date = Date(),
        secretKey lookup: (String) async throws -> String?
    ) async throws(APIError) -> APIRequest {
        let pending = try begin(request)
        let key: String?
        do {
            key = try await lookup(pending.secretId)
        } catch let error as APIError {
            throw error
        } catch {
            throw .internalError("Credential lookup failed.")
        }
        return try finish(request, pending, secretKey: key, now: now)
    }

    // MARK: - Phases

    /// What was learned before the secret lookup.
    public enum PendingAuthorization: Sendable, Equatable {
        case tc3(TC3Authorization)
        case legacy(LegacyAuthorization)

        public var secretId: String {
            switch self {
            case .tc3(let authorization): return authorization.secretId
            case .legacy(let authorization): return authorization.secretId
            }
        }
    }

    /// Phase 1: method and signature scheme checks, `Authorization` / form parsing.
    public func begin(_ request: APIHTTPRequest) throws(APIError) -> PendingAuthorization {
        guard request.method == "GET" || request.method == "POST" else {
            throw .unsupportedProtocol("The HTTP method `\(request.method)` is not supported; use GET or POST.")
        }
        if request.headers["Authorization"] != nil {
            if request.method == "GET", !allowsGET {
                throw .unsupportedProtocol("GET requests are not supported; use POST with a JSON body.")
            }
            return .tc3(try tc3Verifier.authorization(of: request))
        }
        if LegacyVerifier.isLegacyRequest(request) {
            guard allowsLegacySignatures else {
                throw .invalidAuthorization("Legacy signatures are not supported; use TC3-HMAC-SHA256.")
            }
            return .legacy(try legacyVerifier.authorization(of: request))
        }
        throw .invalidAuthorization("The Authorization header is missing.")
    }

    /// Phase 2: signature verification with the looked-up secret, then version, action and parameters.
    public func finish(
        _ request: APIHTTPRequest,
        _ pending: PendingAuthorization,
        secretKey: String?,
        now: Date
    ) throws(APIError) -> APIRequest {
        switch pending {
        case .tc3(let authorization):
            let secretId = try tc3Verifier.verify(request, authorization: authorization, secretKey: secretKey, now: now)
            return try decodeTC3(request, secretId: secretId, pending: pending, now: now)
        case .legacy(let authorization):
            let secretId = try legacyVerifier.verify(request, authorization: authorization, secretKey: secretKey, now: now)
            return try decodeLegacy(request, authorization: authorization, secretId: secretId, pending: pending, now: now)
        }
    }

    // MARK: - Decoding after authentication

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value = value?.trimmingASCIIWhitespace(), !value.isEmpty else { return nil }
        return value
    }

    private func resolve(action: String?, version: String?, actionName: String, versionName: String) throws(APIError) -> (ActionSchema, APIVersion) {
        guard let versionText = Self.nonEmpty(version) else { throw .missingParameter(versionName) }
        guard let version = APIVersion(wireValue: versionText) else { throw .noSuchVersion(versionText) }
        guard let action = Self.nonEmpty(action) else { throw .missingParameter(actionName) }
        return (try catalog.requireSchema(action: action, version: version), version)
    }

    private func decodeTC3(_ request: APIHTTPRequest, secretId: String, pending: PendingAuthorization, now: Date) throws(APIError) -> APIRequest {
        let headers = request.headers
        let (schema, version) = try resolve(
            action: headers["X-TC-Action"], version: headers["X-TC-Version"],
            actionName: "X-TC-Action", versionName: "X-TC-Version"
        )
        try checkReplay(request, pending, now: Int64(now.timeIntervalSince1970.rounded(.down)))
        let raw: JSONValue
        if request.method == "GET" {
            raw = try FlattenedParameters.unflatten(FormURLEncoding.parse(request.rawQuery), schema: schema.requestStruct)
        } else if request.isFormBody {
            raw = try FlattenedParameters.unflatten(FormURLEncoding.parse(request.body), schema: schema.requestStruct)
        } else if request.mediaType == "multipart/form-data" || request.mediaType == "application/octet-stream" {
            throw .unsupportedProtocol("The content type `\(request.mediaType ?? "")` is not supported; use application/json.")
        } else {
            raw = try Self.jsonObject(request.body)
        }
        return APIRequest(
            action: schema.action,
            version: version,
            region: Self.nonEmpty(headers["X-TC-Region"]),
            secretId: secretId,
            parameters: try schema.validate(raw),
            requestClient: Self.nonEmpty(headers["X-TC-RequestClient"]),
            traceId: Self.nonEmpty(headers["X-TC-TraceId"]),
            language: Self.nonEmpty(headers["X-TC-Language"]),
            timestamp: try TC3Verifier.timestamp(of: request),
            signatureMethod: .tc3HMACSHA256
        )
    }

    private func decodeLegacy(
        _ request: APIHTTPRequest,
        authorization: LegacyAuthorization,
        secretId: String,
        pending: PendingAuthorization,
        now: Date
    ) throws(APIError) -> APIRequest {
        let (schema, version) = try resolve(
            action: authorization.parameter("Action"), version: authorization.parameter("Version"),
            actionName: "Action", versionName: "Version"
        )
        try checkReplay(request, pending, now: Int64(now.timeIntervalSince1970.rounded(.down)))
        let actionParameters = authorization.parameters
            .filter { !Self.legacyCommonFields.contains($0.name) }
            .map { (name: $0.name, value: $0.value) }
        let raw = try FlattenedParameters.unflatten(actionParameters, schema: schema.requestStruct)
        let method: APISignatureMethod = authorization.method == .hmacSHA256 ? .hmacSHA256 : .hmacSHA1
        return APIRequest(
            action: schema.action,
            version: version,
            region: Self.nonEmpty(authorization.parameter("Region")),
            secretId: secretId,
            parameters: try schema.validate(raw),
            requestClient: Self.nonEmpty(authorization.parameter("RequestClient")),
            traceId: Self.nonEmpty(request.headers["X-TC-TraceId"]),
            language: Self.nonEmpty(authorization.parameter("Language")),
            timestamp: Int64(authorization.parameter("Timestamp") ?? "") ?? 0,
            signatureMethod: method
        )
    }

    /// The body as a JSON object (empty body → `{}`), else `InvalidParameter`.
    static func jsonObject(_ body: [UInt8]) throws(APIError) -> JSONValue {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return .object(JSONObject())
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw .invalidParameter("The request body is not valid JSON: \(error.reason).")
        }
        guard case .object = value else {
            throw .invalidParameter("The request body must be a JSON object.")
        }
        return value
    }
}
