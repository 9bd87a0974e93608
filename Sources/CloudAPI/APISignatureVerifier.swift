import Foundation

/// A request signature scheme (TC3, legacy HmacSHA1/256), verified in two phases: parse what the request
/// claims (`authorization(of:)`), then check it with the secret looked up for its SecretId.
public protocol APISignatureVerifier: Sendable {
    associatedtype Authorization: Sendable

    /// Step 1: the parsed claim; `AuthFailure.InvalidAuthorization` when malformed.
    func authorization(of request: APIHTTPRequest) throws(APIError) -> Authorization
    /// The SecretId the claim names.
    func secretId(of authorization: Authorization) -> String
    /// The remaining steps; `secretKey` nil means an unknown SecretId. Returns the authenticated SecretId.
    func verify(_ request: APIHTTPRequest, authorization: Authorization, secretKey: String?, now: Date) throws(APIError) -> String
}

extension APISignatureVerifier {
    /// All steps with a synchronous secret lookup.
    public func verify(
        _ request: APIHTTPRequest,
        now: Date,
        secretKey lookup: (String) -> String?
    ) throws(APIError) -> String {
        let authorization = try authorization(of: request)
        return try verify(request, authorization: authorization, secretKey: lookup(secretId(of: authorization)), now: now)
    }

    /// All steps with an asynchronous secret lookup; a thrown non-`APIError` becomes `InternalError`.
    public func verify(
        _ request: APIHTTPRequest,
        now: Date,
        secretKey lookup: (String) async throws -> String?
    ) async throws(APIError) -> String {
        let authorization = try authorization(of: request)
        let key: String?
        do {
            key = try await lookup(secretId(of: authorization))
        } catch let error as APIError {
            throw error
        } catch {
            throw .internalError("Credential lookup failed.")
        }
        return try verify(request, authorization: authorization, secretKey: key, now: now)
    }
}

extension TC3Verifier {
    public func secretId(of authorization: TC3Authorization) -> String { authorization.secretId }
}

extension LegacyVerifier {
    public func secretId(of authorization: LegacyAuthorization) -> String { authorization.secretId }
}
