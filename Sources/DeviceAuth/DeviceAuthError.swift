/// An error raised by the DeviceAuth functions.
///
/// Switch on ``code``; the ``message`` is for humans and may change. Codes can be
/// added without breaking callers.
public struct DeviceAuthError: Error, CustomStringConvertible {
    /// A stable error code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case productSecretTooShort = "product_secret_too_short"
            case invalidBase64 = "invalid_base64"
            case invalidCiphertext = "invalid_ciphertext"
            case lengthOutOfRange = "length_out_of_range"
            case malformedPlaintext = "malformed_plaintext"
            case invalidDeviceSecret = "invalid_device_secret"
            case malformedResponse = "malformed_response"
            case cryptoFailure = "crypto_failure"
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The ProductSecret has fewer than 16 characters, so no AES-128 key can be derived.
        public static let productSecretTooShort = Code(.productSecretTooShort)
        /// Text that should be standard Base64 is not.
        public static let invalidBase64 = Code(.invalidBase64)
        /// The ciphertext is empty or not a whole number of AES blocks.
        public static let invalidCiphertext = Code(.invalidCiphertext)
        /// A plaintext length (`len` / `Len`) is negative or longer than the decrypted data.
        public static let lengthOutOfRange = Code(.lengthOutOfRange)
        /// The decrypted registration plaintext is not the expected JSON.
        public static let malformedPlaintext = Code(.malformedPlaintext)
        /// The DeviceSecret (psk) is not valid Base64.
        public static let invalidDeviceSecret = Code(.invalidDeviceSecret)
        /// A registration response body is not one of the documented shapes.
        public static let malformedResponse = Code(.malformedResponse)
        /// The cryptographic library reported a failure.
        public static let cryptoFailure = Code(.cryptoFailure)

        /// A stable snake_case name, suitable for logs and metrics.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A short human-readable explanation. Never contains secrets.
    public var message: String
    /// The error that caused this one, if any.
    public var underlying: (any Error)?
    /// Where the error was raised.
    public var file: String
    /// Where the error was raised.
    public var line: Int

    public init(
        _ code: Code,
        _ message: String,
        underlying: (any Error)? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "DeviceAuthError(\(code)): \(message)"
        if let underlying {
            text += " (underlying: \(underlying))"
        }
        return text
    }
}
