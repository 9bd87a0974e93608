import DequeModule
import MQTTCore

/// Observes what the broker does, for metrics. The default does nothing.
public protocol BrokerObserver: Sendable {
    func messageDropped(reason: String)
    func publishDenied()
    func subscribeDenied()
    /// A disconnected persistent session expired and was discarded with its queued messages.
    func sessionExpired(queuedMessages: Int)
    /// A CONNECT was refused because its application credential holds its maximum of sessions.
    func sessionQuotaExceeded()
}

extension BrokerObserver {
    public func messageDropped(reason: String) {}
    public func publishDenied() {}
    public func subscribeDenied() {}
    public func sessionExpired(queuedMessages: Int) {}
    public func sessionQuotaExceeded() {}
}

public struct NoBrokerObserver: BrokerObserver {
    public init() {}
}

/// The MQTT broker engine, without I/O: events in (`connect`, `receive`, `connectionLost`, `tick`, …),
/// actions out (`send`, `close`). The server layer owns one instance, calls it under one lock and executes
/// the returned actions in order.
///
/// Complete MQTT 3.1 / 3.1.1 server behaviour: QoS 0/1/2 with redelivery of unacknowledged messages on
/// session resumption, retained messages, wills, clean and persistent sessions with a bounded queue,
/// keep-alive (1.5×), takeover of a duplicate ClientId, `$` topics not matched by leading wildcards,
/// ordered delivery per session, an in-flight window.
public final class Broker {
    public let configuration: BrokerConfiguration
    let authorizer: any BrokerAuthorizer
    let observer: any BrokerObserver

    var sessions: [String: Session] = [:]
    var connections: [ConnectionID: String] = [:]
    var keepAlive = KeepAliveSchedule()
    /// Disconnected persistent sessions (client id, the deadline filed) by the second they may expire.
    var expirySchedule = DeadlineSchedule<(clientId: String, deadline: UInt64)>()
    /// Sessions (connected or persistent) per application id, for `maxSessionsPerApplication`.
    var sessionsPerApplication: [String: Int] = [:]
    /// Persistent sessions discarded because they expired, since the broker started.
    public internal(set) var expiredSessions = 0
    let subscriptions = SubscriptionTree()
    var retained: RetainedStore
    /// Filters of the topics the hub's services consume (`$shadow/operation/+/+`, …), by whether they start
    /// with `$`: a topic starting with `$` can match only those, any other topic only the rest (MQTT-4.7.2-1;
    /// a literal first level differs from the topic's), so a publish is matched against one group.
    var hubFiltersDollar: [String] = []
    var hubFiltersOther: [String] = []
    /// Record changes to retained messages and persistent sessions (`BrokerChange`) for durable storage.
    public var journaling = false
    var journal: [BrokerChange] = []

    public init(
        configuration: BrokerConfiguration = BrokerConfiguration(),
        authorizer: any BrokerAuthorizer = AllowAllAuthorizer(),
        observer: any BrokerObserver = NoBrokerObserver()
    ) {
        self.configuration = configuration
        self.authorizer = authorizer
        self.observer = observer
        self.retained = RetainedStore(
            limit: configuration.maxRetainedMessages, maxBytes: configuration.maxRetainedBytes, maxMessageBytes: configuration.maxRetainedMessageBytes
        )
    }

    /// Routes client messages on topics matching the filter to the hub (`BrokerAction.toHub`), besides any
    /// subscribers.
    public func subscribeHub(_ filter: String) {
        if filter.utf8.first == UInt8(ascii: "$") { hubFiltersDollar.append(filter) } else { hubFiltersOther.append(filter) }
    }

    // MARK: the journal

    func record(_ change: BrokerChange) {
        journal.append(change)
    }

    /// The changes recorded since the last call, in the order they were made.
    public func takeJournal() -> [BrokerChange] {
        guard !journal.isEmpty else { return [] }
        defer { journal.removeAll(keepingCapacity: true) }
        return journal
    }

    // MARK: queries (for the management API and tests)

    public var connectionCount: Int { connections.count }
    public var sessionCount: Int { sessions.count }
    public var retainedCount: Int { retained.messages.count }
    public var retainedBytes: Int { retained.bytes }

    /// Sessions (connected or persistent) an application credential holds.
    public func sessionCount(application id: String) -> Int { sessionsPerApplication[id, default: 0] }

    /// The client id connected on a connection.
    public func clientId(of connection: ConnectionID) -> String? { connections[connection] }

    /// Whether a client id currently has a live connection.
    public func isConnected(clientId: String) -> Bool { sessions[clientId]?.connection != nil }

    /// Whether a client id holds a subscription whose filter matches the topic.
    public func isSubscribed(clientId: String, topic: String) -> Bool {
        guard let session = sessions[clientId] else { return false }
        return session.subscriptions.keys.contains { MQTTTopic.matches(filter: $0, topic: topic) }
    }

    /// Messages a session dropped because its queue was full.
    public func droppedMessages(clientId: String) -> Int? { sessions[clientId]?.dropped }

    /// Messages queued for a session.
    public func queuedMessages(clientId: String) -> Int? { sessions[clientId]?.queue.count }

    /// Bytes (topic + payload) queued for a session.
    public func queuedBytes(clientId: String) -> Int? { sessions[clientId]?.queuedBytes }

    /// Whether the broker holds a session (connected or not) for a client id.
    public func hasSession(clientId: String) -> Bool { sessions[clientId] != nil }

    /// Client ids of the live connections whose identity satisfies a predicate.
    public func connectedClients(where predicate: (ClientIdentity) -> Bool) -> [(clientId: String, connection: ConnectionID)] {
        connections.compactMap { connection, clientId in
            guard let session = sessions[clientId], predicate(session.identity) else { return nil }
            return (clientId, connection)
        }
    }
}
