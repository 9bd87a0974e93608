public import MQTTCore

/// A change to the broker state that must outlive the process: retained messages and persistent sessions
/// (their subscriptions, their QoS 1/2 messages queued and in flight, their QoS 2 receive state).
///
/// With journaling on (`Broker.journaling`), the broker records each change as it makes it; the server layer
/// takes them after every event (`Broker.takeJournal`), writes them durably in batches and holds back the
/// acknowledgements to clients (PUBACK, PUBREC, SUBACK, UNSUBACK) of an event whose changes
/// `gateAcknowledgement` until they are on disk. Clean sessions and QoS 0 messages are never journaled.
public enum BrokerChange: Sendable, Equatable {
    /// The retained message of a topic was set; an empty payload deleted it.
    case retained(MQTTPublish)
    /// A persistent session started or resumed (inserted or updated; its messages and subscriptions stay).
    case sessionSaved(PersistedSession)
    /// A persistent session ended (expired, replaced by a clean one, taken by another identity): everything
    /// of the client id goes.
    case sessionEnded(clientId: String)
    /// A persistent session was handed over to another node of a cluster (`toNode`, the id its broker store keys
    /// rows by): a store the nodes share gives that node the session's rows in one step, so the session is never
    /// without a durable copy; a node's own store deletes them (as `sessionEnded`).
    case sessionMoved(clientId: String, toNode: String)
    case subscribed(clientId: String, filter: String, qos: MQTTQoS)
    case unsubscribed(clientId: String, filter: String)
    /// A QoS 1/2 message for the session, queued or sent (then with its packet id).
    case messageAdded(clientId: String, PersistedMessage)
    /// A message the session already had when this node took it (adopted from another node, whose rows may already
    /// be this node's): written like `messageAdded`, but never dropped with its acknowledgement in one batch, since
    /// its row may exist from before the batch.
    case messageRestated(clientId: String, PersistedMessage)
    /// A queued message was sent with this packet id.
    case messageSent(clientId: String, sequence: UInt64, packetId: UInt16)
    /// A QoS 2 message's PUBREC arrived: PUBREL sent, waiting for PUBCOMP.
    case messageReleased(clientId: String, sequence: UInt64)
    /// A message was acknowledged (PUBACK, PUBCOMP).
    case messageRemoved(clientId: String, sequence: UInt64)
    /// An inbound QoS 2 packet id received (PUBREC sent), not yet released by PUBREL.
    case qos2Received(clientId: String, packetId: UInt16)
    case qos2Released(clientId: String, packetId: UInt16)

    /// Whether the acknowledgement of the event that made this change waits until it is durable: what a
    /// PUBACK, PUBREC or SUBACK promises the client (its message stored for the offline subscriber or as
    /// retained, its subscription kept, its QoS 2 message not delivered twice).
    public var gatesAcknowledgement: Bool {
        switch self {
        case .retained, .subscribed, .unsubscribed, .messageAdded, .messageRestated, .qos2Received: true
        case .sessionSaved, .sessionEnded, .sessionMoved, .messageSent, .messageReleased, .messageRemoved, .qos2Released: false
        }
    }
}

/// What is stored of a persistent session itself.
public struct PersistedSession: Sendable, Equatable {
    public var clientId: String
    public var identity: ClientIdentity
    public var version: MQTTProtocolVersion
    /// How long the session outlives its connection, milliseconds.
    public var expiryMillis: UInt64

    public init(clientId: String, identity: ClientIdentity, version: MQTTProtocolVersion, expiryMillis: UInt64) {
        self.clientId = clientId
        self.identity = identity
        self.version = version
        self.expiryMillis = expiryMillis
    }
}

/// A QoS 1/2 message of a persistent session.
public struct PersistedMessage: Sendable, Equatable {
    public enum State: UInt8, Sendable {
        case queued = 0
        /// Sent (with `publish.packetId`), waiting for PUBACK or PUBREC.
        case awaitingAcknowledgement = 1
        /// QoS 2: PUBREL sent, waiting for PUBCOMP.
        case awaitingCompletion = 2
    }

    /// Orders the session's messages (assigned by the session, increasing).
    public var sequence: UInt64
    public var publish: MQTTPublish
    public var state: State

    public init(sequence: UInt64, publish: MQTTPublish, state: State) {
        self.sequence = sequence
        self.publish = publish
        self.state = state
    }
}

/// A persistent session as loaded from storage: restored disconnected.
public struct StoredSession: Sendable {
    public var session: PersistedSession
    public var subscriptions: [String: MQTTQoS]
    /// In sequence order.
    public var messages: [PersistedMessage]
    public var inboundQoS2: Set<UInt16>

    public init(session: PersistedSession, subscriptions: [String: MQTTQoS], messages: [PersistedMessage], inboundQoS2: Set<UInt16>) {
        self.session = session
        self.subscriptions = subscriptions
        self.messages = messages
        self.inboundQoS2 = inboundQoS2
    }
}
