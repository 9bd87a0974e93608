/// Why a log upload was refused, with its reply in both formats (device-protocol.md §7.5.3). Every reply is
/// HTTP 200 and well under the C SDK's 256-byte buffer.
public enum LogUploadRefusal: Error, Sendable, Hashable, CaseIterable {
    /// The body is not the format (classic: shorter than the header or no `P`/`C` marker; v2: not the JSON
    /// object, or an `X-TC-*` header missing).
    case badRequest
    /// No such product or device.
    case deviceNotFound
    /// No key candidate, host or body hash verifies the signature (an unsupported algorithm included).
    case signatureMismatch
    /// The device (or its product) is disabled.
    case deviceDisabled
    /// The hub could not store the entries.
    case internalError
    /// The source address sent more uploads than its rate allows.
    case rateLimited
    /// The source address is banned.
    case sourceBanned

    /// The classic reply's `Retcode` (0 is success).
    public var classicRetcode: Int {
        switch self {
        case .badRequest: 1
        case .deviceNotFound: 2
        case .signatureMismatch: 3
        case .deviceDisabled: 4
        case .internalError: 5
        case .rateLimited: 6
        case .sourceBanned: 7
        }
    }

    /// The classic reply's `Msg`.
    public var classicMessage: String {
        switch self {
        case .badRequest: "bad request"
        case .deviceNotFound: "device not found"
        case .signatureMismatch: "check signature failed"
        case .deviceDisabled: "device disabled"
        case .internalError: "internal error"
        case .rateLimited: "request limit exceeded"
        case .sourceBanned: "source address banned"
        }
    }

    /// The v2 error code (§3.2 envelope).
    public var v2Code: String {
        switch self {
        case .badRequest: "InvalidParameter"
        case .deviceNotFound: "ResourceNotFound.DeviceNotExist"
        case .signatureMismatch: "AuthFailure.SignatureFailure"
        case .deviceDisabled: "UnauthorizedOperation.DeviceIsNotEnabled"
        case .internalError: "InternalError"
        case .rateLimited: "RequestLimitExceeded"
        case .sourceBanned: "UnauthorizedOperation.SourceBanned"
        }
    }

    /// The v2 error message.
    public var v2Message: String {
        switch self {
        case .badRequest: "invalid request"
        case .deviceNotFound: "device not exist"
        case .signatureMismatch: "signature check failed"
        case .deviceDisabled: "device is not enabled"
        case .internalError: "internal error"
        case .rateLimited: "request limit exceeded"
        case .sourceBanned: "source address banned"
        }
    }

    /// A stable snake_case name for logs and metrics.
    public var reasonCode: String {
        switch self {
        case .badRequest: "bad_request"
        case .deviceNotFound: "device_not_found"
        case .signatureMismatch: "signature_mismatch"
        case .deviceDisabled: "device_disabled"
        case .internalError: "internal_error"
        case .rateLimited: "request_limit_exceeded"
        case .sourceBanned: "source_banned"
        }
    }
}

/// The exact reply bodies of both log upload endpoints.
public enum LogUploadReply {
    /// `{"Retcode":0,"Msg":"ok"}`
    public static let classicSuccess = #"{"Retcode":0,"Msg":"ok"}"#

    /// `{"Retcode":3,"Msg":"check signature failed"}`
    public static func classicError(_ refusal: LogUploadRefusal) -> String {
        "{\"Retcode\":\(refusal.classicRetcode),\"Msg\":\(JSONText.quoted(refusal.classicMessage))}"
    }

    /// `{"Response":{"RequestId":"…"}}`
    public static func v2Success(requestId: String) -> String {
        "{\"Response\":{\"RequestId\":\(JSONText.quoted(requestId))}}"
    }

    /// `{"Response":{"Error":{"Code":"…","Message":"…"},"RequestId":"…"}}`
    public static func v2Error(_ refusal: LogUploadRefusal, requestId: String) -> String {
        "{\"Response\":{\"Error\":{\"Code\":\(JSONText.quoted(refusal.v2Code)),\"Message\":\(JSONText.quoted(refusal.v2Message))},"
            + "\"RequestId\":\(JSONText.quoted(requestId))}}"
    }
}
