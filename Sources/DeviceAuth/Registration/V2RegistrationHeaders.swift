/// The four `X-TC-*` headers of a v2 registration request.
public struct V2RegistrationHeaders: Sendable, Hashable {
    public static let algorithmName = "X-TC-Algorithm"
    public static let timestampName = "X-TC-Timestamp"
    public static let nonceName = "X-TC-Nonce"
    public static let signatureName = "X-TC-Signature"

    /// `X-TC-Algorithm` verbatim (it is signed verbatim).
    public var algorithmHeader: String
    /// The parsed algorithm.
    public var algorithm: V2RegistrationSignature.Algorithm
    /// `X-TC-Timestamp` verbatim.
    public var timestamp: String
    /// `X-TC-Nonce` verbatim.
    public var nonce: String
    /// `X-TC-Signature`.
    public var signature: String

    /// Reads the headers through `value(forName:)`, which must match names case-insensitively.
    /// - Throws: ``RegistrationRefusal/invalidAuthorization`` if one is missing or the algorithm is unknown.
    public init(value: (String) -> String?) throws(RegistrationRefusal) {
        guard let algorithmHeader = value(Self.algorithmName),
            let timestamp = value(Self.timestampName),
            let nonce = value(Self.nonceName),
            let signature = value(Self.signatureName),
            let algorithm = V2RegistrationSignature.Algorithm(headerValue: algorithmHeader)
        else {
            throw .invalidAuthorization
        }
        self.algorithmHeader = algorithmHeader
        self.algorithm = algorithm
        self.timestamp = timestamp
        self.nonce = nonce
        self.signature = signature
    }

    /// Signs a request as a device does: the algorithm's lowercase header value and its
    /// ``V2RegistrationSignature/Algorithm/signingBodyHash``.
    public init(
        signing body: [UInt8],
        host: String,
        algorithm: V2RegistrationSignature.Algorithm,
        timestamp: String,
        nonce: String,
        productSecret: String
    ) {
        self.algorithmHeader = algorithm.headerValue
        self.algorithm = algorithm
        self.timestamp = timestamp
        self.nonce = nonce
        self.signature = V2RegistrationSignature.sign(
            host: host,
            algorithm: algorithm,
            timestamp: timestamp,
            nonce: nonce,
            body: body,
            productSecret: productSecret
        )
    }

    /// Name/value pairs to put on the request.
    public var fields: [(name: String, value: String)] {
        [
            (Self.algorithmName, algorithmHeader),
            (Self.timestampName, timestamp),
            (Self.nonceName, nonce),
            (Self.signatureName, signature),
        ]
    }

    /// Verifies the signature over `body` for any of `candidateHosts`.
    public func verify(body: [UInt8], productSecret: String, candidateHosts: [String]) -> Bool {
        V2RegistrationSignature.verify(
            signature: signature,
            productSecret: productSecret,
            candidateHosts: candidateHosts,
            algorithmHeader: algorithmHeader,
            timestamp: timestamp,
            nonce: nonce,
            body: body
        )
    }
}
