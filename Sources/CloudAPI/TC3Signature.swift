/// Every value computed while signing one request with TC3-HMAC-SHA256 (cloud-api.md §3.1).
public struct TC3Signature: Sendable, Equatable {
    /// UTC date of the timestamp, `YYYY-MM-DD`.
    public var date: String
    /// `<date>/<service>/tc3_request`.
    public var credentialScope: String
    /// Hex SHA-256 of the body (or of `UNSIGNED-PAYLOAD`).
    public var hashedPayload: String
    public var canonicalRequest: String
    /// Hex SHA-256 of `canonicalRequest`.
    public var canonicalRequestHash: String
    public var stringToSign: String
    /// Lower-case names joined with `;`.
    public var signedHeaders: String
    /// 64 lower-case hex characters.
    public var signature: String
    /// The complete `Authorization` header value.
    public var authorization: String
}
