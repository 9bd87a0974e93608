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
    /// Receives client messages for the hub's services; must not block (it runs under the lock).
    private let hubSink: @Sendable (MQTTPublish, ClientIdentity) -> Void
    /// Where the broker's durable changes go; nil: the broker keeps its state in memory only.
    public let journal: BrokerJournalQueue?
    /// Connections with acknowledgements held until a ticket is committed.
    private var held: [ConnectionID: ConnectionHandle] = [:]

    /// With a `journal`, the broker records its changes (`Broker.journaling`) and the acknowledgements they
    /// gate are held until the writer reports them durable (`journalCommitted`).
    public init(broker: Broker, journal: BrokerJournalQueue? = nil, hubSink: @escaping @Sendable (MQTTPublish, ClientIdentity) -> Void = { _, _ in }) {
        self.broker = broker
        self.journal = journal
        self.hubSink = hubSink
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
        lock.withLock {
            for (id, handle) in held where handle.release(through: ticket, failed: failed) {
                held[id] = nil
            }
        }
    }

    /// A connected client's connection closed: the broker learns it (wills, session end) and its handle is
    /// forgotten, under one acquisition of the lock. Returns whether the client id is connected on another
    /// connection (a takeover moved it there).
    func connectionClosed(_ id: ConnectionID, clientId: String) -> Bool {
        lock.withLock {
            let actions = broker.connectionLost(id, now: Self.now())
            dispatch(actions, gate: journalTicket())
            handles.removeValue(forKey: id)
            held.removeValue(forKey: id)
            return broker.isConnected(clientId: clientId)
        }
    }

    /// Hands actions to the connections' queues and the hub (under the lock). With a `gate` ticket, the
    /// acknowledgements among them (PUBACK, PUBREC, SUBACK, UNSUBACK) and whatever their connections are
    /// sent after them wait until the ticket is durable.
    private func dispatch(_ actions: [BrokerAction], gate: UInt64? = nil) {
        for action in actions {
            switch action {
            case .send(let id, let packet):
                guard let handle = handles[id] else { continue }
                if let gate, packet.isGatedAcknowledgement {
                    handle.hold(until: gate)
                    held[id] = handle
                }
                handle.enqueue(packet)
            case .close(let id, let reason): handles[id]?.close(reason)
            case .toHub(let message, let identity): hubSink(message, identity)
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

extension MQTTPacket {
    /// The acknowledgements that promise the client something the journal must keep first.
    var isGatedAcknowledgement: Bool {
        switch self {
        case .puback, .pubrec, .suback, .unsuback: true
        default: false
        }
    }
}
