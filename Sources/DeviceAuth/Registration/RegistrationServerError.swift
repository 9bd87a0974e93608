/// A registration refused by the server, as the device reads it from the reply.
///
/// Carries the server's own code and message, so codes this module does not know
/// (another server, a newer hub) are still reported faithfully; ``refusal`` maps the
/// known ones.
public struct RegistrationServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The code as the endpoint sent it.
    public enum Code: Sendable, Hashable {
        /// Legacy endpoint: the non-zero integer `code`.
        case legacy(Int)
        /// v2 endpoint: `Response.Error.Code`.
        case v2(String)
    }

    public var code: Code
    public var message: String
    /// `requestId` / `Response.RequestId`, if the server sent one.
    public var requestId: String?

    public init(code: Code, message: String, requestId: String? = nil) {
        self.code = code
        self.message = message
        self.requestId = requestId
    }

    /// The hub refusal this code stands for, or `nil` for an unknown code.
    public var refusal: RegistrationRefusal? {
        switch code {
        case .legacy(let value): RegistrationRefusal(legacyCode: value)
        case .v2(let value): RegistrationRefusal(v2Code: value)
        }
    }

    public var description: String {
        switch code {
        case .legacy(let value): "registration refused: code \(value): \(message)"
        case .v2(let value): "registration refused: \(value): \(message)"
        }
    }
}
