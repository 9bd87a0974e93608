/// Decides what an authenticated client may do with topics. Implementations must be fast and
/// synchronous: they run on the broker's hot path.
public protocol BrokerAuthorizer: Sendable {
    /// May the client subscribe with this filter?
    func maySubscribe(_ identity: ClientIdentity, filter: String) -> Bool
    /// May the client publish to this topic (also checked for wills and retained messages)?
    func mayPublish(_ identity: ClientIdentity, topic: String) -> Bool
    /// May a message on this topic be delivered to the client (its filter matched)?
    func mayReceive(_ identity: ClientIdentity, topic: String) -> Bool
}

/// Allows everything: for trusted setups and tests.
public struct AllowAllAuthorizer: BrokerAuthorizer {
    public init() {}
    public func maySubscribe(_ identity: ClientIdentity, filter: String) -> Bool { true }
    public func mayPublish(_ identity: ClientIdentity, topic: String) -> Bool { true }
    public func mayReceive(_ identity: ClientIdentity, topic: String) -> Bool { true }
}
