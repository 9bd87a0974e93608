import Foundation

/// The signature-relevant fields of a legacy request, parsed from its form (verification step 1).
public struct LegacyAuthorization: Sendable, Equatable {
    public var secretId: String
    public var method: LegacySignatureMethod
    /// The `Signature` parameter, URL-decoded (Base64 text).
    public var signature: String
    /// Every decoded form parameter in wire order, `Signature` included.
    public var parameters: [HTTPHeaderList.Field]

    /// The first value of a parameter.
    public func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }
}

/// Server-side verification of legacy HmacSHA256 / HmacSHA1 requests (cloud-api.md §3.3), with the
/// same order, window and error codes as `TC3Verifier`:
///
/// 1. form has `SecretId`, `Signature` and a known `SignatureMethod` (absent: HmacSHA1)
///    → else `AuthFailure.InvalidAuthorization`
/// 2. SecretId known → else `AuthFailure.SecretIdNotFound`
/// 3. `Timestamp` within ±`allowedSkew` s → else `AuthFailure.SignatureExpire`
///    (missing / non-numeric → `InvalidAuthorization`)
/// 4. Base64 MAC over `METHOD + Host + "/?" + sorted params` matches (constant time)
///    → else `AuthFailure.SignatureFailure`
public struct LegacyVerifier: APISignatureVerifier {
    public var allowedSkew: Int64

    public init(allowedSkew: Int64 = 300) {
        self.allowedSkew = allowedSkew
    }

    /// The decoded form parameters of a request: the query for GET, the body for a
    /// `application/x-www-form-urlencoded` POST (`nil` otherwise).
    public static func formParameters(of request: APIHTTPRequest) -> [(name: String, value: String)]? {
        switch request.method {
        case "GET": return FormURLEncoding.parse(request.rawQuery)
        case "POST" where request.isFormBody: return FormURLEncoding.parse(request.body)
        default: return nil
        }
    }

    /// Whether the request looks like a legacy-signed one (form with a `Signature` parameter and no
    /// `Authorization` header).
    public static func isLegacyRequest(_ request: APIHTTPRequest) -> Bool {
        guard request.headers["Authorization"] == nil,
              let parameters = formParameters(of: request)
        else { return false }
        return parameters.contains { $0.name == "Signature" }
    }

    /// Step 1.
    public func authorization(of request: APIHTTPRequest) throws(APIError) -> LegacyAuthorization {
        guard let parameters = Self.formParameters(of: request) else {
            throw .invalidAuthorization("Legacy signatures need a GET query or an application/x-www-form-urlencoded body.")
        }
        func value(_ name: String) -> String? { parameters.first { $0.name == name }?.value }
        guard let signature = value("Signature"), !signature.isEmpty else {
            throw .invalidAuthorization("The Signature parameter is missing.")
        }
        guard let secretId = value("SecretId"), !secretId.isEmpty else {
            throw .invalidAuthorization("The SecretId parameter is missing.")
        }
        let method: LegacySignatureMethod
        if let name = value("SignatureMethod") {
            guard let known = LegacySignatureMethod(rawValue: name) else {
                throw .invalidAuthorization("Unsupported SignatureMethod `\(name)`; expected HmacSHA256 or HmacSHA1.")
            }
            method = known
        } else {
            method = .hmacSHA1
        }
        return LegacyAuthorization(
            secretId: secretId,
            method: method,
            signature: signature,
            parameters: parameters.map { HTTPHeaderList.Field(name: $0.name, value: $0.value) }
        )
    }

    /// Steps 2–4; returns the authenticated SecretId.
    public func verify(
        _ request: APIHTTPRequest,
        authorization: LegacyAuthorization,
        secretKey: String?,
        now: Date
    ) throws(APIError) -> String {
        guard let secretKey else { throw .secretIdNotFound() }
        guard let text = authorization.parameter("Timestamp"), !text.isEmpty,
              text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let timestamp = Int64(text)
        else {
            throw .invalidAuthorization("The Timestamp parameter is missing or not a decimal Unix time.")
        }
        try TC3Verifier.checkWindow(timestamp: timestamp, now: now, allowedSkew: allowedSkew)
        let source = LegacySigner.signSource(
            httpMethod: request.method,
            host: request.headers["Host"]?.trimmingASCIIWhitespace() ?? "",
            parameters: authorization.parameters.map { (name: $0.name, value: $0.value) }
        )
        let expected = Data(authorization.method.mac(key: Array(secretKey.utf8), message: source.utf8))
        guard let given = Data(base64Encoded: authorization.signature),
              Digests.constantTimeEquals(Array(given), Array(expected))
        else {
            throw .signatureFailure()
        }
        return authorization.secretId
    }
}
