public import BrokerCore
public import MQTTCore
import NIOConcurrencyHelpers
import NIOCore

/// Owns the broker engine: every event runs under one lock, and the resulting actions are handed to the
/// connections' queues before the lock is released, so each connection sees packets in broker order.
public final class BrokerHost: @unchecked Sendable {
    private let lock = NIOLock()
    private let broker: Broker
    private var handles: [ConnectionID: ConnectionHandle] = [:]
    /// Receives client messages for the hub's services; must not block (it runs under the lock). With a
    /// `HubCompletion`, the publisher's acknowledgement waits until the hub calls it (the hub has made what
    /// the message reports durable).
    private let hubSink: HubSink
    /// Where messages for the other nodes of a cluster go (`BrokerAction.toCluster`). Set once, before the server
    /// starts; called under the broker lock, so it must only hand the message over.
    public var clusterSink: (@Sendable (ClusterEvent) -> Void)? = nil
    /// Whether the publisher's acknowledgement of a QoS 1/2 message for the hub waits for the hub.
    private let hubAcknowledges: @Sendable (MQTTPublish) -> Bool
    /// Where the broker's durable changes go; nil: the broker keeps its state in memory only.
    public let journal: BrokerJournalQueue?
    /// Holds waiting for a journal ticket, in ticket order.
    private var journalHolds: [(ticket: UInt64, handle: ConnectionHandle, hold: UInt64)] = []

    /// With a `journal`, the broker records its changes (`Broker.journaling`) and the acknowledgements they
    /// gate are held until the writer reports them durable (`journalCommitted`).
    public init(
        broker: Broker, journal: BrokerJournalQueue? = nil, hubAcknowledges: @escaping @Sendable (MQTTPublish) -> Bool = { _ in false },
        hubSink: @escaping HubSink = { _, _, _ in }
    ) {
        self.broker = broker
        self.journal = journal
        self.hubSink = hubSink
        self.hubAcknowledges = hubAcknowledges
        if journal != nil { broker.journaling = true }
    }

