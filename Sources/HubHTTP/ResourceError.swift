/// Why resource management refused an operator's request. `code` is stable; the management API maps it to
/// its error codes.
public struct ResourceError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidName, invalidMD5, invalidSize, quotaExceeded, alreadyExists, productResourceNotFound, deviceResourceNotFound
            case notUploaded, storageFailure
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not 1...63 characters of `[A-Za-z0-9._-]`.
        public static let invalidName = Code(.invalidName)
        /// Not 32 hex digits.
        public static let invalidMD5 = Code(.invalidMD5)
        /// Not 1 byte...the maximum file size.
        public static let invalidSize = Code(.invalidSize)
        /// The file would take the stored resources past the hub's quota.
        public static let quotaExceeded = Code(.quotaExceeded)
        /// The product already has a resource of that name.
        public static let alreadyExists = Code(.alreadyExists)
        public static let productResourceNotFound = Code(.productResourceNotFound)
        public static let deviceResourceNotFound = Code(.deviceResourceNotFound)
        /// The device upload exists but its file has not arrived (intact).
        public static let notUploaded = Code(.notUploaded)
        /// The records or files could not be read or written.
        public static let storageFailure = Code(.storageFailure)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "ResourceError(\(code)): \(message)" }
}
