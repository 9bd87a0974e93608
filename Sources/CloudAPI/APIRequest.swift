public import JSONCore
/// How a management-API request was signed.
public enum APISignatureMethod: String, Sendable, Hashable {
    case tc3HMACSHA256 = "TC3-HMAC-SHA256"
    case hmacSHA256 = "HmacSHA256"
    case hmacSHA1 = "HmacSHA1"
}

/// An authenticated, decoded and validated management-API call, ready for an action handler.
public struct APIRequest: Sendable, Equatable {
    /// Action name as sent (`CreateDevice`).
    public var action: String
    public var version: APIVersion
    /// `X-TC-Region` / `Region`, if sent (informational).
    public var region: String?
    /// The authenticated SecretId.
    public var secretId: String
    /// Validated parameters as a JSON object keyed by **internal** names (2021 spelling:
    /// `ProductId` even for a 2018 `ProductID`), typed per the action's schema.
    public var parameters: JSONValue
    /// `X-TC-RequestClient` / `RequestClient` (e.g. `SDK_PYTHON_3.1.195`).
    public var requestClient: String?
    /// `X-TC-TraceId`, if sent (log it).
    public var traceId: String?
    /// `X-TC-Language` / `Language` (`zh-CN`, `en-US`); messages are English regardless.
    public var language: String?
    /// `X-TC-Timestamp` / `Timestamp`.
    public var timestamp: Int64
    public var signatureMethod: APISignatureMethod

    public init(
        action: String,
        version: APIVersion,
        region: String? = nil,
        secretId: String,
        parameters: JSONValue,
        requestClient: String? = nil,
        traceId: String? = nil,
        language: String? = nil,
        timestamp: Int64,
        signatureMethod: APISignatureMethod
    ) {
        self.action = action
        self.version = version
        self.region = region
        self.secretId = secretId
        self.parameters = parameters
        self.requestClient = requestClient
        self.traceId = traceId
        self.language = language
        self.timestamp = timestamp
        self.signatureMethod = signatureMethod
    }

    /// A parameter by internal name.
    public subscript(parameter name: String) -> JSONValue? {
        parameters[name]
    }
}
