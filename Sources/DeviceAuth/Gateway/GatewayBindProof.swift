/// The signed part of a gateway's `bind` request.
public struct GatewayBindProof: Sendable, Hashable {
    public var signature: String
    public var random: Int64
    public var timestamp: Int64
    public var signMethod: String
    public var authType: String

    public init(signature: String, random: Int64, timestamp: Int64, signMethod: String, authType: String) {
        self.signature = signature
        self.random = random
        self.timestamp = timestamp
        self.signMethod = signMethod
        self.authType = authType
    }
}
