/// Why the hub refuses a dynamic registration (device-protocol.md §3.5), with the code and
/// message each endpoint puts on the wire.
///
/// A struct with static members rather than a public enum, so reasons can be added later.
public struct RegistrationRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Reason: Sendable, Hashable, CaseIterable {
        case invalidRequest, invalidAuthorization, signatureMismatch, nonceReplayed
        case productNotFound, productDisabled, registrationDisabled
        case deviceNotFound, deviceDisabled, registerLimitReached, deviceAlreadyActivated
        case requestLimitExceeded, sourceBanned
        case internalError
    }

    private let reason: Reason

    private init(_ reason: Reason) {
        self.reason = reason
    }

    /// Body not JSON, field missing or of the wrong type, bad DeviceName.
    public static let invalidRequest = Self(.invalidRequest)
    /// v2: an `X-TC-*` header is missing or the algorithm is unknown.
    public static let invalidAuthorization = Self(.invalidAuthorization)
    /// The signature does not match.
    public static let signatureMismatch = Self(.signatureMismatch)
    /// The nonce was already used (optional replay check).
    public static let nonceReplayed = Self(.nonceReplayed)
    /// No such product.
    public static let productNotFound = Self(.productNotFound)
    /// The product is disabled.
    public static let productDisabled = Self(.productDisabled)
    /// Dynamic registration is off for the product (`RegisterType` 0 or no secret).
    public static let registrationDisabled = Self(.registrationDisabled)
    /// `RegisterType` 1 and the device does not exist.
    public static let deviceNotFound = Self(.deviceNotFound)
    /// The device is disabled.
    public static let deviceDisabled = Self(.deviceDisabled)
    /// The product's `RegisterLimit` is reached.
    public static let registerLimitReached = Self(.registerLimitReached)
    /// The device has already logged in; an operator must reset it first.
    public static let deviceAlreadyActivated = Self(.deviceAlreadyActivated)
    /// The source address sent more registrations than its rate limit allows (hub-defined; Tencent's cloud
    /// API answers `RequestLimitExceeded` when a caller is over its frequency limit).
    public static let requestLimitExceeded = Self(.requestLimitExceeded)
    /// The source address is banned (by the operator, or after repeated authentication failures).
    public static let sourceBanned = Self(.sourceBanned)
    /// The hub failed internally.
    public static let internalError = Self(.internalError)

    /// Every refusal, in the order of the §3.5 table.
    public static var allCases: [RegistrationRefusal] { Reason.allCases.map(Self.init) }

    /// Looks up a refusal by its legacy `code`. 1000 maps to ``invalidRequest``.
    public init?(legacyCode: Int) {
        guard let match = Self.allCases.first(where: { $0.legacyCode == legacyCode }) else { return nil }
        self = match
    }

    /// Looks up a refusal by its v2 `Error.Code`.
    public init?(v2Code: String) {
        guard let match = Self.allCases.first(where: { $0.v2Code == v2Code }) else { return nil }
        self = match
    }

    /// The legacy endpoint's `code`. The legacy endpoint has no authorization headers, so
    /// ``invalidAuthorization`` shares 1000 with ``invalidRequest``.
    public var legacyCode: Int {
        switch reason {
        case .invalidRequest, .invalidAuthorization: 1000
        case .signatureMismatch: 1010
        case .nonceReplayed: 1011
        case .productNotFound: 1020
        case .productDisabled: 1021
        case .registrationDisabled: 1022
        case .deviceNotFound: 1023
        case .deviceDisabled: 1024
        case .registerLimitReached: 1025
        case .deviceAlreadyActivated: 1026
        case .requestLimitExceeded: 1027
        case .sourceBanned: 1028
        case .internalError: 1099
        }
    }

    /// The v2 endpoint's `Response.Error.Code`.
    public var v2Code: String {
        switch reason {
        case .invalidRequest: "InvalidParameter"
        case .invalidAuthorization: "AuthFailure.InvalidAuthorization"
        case .signatureMismatch: "AuthFailure.SignatureFailure"
        case .nonceReplayed: "AuthFailure.SignatureExpire"
        case .productNotFound: "ResourceNotFound.ProductNotExist"
        case .productDisabled: "UnauthorizedOperation.ProductIsForbidden"
        case .registrationDisabled: "UnsupportedOperation.DynamicRegisterDisabled"
        case .deviceNotFound: "ResourceNotFound.DeviceNotExist"
        case .deviceDisabled: "UnauthorizedOperation.DeviceIsNotEnabled"
        case .registerLimitReached: "LimitExceeded.DeviceExceedLimit"
        case .deviceAlreadyActivated: "FailedOperation.DeviceAlreadyActivated"
        case .requestLimitExceeded: "RequestLimitExceeded"
        case .sourceBanned: "UnauthorizedOperation.SourceBanned"
        case .internalError: "InternalError"
        }
    }

    /// The `message` both endpoints send (short ASCII).
    public var message: String {
        switch reason {
        case .invalidRequest: "Invalid request"
        case .invalidAuthorization: "Invalid authorization"
        case .signatureMismatch: "Check signature failed"
        case .nonceReplayed: "Nonce already used"
        case .productNotFound: "Product not exists"
        case .productDisabled: "Product is forbidden"
        case .registrationDisabled: "Not support dynamic device register, please check setting first"
        case .deviceNotFound: "Pre create mode: device not exists"
        case .deviceDisabled: "Device is disabled"
        case .registerLimitReached: "Register limit exceeded"
        case .deviceAlreadyActivated: "Device already activated"
        case .requestLimitExceeded: "Request limit exceeded"
        case .sourceBanned: "Source address banned"
        case .internalError: "Internal error"
        }
    }

    /// A stable snake_case name for audit logs and metrics.
    public var reasonCode: String {
        switch reason {
        case .invalidRequest: "invalid_request"
        case .invalidAuthorization: "invalid_authorization"
        case .signatureMismatch: "signature_mismatch"
        case .nonceReplayed: "nonce_replayed"
        case .productNotFound: "product_not_found"
        case .productDisabled: "product_disabled"
        case .registrationDisabled: "registration_disabled"
        case .deviceNotFound: "device_not_found"
        case .deviceDisabled: "device_disabled"
        case .registerLimitReached: "register_limit_reached"
        case .deviceAlreadyActivated: "device_already_activated"
        case .requestLimitExceeded: "request_limit_exceeded"
        case .sourceBanned: "source_banned"
        case .internalError: "internal_error"
        }
    }

    public var description: String { reasonCode }
}
