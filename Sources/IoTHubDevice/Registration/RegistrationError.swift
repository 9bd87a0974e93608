public import DeviceAuth

/// Why dynamic registration failed, as a device sees it.
///
/// Every refusal code of device-protocol.md §3.5 arrives as ``Kind/refused(_:)`` with the hub's
/// ``RegistrationRefusal`` (compare with `==`, e.g. `error.refusal == .registerLimitReached`) and the
/// message the hub sent.
public struct RegistrationError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The hub refused with one of the codes it documents.
        case refused(RegistrationRefusal)
        /// The hub refused with a code this SDK does not know.
        case unknownRefusal(RegistrationServerError.Code)
        /// The hub could not be reached or the exchange broke off.
        case transport
        /// An HTTP status other than 200 (the protocol answers everything with 200).
        case httpStatus(Int)
        /// The reply could not be read, or the credential in it not decrypted.
        case invalidResponse
        /// The identity has no ProductSecret to register with.
        case missingProductSecret
    }

    public var kind: Kind
    /// The hub's message, or what went wrong locally.
    public var message: String
    /// The hub's request id, when it sent one (for its audit log).
    public var requestId: String?
    /// The refusal code exactly as the endpoint sent it (`1025`, `LimitExceeded.DeviceExceedLimit`).
    public var serverCode: String?

    public init(_ kind: Kind, message: String, requestId: String? = nil, serverCode: String? = nil) {
        self.kind = kind
        self.message = message
        self.requestId = requestId
        self.serverCode = serverCode
    }

    /// The error for a refusal read from the hub's reply: a documented code becomes ``Kind/refused(_:)``.
    public init(serverError: RegistrationServerError) {
        let serverCode: String
        switch serverError.code {
        case .legacy(let code): serverCode = String(code)
        case .v2(let code): serverCode = code
        }
        let kind: Kind = serverError.refusal.map { .refused($0) } ?? .unknownRefusal(serverError.code)
        self.init(kind, message: serverError.message, requestId: serverError.requestId, serverCode: serverCode)
    }

    /// The hub's documented refusal, if this is one.
    public var refusal: RegistrationRefusal? {
        if case .refused(let refusal) = kind { return refusal }
        return nil
    }

    /// The device is already activated and has lost its credential: only an operator can help, by
    /// resetting the device's registration (`iothub device reset`, or ResetDeviceRegistration).
    public var requiresOperatorReset: Bool { refusal == .deviceAlreadyActivated }

    /// Worth retrying later without anyone changing anything (network, hub-internal, replayed nonce, the
    /// hub's rate limit or a temporary ban of the source address).
    public var isTransient: Bool {
        switch kind {
        case .transport, .httpStatus: true
        case .refused(let refusal): refusal == .internalError || refusal == .nonceReplayed || refusal == .requestLimitExceeded || refusal == .sourceBanned
        default: false
        }
    }

    /// A stable snake_case name (the refusal's ``RegistrationRefusal/reasonCode`` for refusals).
    public var reasonCode: String {
        switch kind {
        case .refused(let refusal): refusal.reasonCode
        case .unknownRefusal: "unknown_refusal"
        case .transport: "transport"
        case .httpStatus(let status): "http_\(status)"
        case .invalidResponse: "invalid_response"
        case .missingProductSecret: "missing_product_secret"
        }
    }

    public var description: String {
        var text: String
        switch kind {
        case .refused(let refusal): text = "registration refused: \(serverCode ?? refusal.v2Code) (\(refusal.reasonCode)): \(message)"
        case .unknownRefusal: text = "registration refused: \(serverCode ?? "unknown code"): \(message)"
        case .transport: text = "registration failed: \(message)"
        case .httpStatus(let status): text = "registration failed: HTTP \(status)"
        case .invalidResponse: text = "registration failed: unreadable reply: \(message)"
        case .missingProductSecret: text = "registration impossible: \(message)"
        }
        if requiresOperatorReset {
            text += ". The device is already activated; an operator must reset its registration"
                + " (iothub device reset, or the ResetDeviceRegistration action) before it can register again"
        }
        if let requestId { text += " [RequestId \(requestId)]" }
        return text
    }
}