    /// Milliseconds of a monotonic clock (the broker's clock).
    public static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds / 1_000_000 }

    func register(_ handle: ConnectionHandle) {
        lock.withLock { handles[handle.id] = handle }
    }

    /// Runs an event through the broker and dispatches its actions.
    @discardableResult
    public func perform(_ event: (Broker, UInt64) -> [BrokerAction]) -> Int {
        lock.withLock {
            let actions = event(broker, Self.now())
            dispatch(actions, gate: journalTicket())
            return actions.count
        }
    }

    /// Submits the changes of the event just run; the ticket to hold its acknowledgements for, if any of
    /// them gates one.
    private func journalTicket() -> UInt64? {
        guard let journal else { return nil }
        let changes = broker.takeJournal()
        guard !changes.isEmpty else { return nil }
        let ticket = journal.submit(changes)
        return changes.contains(where: \.gatesAcknowledgement) ? ticket : nil
    }

    /// The writer made everything up to `ticket` durable (`failed`: it could not; the held
    /// acknowledgements are dropped and their connections closed, so that their clients send again).
    public func journalCommitted(through ticket: UInt64, failed: Bool) {
        let due: [(ticket: UInt64, handle: ConnectionHandle, hold: UInt64)] = lock.withLock {
            let count = journalHolds.prefix { $0.ticket <= ticket }.count
            defer { journalHolds.removeFirst(count) }
            return Array(journalHolds.prefix(count))
        }
        for entry in due { entry.handle.satisfy(entry.hold, failed: failed) }
    }

    /// A connected client's connection closed: the broker learns it (wills, session end) and its handle is
    /// forgotten, under one acquisition of the lock. Returns whether the client id is connected on another
    /// connection (a takeover moved it there).
    func connectionClosed(_ id: ConnectionID, clientId: String) -> Bool {
        lock.withLock {
            let actions = broker.connectionLost(id, now: Self.now())
            dispatch(actions, gate: journalTicket())
            handles.removeValue(forKey: id)
            return broker.isConnected(clientId: clientId)
        }
    }

    /// Hands actions to the connections' queues and the hub (under the lock). The acknowledgements among
    /// them (PUBACK, PUBREC, SUBACK, UNSUBACK: to the client whose event this was) and whatever its
    /// connection is sent after them wait, when the event has changes to make durable (`gate`, a journal
    /// ticket) or QoS 1/2 messages for the hub that it acknowledges (`hubAcknowledges`), until those are done.
    private func dispatch(_ actions: [BrokerAction], gate: UInt64? = nil) {
        let hubWaits = actions.reduce(0) { count, action in
            if case .toHub(let message, _) = action, message.qos != .atMostOnce, hubAcknowledges(message) { return count + 1 }
            return count
        }
        var hold: (handle: ConnectionHandle, id: UInt64)?
        for action in actions {
            switch action {
            case .send(let id, let packet):
                guard let handle = handles[id] else { continue }
                if hold == nil, gate != nil || hubWaits > 0, packet.isGatedAcknowledgement {
                    let holdId = handle.hold(conditions: (gate == nil ? 0 : 1) + hubWaits)
                    hold = (handle, holdId)
                    if let gate { journalHolds.append((gate, handle, holdId)) }
                }
                handle.enqueue(packet)
            case .close(let id, let reason): handles[id]?.close(reason)
            case .toCluster(let message):
                clusterSink?(.publish(message))
            case .clusterConnected(let clientId, let cleanSession):
                clusterSink?(.connected(clientId: clientId, cleanSession: cleanSession))
            case .toHub(let message, let identity):
                if let hold, message.qos != .atMostOnce, hubAcknowledges(message) {
                    let (handle, holdId) = hold
                    hubSink(message, identity, HubCompletion { ok in handle.satisfy(holdId, failed: !ok) })
                } else {
                    hubSink(message, identity, nil)
                }
            }
        }
    }

    /// Runs a mutation of the broker that is not a client's event (restoring, tests) and submits its
    /// changes.
    public func mutate(_ body: (Broker) -> Void) {
        lock.withLock {
            body(broker)
            _ = journalTicket()
        }
    }

    /// Reads broker state under the lock.
    public func inspect<T>(_ body: (Broker) -> T) -> T {
        lock.withLock { body(broker) }
    }

    /// Each connected client's unwritten output in bytes (`ConnectionHandle.unwrittenBytes`).
    public func unwrittenOutput() -> [ConnectionID: Int] {
        let all = lock.withLock { handles }
        return all.mapValues(\.unwrittenBytes)
    }
}

/// What a node tells the other nodes of its cluster (``BrokerHost/clusterSink``).
public enum ClusterEvent: Sendable {
    /// A message routed on this node.
    case publish(MQTTPublish)
    /// A client connected to this node.
    case connected(clientId: String, cleanSession: Bool)
}

/// Receives client messages for the hub's services (see `BrokerHost`).
public typealias HubSink = @Sendable (MQTTPublish, ClientIdentity, HubCompletion?) -> Void

/// Called once by the hub when it is done with a message whose acknowledgement waits for it: `true` when
/// what the message reports is durable (the acknowledgement goes out), `false` when it could not be kept
/// (the connection closes without it, and the client sends the message again).
public struct HubCompletion: Sendable {
    let body: @Sendable (Bool) -> Void

    public init(_ body: @escaping @Sendable (Bool) -> Void) {
        self.body = body
    }

    public func callAsFunction(_ succeeded: Bool) {
        body(succeeded)
    }
}

extension MQTTPacket {
    /// The acknowledgements that promise the client something the journal must keep first.
    var isGatedAcknowledgement: Bool {
        switch self {
        case .puback, .pubrec, .suback, .unsuback: true
        default: false
        }
    }
}
