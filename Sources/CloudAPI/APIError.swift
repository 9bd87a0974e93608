/// An API error as carried in `Response.Error` (`Code`, `Message`) plus the envelope's `RequestId`
/// when it was parsed from a response.
///
/// `code` is the stable, documented string (`"ResourceNotFound.DeviceNotExist"`); messages are English.
/// Constructors for the common codes are below, the iotcloud-specific ones in `APIError+IoTCloud.swift`.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    /// Set by `APIResponse.parse`; the hub passes the request id to `APIResponse.error` instead.
    public var requestId: String?

    public init(code: String, message: String, requestId: String? = nil) {
        self.code = code
        self.message = message
        self.requestId = requestId
    }

    public var description: String {
        if let requestId { return "\(code): \(message) (RequestId \(requestId))" }
        return "\(code): \(message)"
    }

    /// The same error with another message.
    public func with(message: String) -> APIError {
        APIError(code: code, message: message, requestId: requestId)
    }
}

// MARK: - Common codes (identical for every TencentCloud product)

extension APIError {
    public static func actionOffline(_ message: String = "The action has been taken offline.") -> APIError {
        APIError(code: "ActionOffline", message: message)
    }

    public static func invalidAuthorization(
        _ message: String = "The Authorization header is missing or malformed."
    ) -> APIError {
        APIError(code: "AuthFailure.InvalidAuthorization", message: message)
    }

    public static func invalidSecretId(_ message: String = "The SecretId is invalid.") -> APIError {
        APIError(code: "AuthFailure.InvalidSecretId", message: message)
    }

    public static func mfaFailure(_ message: String = "MFA verification failed.") -> APIError {
        APIError(code: "AuthFailure.MFAFailure", message: message)
    }

    public static func secretIdNotFound(
        _ message: String = "The SecretId is not found, please ensure that your SecretId is correct."
    ) -> APIError {
        APIError(code: "AuthFailure.SecretIdNotFound", message: message)
    }

    public static func signatureExpire(
        _ message: String = "The signature has expired: the request timestamp is more than 300 seconds away from the server time."
    ) -> APIError {
        APIError(code: "AuthFailure.SignatureExpire", message: message)
    }

    /// The vendor's message for a bad signature.
    public static func signatureFailure(
        _ message: String = "The provided credentials could not be validated. Please check your signature is correct."
    ) -> APIError {
        APIError(code: "AuthFailure.SignatureFailure", message: message)
    }

    public static func tokenFailure(_ message: String = "The token is invalid.") -> APIError {
        APIError(code: "AuthFailure.TokenFailure", message: message)
    }

    public static func authUnauthorizedOperation(
        _ message: String = "The request is not authorized."
    ) -> APIError {
        APIError(code: "AuthFailure.UnauthorizedOperation", message: message)
    }

    public static func dryRunOperation(_ message: String = "Dry run: the request would have succeeded.") -> APIError {
        APIError(code: "DryRunOperation", message: message)
    }

    public static func failedOperation(_ message: String = "The operation failed.") -> APIError {
        APIError(code: "FailedOperation", message: message)
    }

    public static func internalError(_ message: String = "Internal error.") -> APIError {
        APIError(code: "InternalError", message: message)
    }

    public static func invalidAction(_ action: String) -> APIError {
        APIError(code: "InvalidAction", message: "The action `\(action)` is not valid for this version.")
    }

    public static func invalidParameter(_ message: String) -> APIError {
        APIError(code: "InvalidParameter", message: message)
    }

    /// `InvalidParameter` for a value of the wrong type; `path` is the dotted wire name.
    public static func invalidParameterType(_ path: String, expected: String) -> APIError {
        APIError(
            code: "InvalidParameter",
            message: "The value type of parameter `\(path)` is not valid: expected \(expected)."
        )
    }

    public static func invalidParameterValue(_ message: String) -> APIError {
        APIError(code: "InvalidParameterValue", message: message)
    }

    public static func limitExceeded(_ message: String = "Limit exceeded.") -> APIError {
        APIError(code: "LimitExceeded", message: message)
    }

    /// `path` is the dotted wire name of the missing field.
    public static func missingParameter(_ path: String) -> APIError {
        APIError(code: "MissingParameter", message: "The request is missing a required parameter `\(path)`.")
    }

    public static func noSuchVersion(_ version: String) -> APIError {
        APIError(
            code: "NoSuchVersion",
            message: "The API version `\(version)` does not exist; supported versions are 2021-04-08 and 2018-06-14."
        )
    }

    public static func requestLimitExceeded(_ message: String = "Request rate limit exceeded.") -> APIError {
        APIError(code: "RequestLimitExceeded", message: message)
    }

    public static func resourceInUse(_ message: String = "The resource is in use.") -> APIError {
        APIError(code: "ResourceInUse", message: message)
    }

    public static func resourceInsufficient(_ message: String = "Insufficient resources.") -> APIError {
        APIError(code: "ResourceInsufficient", message: message)
    }

    public static func resourceNotFound(_ message: String = "The resource does not exist.") -> APIError {
        APIError(code: "ResourceNotFound", message: message)
    }

    public static func resourceUnavailable(_ message: String = "The resource is unavailable.") -> APIError {
        APIError(code: "ResourceUnavailable", message: message)
    }

    public static func unauthorizedOperation(_ message: String = "Unauthorized operation.") -> APIError {
        APIError(code: "UnauthorizedOperation", message: message)
    }

    /// `path` is the dotted wire name of the unexpected field.
    public static func unknownParameter(_ path: String) -> APIError {
        APIError(code: "UnknownParameter", message: "The parameter `\(path)` is not recognized.")
    }

    public static func unsupportedOperation(_ message: String = "The operation is not supported.") -> APIError {
        APIError(code: "UnsupportedOperation", message: message)
    }

    /// Known iotcloud action that the hub does not implement.
    public static func unsupportedAction(_ action: String, version: APIVersion) -> APIError {
        APIError(
            code: "UnsupportedOperation",
            message: "The action `\(action)` (version \(version.rawValue)) is not supported by this hub."
        )
    }

    public static func unsupportedProtocol(
        _ message: String = "The request protocol is not supported; only GET and POST are."
    ) -> APIError {
        APIError(code: "UnsupportedProtocol", message: message)
    }

    public static func unsupportedRegion(_ message: String = "The region is not supported.") -> APIError {
        APIError(code: "UnsupportedRegion", message: message)
    }
}
