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

    public init(broker: Broker, hubSink: @escaping @Sendable (MQTTPublish, ClientIdentity) -> Void = { _, _ in }) {
        self.broker = broker
        self.hubSink = hubSink
    }

    /// Milliseconds of a monotonic clock.
    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds / 1_000_000 }

    func register(_ handle: ConnectionHandle) {
        lock.withLock { handles[handle.id] = handle }
    }

    /// Runs an event through the broker and dispatches its actions.
    @discardableResult
    public func perform(_ event: (Broker, UInt64) -> [BrokerAction]) -> Int {
        lock.withLock {
            let actions = event(broker, Self.now())
            dispatch(actions)
            return actions.count
        }
    }

    /// A connected client's connection closed: the broker learns it (wills, session end) and its handle is
    /// forgotten, under one acquisition of the lock. Returns whether the client id is connected on another
    /// connection (a takeover moved it there).
    func connectionClosed(_ id: ConnectionID, clientId: String) -> Bool {
        lock.withLock {
            dispatch(broker.connectionLost(id, now: Self.now()))
            handles.removeValue(forKey: id)
            return broker.isConnected(clientId: clientId)
        }
    }

    /// Hands actions to the connections' queues and the hub (under the lock).
    private func dispatch(_ actions: [BrokerAction]) {
        for action in actions {
            switch action {
            case .send(let id, let packet): handles[id]?.enqueue(packet)
            case .close(let id, let reason): handles[id]?.close(reason)
            case .toHub(let message, let identity): hubSink(message, identity)
            }
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
