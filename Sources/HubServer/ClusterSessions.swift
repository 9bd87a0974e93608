import BrokerCore
import Foundation
import Logging
import Metrics
import MQTTCore
import MQTTServer
import NATSClient
import NATSCore
import NIOCore
import ServiceLifecycle
import Synchronization

/// Moves persistent sessions between the nodes of a cluster, as EMQX's and HiveMQ's clusters do: a client that
/// connects with CleanSession 0 to a node that does not hold its session gets it from the node that does, before
/// its CONNACK, with its subscriptions, its messages in flight (resent with DUP, same packet ids) and those queued
/// while it was away. The CONNACK then says the session is present.
///
/// The node asks every live node on `iothub.cluster.session.take`; the one holding the session closes its
/// connection there (a takeover: its will is published), answers with the session and forgets it; the others
/// answer that they have none. The asking node waits for every live node's answer, at most `answerTimeout`.
/// Live nodes are known from heartbeats on `iothub.cluster.nodes`, every `heartbeatInterval`; a node not heard
/// for `peerTimeout` is no longer asked, nor one that said it is leaving (graceful stop). A newcomer's first
/// heartbeat makes every node answer with its own, so a node knows its peers within a round trip of starting.
///
/// The holder forgets the session once it has sent it: if the answer cannot be sent it keeps it, and an answer
/// that arrives after the asker stopped waiting is still adopted there (unless the client has a session there by
/// then). Messages routed in the cluster while a session moves (one round trip) can miss it.
final class ClusterSessions: Service, Sendable {
    static let takeSubject = "iothub.cluster.session.take"
    static let nodesSubject = "iothub.cluster.nodes"
    static func replySubject(_ node: String) -> String { "iothub.cluster.session.reply.\(node)" }
    static let heartbeatInterval: Duration = .seconds(2)
    static let peerTimeout: Duration = .seconds(10)
    static let answerTimeout: Duration = .seconds(2)

    let node: String
    let connection: NATSConnection
    let logger: Logger
    private let hostSlot = Mutex<BrokerHost?>(nil)
    private let lookupSlot = Mutex<(@Sendable (String) async -> StoredSession?)?>(nil)
    private let state = Mutex(State())
    private let movedIn = Counter(label: "iothub_cluster_sessions_moved_total", dimensions: [("direction", "in")])
    private let movedOut = Counter(label: "iothub_cluster_sessions_moved_total", dimensions: [("direction", "out")])
    private let droppedMessages = Counter(label: "iothub_cluster_session_messages_dropped_total")

    struct State {
        var peers: [String: ContinuousClock.Instant] = [:]
        var nextRequest: UInt64 = 1
        var waiting: [UInt64: Request] = [:]
    }

    /// A take request waiting for answers.
    struct Request {
        var pending: Set<String>
        var continuation: CheckedContinuation<StoredSession?, Never>
    }

    init(connection: NATSConnection, node: String, logger: Logger) {
        self.connection = connection
        self.logger = logger
        self.node = node
    }

    /// The broker, once the MQTT server exists (before any connection).
    var host: BrokerHost? {
        get { hostSlot.withLock { $0 } }
        set { hostSlot.withLock { $0 = newValue } }
    }

    /// The nodes heard from within `peerTimeout`.
    var livePeers: Set<String> {
        let now = ContinuousClock.now
        return state.withLock { state in
            state.peers = state.peers.filter { now - $0.value < Self.peerTimeout }
            return Set(state.peers.keys)
        }
    }

    /// Where a session no live node gave is looked for (the shared broker store: the sessions of nodes that stopped
    /// beating); nil without one.
    var orphanLookup: (@Sendable (String) async -> StoredSession?)? {
        get { lookupSlot.withLock { $0 } }
        set { lookupSlot.withLock { $0 = newValue } }
    }

    /// Before a CleanSession 0 client's CONNECT is taken: brings its session here from the node that holds it, or
    /// (none answering) from the shared store if a stopped node held it, unless this node holds one. Returns whether
    /// a session came.
    @discardableResult
    func bringSession(clientId: String, identity: ClientIdentity) async -> Bool {
        guard !clientId.isEmpty, let host, !host.inspect({ $0.hasSession(clientId: clientId) }) else { return false }
        if await bringSessionFromPeers(clientId: clientId, identity: identity, host: host) { return true }
        guard let lookup = orphanLookup, let session = await lookup(clientId) else { return false }
        host.perform { broker, now in
            broker.adoptSession(session, now: now)
            return []
        }
        movedIn.increment()
        logger.info(
            "session of a stopped node taken from the shared store",
            metadata: ["hub.client_id": "\(clientId)", "hub.messages": "\(session.messages.count)"]
        )
        return true
    }

    private func bringSessionFromPeers(clientId: String, identity: ClientIdentity, host: BrokerHost) async -> Bool {
        let peers = livePeers
        guard !peers.isEmpty else { return false }
        var request = ByteBufferAllocator().buffer(capacity: 64)
        let id = state.withLock { state in
            defer { state.nextRequest += 1 }
            return state.nextRequest
        }
        request.writeInteger(id)
        request.writeClusterString(node)
        request.writeClusterString(clientId)
        request.writeClusterString(identity.storageText)
        let payload = request
        let session: StoredSession? = await withCheckedContinuation { continuation in
            state.withLock { $0.waiting[id] = Request(pending: peers, continuation: continuation) }
            Task { [connection, logger] in
                do { try await connection.publish(Self.takeSubject, payload: payload) } catch {
                    logger.warning("cluster session request failed", metadata: ["error": "\(error)"])
                    self.finish(id, with: nil)
                }
            }
            Task {
                try? await Task.sleep(for: Self.answerTimeout)
                self.finish(id, with: nil)
            }
        }
        guard let session else { return false }
        host.perform { broker, now in
            broker.adoptSession(session, now: now)
            return []
        }
        movedIn.increment()
        logger.debug("session brought from another node", metadata: ["hub.client_id": "\(clientId)", "hub.messages": "\(session.messages.count)"])
        return true
    }

