public import MQTTCore

/// Where the broker's durable state (`BrokerChange`s) is written: `DATA/broker.sqlite` on one node
/// (`SQLiteBrokerStore`), the shared PostgreSQL database in a cluster (`PostgresBrokerStore`).
public protocol BrokerStore: Sendable {
    /// Everything this node holds, as `Broker.restore` takes it.
    func load() async throws -> (retained: [MQTTPublish], sessions: [StoredSession])
    /// Applies a batch of changes in one transaction (all or nothing), durable when it returns.
    func apply(_ changes: [BrokerChange]) async throws
    func close() async
}
