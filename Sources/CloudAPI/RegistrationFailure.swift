/// Dynamic-registration failures (device-protocol.md §3.5) with their legacy numeric `code`
/// (`POST /register/dev`) and their API 3.0 error (`POST /device/register`, v2).
public enum RegistrationFailure: Sendable, Hashable, CaseIterable {
    /// Body not JSON, field missing or of the wrong type, bad DeviceName pattern.
    case invalidRequest
    /// v2 `X-TC-*` header missing or unknown algorithm.
    case invalidAuthorization
    case signatureMismatch
    /// Replayed nonce (only when the optional replay check is on).
    case nonceReplayed
    case productNotFound
    case productDisabled
    /// `RegisterType` 0 or no ProductSecret.
    case registrationOff
    /// `RegisterType` 1 and the device does not exist.
    case preCreatedDeviceNotFound
    case deviceDisabled
    case registerLimitReached
    case deviceAlreadyActivated
    case internalFailure

    /// Legacy endpoint `code` (`nil`: the situation does not exist for the legacy endpoint).
    public var legacyCode: Int? {
        switch self {
        case .invalidRequest: return 1000
        case .invalidAuthorization: return nil
        case .signatureMismatch: return 1010
        case .nonceReplayed: return 1011
        case .productNotFound: return 1020
        case .productDisabled: return 1021
        case .registrationOff: return 1022
        case .preCreatedDeviceNotFound: return 1023
        case .deviceDisabled: return 1024
        case .registerLimitReached: return 1025
        case .deviceAlreadyActivated: return 1026
        case .internalFailure: return 1099
        }
    }

    /// Short ASCII message used by both endpoints.
    public var message: String {
        switch self {
        case .invalidRequest: return "Invalid request"
        case .invalidAuthorization: return "Invalid authorization"
        case .signatureMismatch: return "Check signature failed"
        case .nonceReplayed: return "Nonce already used"
        case .productNotFound: return "Product not exists"
        case .productDisabled: return "Product is forbidden"
        case .registrationOff: return "Not support dynamic device register, please check setting first"
        case .preCreatedDeviceNotFound: return "Pre create mode: device not exists"
        case .deviceDisabled: return "Device is disabled"
        case .registerLimitReached: return "Register limit exceeded"
        case .deviceAlreadyActivated: return "Device already activated"
        case .internalFailure: return "Internal error"
        }
    }

    /// The v2 error (`Error.Code` + message).
    public var apiError: APIError {
        switch self {
        case .invalidRequest: return .invalidParameter(message)
        case .invalidAuthorization: return .invalidAuthorization(message)
        case .signatureMismatch: return .signatureFailure(message)
        case .nonceReplayed: return .signatureExpire(message)
        case .productNotFound: return .productNotExist(message)
        case .productDisabled: return .productIsForbidden(message)
        case .registrationOff: return .dynamicRegisterDisabled(message)
        case .preCreatedDeviceNotFound: return .deviceNotExist(message)
        case .deviceDisabled: return .deviceIsNotEnabled(message)
        case .registerLimitReached: return .deviceExceedLimit(message)
        case .deviceAlreadyActivated: return .deviceAlreadyActivated(message)
        case .internalFailure: return .internalError(message)
        }
    }
}

/// Hub-defined registration codes (device-protocol.md §3.5).
extension APIError {
    public static func dynamicRegisterDisabled(
        _ message: String = "Not support dynamic device register, please check setting first"
    ) -> APIError {
        APIError(code: "UnsupportedOperation.DynamicRegisterDisabled", message: message)
    }

    public static func deviceAlreadyActivated(_ message: String = "Device already activated") -> APIError {
        APIError(code: "FailedOperation.DeviceAlreadyActivated", message: message)
    }
}