    /// Resumes the request's waiter; false if it no longer waits (answered or timed out).
    @discardableResult
    private func finish(_ id: UInt64, with session: StoredSession?) -> Bool {
        guard let request = state.withLock({ $0.waiting.removeValue(forKey: id) }) else { return false }
        request.continuation.resume(returning: session)
        return true
    }

    /// An answer to one of this node's requests.
    private func answered(_ payload: ByteBuffer) {
        var buffer = payload
        guard let id = buffer.readInteger(as: UInt64.self), let from = buffer.readClusterString(), let found = buffer.readInteger(as: UInt8.self) else { return }
        guard found == 1 else {
            let done = state.withLock { state -> Bool in
                guard state.waiting[id] != nil else { return false }
                state.waiting[id]!.pending.remove(from)
                return state.waiting[id]!.pending.isEmpty
            }
            if done { finish(id, with: nil) }
            return
        }
        guard let session = StoredSession(transferEncoding: buffer) else {
            logger.warning("cluster session not understood", metadata: ["hub.node": "\(from)"])
            return
        }
        // An answer after the wait ended: the other node has let the session go, so it is taken here all the same
        // (kept only if the client has no session here by now).
        if !finish(id, with: session), let host {
            host.perform { broker, now in
                broker.adoptSession(session, now: now)
                return []
            }
            logger.notice("session arrived after its connect was answered", metadata: ["hub.client_id": "\(session.session.clientId)"])
        }
    }

    /// Another node asks for a session: hands it over if this node holds it, and answers either way.
    private func asked(_ payload: ByteBuffer) async {
        var buffer = payload
        guard let id = buffer.readInteger(as: UInt64.self), let requester = buffer.readClusterString(), let clientId = buffer.readClusterString(),
            let identity = buffer.readClusterString().flatMap(ClientIdentity.init(storageText:)), let host
        else { return }
        var handed: StoredSession?
        host.perform { broker, _ in
            // Recorded as moved to the requester (its node id is its broker store's): with the state in PostgreSQL the
            // session's rows become the requester's in the same step, so no moment is without a durable copy.
            let (session, actions) = broker.handOverSession(clientId: clientId, to: identity, toNode: requester)
            handed = session
            return actions
        }
        var answer = ByteBufferAllocator().buffer(capacity: 64)
        answer.writeInteger(id)
        answer.writeClusterString(node)
        if let handed {
            answer.writeInteger(UInt8(1))
            let maxPayload = await connection.serverInfo?.maxPayload ?? 1_048_576
            let (bytes, dropped) = handed.transferEncoding(maxBytes: maxPayload - answer.readableBytes - 256)
            answer.writeImmutableBuffer(bytes)
            if dropped > 0 {
                droppedMessages.increment(by: dropped)
                logger.warning("session moved without the queued messages NATS could not carry", metadata: ["hub.client_id": "\(clientId)", "hub.dropped": "\(dropped)"])
            }
            movedOut.increment()
        } else {
            answer.writeInteger(UInt8(0))
        }
        do { try await connection.publish(Self.replySubject(requester), payload: answer) } catch {
            logger.warning("cluster session answer failed; the session stays here", metadata: ["error": "\(error)", "hub.client_id": "\(clientId)"])
            // Not sent (NATS unreachable, or larger than its max_payload even without queued messages): kept here.
            if let handed {
                host.perform { broker, now in
                    broker.adoptSession(handed, now: now)
                    return []
                }
            }
        }
    }

    /// A heartbeat: a node not known yet is answered at once with this node's. `-` and a node id: that node is
    /// leaving (a graceful stop), and is no longer waited for.
    private func heard(_ peer: String) async {
        if peer.hasPrefix("-") {
            _ = state.withLock { $0.peers.removeValue(forKey: String(peer.dropFirst())) }
            return
        }
        guard peer != node else { return }
        let isNew = state.withLock { $0.peers.updateValue(.now, forKey: peer) == nil }
        if isNew { try? await connection.publish(Self.nodesSubject, payload: Array(node.utf8)) }
    }

    func run() async throws {
        let requests = try await connection.subscribe(Self.takeSubject)
        let answers = try await connection.subscribe(Self.replySubject(node))
        let heartbeats = try await connection.subscribe(Self.nodesSubject)
        try await connection.flush()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do { for try await message in requests { await self.asked(message.payload) } } catch {}
                }
                group.addTask {
                    do { for try await message in answers { self.answered(message.payload) } } catch {}
                }
                group.addTask {
                    do { for try await message in heartbeats { await self.heard(String(buffer: message.payload)) } } catch {}
                }
                group.addTask { [connection, node] in
                    while !Task.isCancelled {
                        try? await connection.publish(Self.nodesSubject, payload: Array(node.utf8))
                        try? await Task.sleep(for: Self.heartbeatInterval)
                    }
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: { [requests, answers, heartbeats, connection, node] in
            Task {
                try? await connection.publish(Self.nodesSubject, payload: Array("-\(node)".utf8))
                try? await requests.unsubscribe()
                try? await answers.unsubscribe()
                try? await heartbeats.unsubscribe()
            }
        }
    }
}
