import Foundation

/// Client-side legacy HmacSHA256 / HmacSHA1 signing (cloud-api.md §3.3).
public struct LegacySigner: Sendable {
    public var secretId: String
    public var secretKey: String
    public var method: LegacySignatureMethod

    public init(secretId: String, secretKey: String, method: LegacySignatureMethod = .hmacSHA256) {
        self.secretId = secretId
        self.secretKey = secretKey
        self.method = method
    }

    /// `HTTPMETHOD + host + "/" + "?" + name=value&…` over the decoded parameters except `Signature`,
    /// sorted by name (byte order).
    public static func signSource(
        httpMethod: String,
        host: String,
        parameters: [(name: String, value: String)]
    ) -> String {
        let sorted = parameters
            .filter { $0.name != "Signature" }
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return httpMethod + host + "/?" + sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// Base64 of the MAC of `signSource` keyed with the SecretKey.
    public static func signature(
        secretKey: String,
        signSource: String,
        method: LegacySignatureMethod
    ) -> String {
        Data(method.mac(key: Array(secretKey.utf8), message: signSource.utf8)).base64EncodedString()
    }

    /// The complete parameter list of a legacy request: `parameters` (flattened action parameters),
    /// then `Action`, `Version`, `Region` (if any), `Timestamp`, `Nonce`, `SecretId`, `SignatureMethod`,
    /// `Language` (if any), `RequestClient` (if any), and finally `Signature`.
    /// Send it with `FormURLEncoding.encode` as a form body (POST) or query (GET).
    public func signedParameters(
        action: String,
        version: String,
        parameters: [(name: String, value: String)],
        httpMethod: String = "POST",
        host: String,
        timestamp: Int64,
        nonce: UInt64,
        region: String? = nil,
        language: String? = nil,
        requestClient: String? = nil
    ) -> [(name: String, value: String)] {
        var all = parameters
        all.append(("Action", action))
        all.append(("Version", version))
        if let region { all.append(("Region", region)) }
        all.append(("Timestamp", String(timestamp)))
        all.append(("Nonce", String(nonce)))
        all.append(("SecretId", secretId))
        all.append(("SignatureMethod", method.rawValue))
        if let language { all.append(("Language", language)) }
        if let requestClient { all.append(("RequestClient", requestClient)) }
        let source = Self.signSource(httpMethod: httpMethod, host: host, parameters: all)
        all.append(("Signature", Self.signature(secretKey: secretKey, signSource: source, method: method)))
        return all
    }
}
