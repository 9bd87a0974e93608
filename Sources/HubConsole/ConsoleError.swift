/// The console's one error type: a stable code and a message fit for the operator.
public struct ConsoleError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidOperatorName = "invalid_operator_name"
        case invalidPassword = "invalid_password"
        case operatorExists = "operator_exists"
        case operatorNotFound = "operator_not_found"
        case storeFailed = "store_failed"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
