/// An error raised by ``HubCA``.
///
/// `code` is stable and meant for programmatic handling (mapping to protocol errors happens at the edge);
/// `message` is a human-readable explanation for logs and is not stable.
public struct HubCAError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable error code. Compare with the static members, e.g. `error.code == .expired`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Hashable, Sendable {
            case fileSystem
            case invalidStoredMaterial
            case invalidArgument
            case issuanceFailed
            case malformedCertificate
            case emptyChain
            case notIssuedByThisCA
            case notYetValid
            case expired
            case caNotValid
            case wrongKeyUsage
            case unsupportedCriticalExtension
            case invalidSubject
        }

        private let kind: Kind

        private init(_ kind: Kind) { self.kind = kind }

        /// Reading or writing a file in the CA directory failed.
        public static let fileSystem = Code(.fileSystem)
        /// Files in the CA directory exist but are unusable (unparsable, key and certificate do not match,
        /// certificate present without its key, the stored CA certificate is not a CA).
        public static let invalidStoredMaterial = Code(.invalidStoredMaterial)
        /// An argument is invalid (malformed ProductId/DeviceName, host name, IP address, validity).
        public static let invalidArgument = Code(.invalidArgument)
        /// Building or signing a certificate failed.
        public static let issuanceFailed = Code(.issuanceFailed)
        /// A presented certificate could not be parsed.
        public static let malformedCertificate = Code(.malformedCertificate)
        /// No certificate was presented.
        public static let emptyChain = Code(.emptyChain)
        /// The certificate was not issued by this CA (issuer name, key identifier or signature mismatch).
        public static let notIssuedByThisCA = Code(.notIssuedByThisCA)
        /// The certificate's `notBefore` is in the future.
        public static let notYetValid = Code(.notYetValid)
        /// The certificate's `notAfter` is in the past.
        public static let expired = Code(.expired)
        /// The CA certificate itself is not valid at the verification time.
        public static let caNotValid = Code(.caNotValid)
        /// The certificate may not be used for the requested purpose (missing clientAuth/serverAuth EKU,
        /// missing digitalSignature key usage, or it is a CA certificate).
        public static let wrongKeyUsage = Code(.wrongKeyUsage)
        /// The certificate carries a critical extension the hub does not understand.
        public static let unsupportedCriticalExtension = Code(.unsupportedCriticalExtension)
        /// The subject does not name a device in the expected form (CN = ProductId + DeviceName,
        /// O = ProductId, OU = DeviceName).
        public static let invalidSubject = Code(.invalidSubject)

        /// The stable textual name of the code, e.g. `"expired"`.
        public var description: String { kind.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "HubCAError(\(code)): \(message)" }
}
