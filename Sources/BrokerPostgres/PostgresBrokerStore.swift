public import BrokerCore
import Foundation
public import Logging
public import MQTTCore
import NIOCore
public import PostgresNIO
import Synchronization

/// The broker's durable state in the cluster's PostgreSQL database (issue 16): what `DATA/broker.sqlite` holds on
/// one node, with every session row keyed by the node that holds it. Retained messages are one table for the
/// cluster (every node writes the same changes: they reach every node).
///
/// A node's sessions outlive the node: the nodes alive are those with a heartbeat row in `hub_nodes` (the
/// registry's presence, `PostgresRegistryStore+Presence`, removes the rows of nodes silent for 10 s), and
/// ``adoptOrphanedSessions()`` moves the sessions of the others to the node that calls it, in one transaction, so
/// that what their clients were acknowledged (QoS 1/2 messages queued for them, their subscriptions) is kept, keeps
/// gathering messages, and follows the client to whichever node it reconnects to.
public final class PostgresBrokerStore: BrokerStore {
    /// The tables, created once per database (under an advisory lock, so nodes starting together create them once).
    static let schema = [
        "CREATE TABLE IF NOT EXISTS broker_retained (topic TEXT PRIMARY KEY, qos SMALLINT NOT NULL, payload BYTEA NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS broker_sessions (node TEXT NOT NULL, client_id TEXT NOT NULL, identity TEXT NOT NULL,
            version SMALLINT NOT NULL, expiry_ms BIGINT NOT NULL, PRIMARY KEY (node, client_id))
        """,
        """
        CREATE TABLE IF NOT EXISTS broker_subscriptions (node TEXT NOT NULL, client_id TEXT NOT NULL, filter TEXT NOT NULL,
            qos SMALLINT NOT NULL, PRIMARY KEY (node, client_id, filter))
        """,
        """
        CREATE TABLE IF NOT EXISTS broker_messages (node TEXT NOT NULL, client_id TEXT NOT NULL, sequence BIGINT NOT NULL,
            state SMALLINT NOT NULL, packet_id INTEGER, topic TEXT NOT NULL, qos SMALLINT NOT NULL, retain BOOLEAN NOT NULL,
            payload BYTEA NOT NULL, PRIMARY KEY (node, client_id, sequence))
        """,
        """
        CREATE TABLE IF NOT EXISTS broker_inbound_qos2 (node TEXT NOT NULL, client_id TEXT NOT NULL, packet_id INTEGER NOT NULL,
            PRIMARY KEY (node, client_id, packet_id))
        """,
    ]
    static let schemaLock: Int64 = 0x1077_4842_726B_0001

    let client: PostgresClient
    let runTask: Task<Void, Never>
    let logger: Logger
    /// The node id: the registry store's (`PostgresRegistryStore.node`), whose heartbeat says this node is alive.
    public let node: String

    private init(client: PostgresClient, runTask: Task<Void, Never>, node: String, logger: Logger) {
        self.client = client
        self.runTask = runTask
        self.node = node
        self.logger = logger
    }

    /// Connects (a pool of its own) and creates the tables if needed. `hub_nodes` must exist (the registry store
    /// creates it).
    public static func open(configuration: PostgresClient.Configuration, node: String, logger: Logger) async throws -> PostgresBrokerStore {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runTask = Task { await client.run() }
        let store = PostgresBrokerStore(client: client, runTask: runTask, node: node, logger: logger)
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.schemaLock))", logger: logger)
                for sql in Self.schema { try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
            }
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    public func close() async {
        runTask.cancel()
        _ = await runTask.value
    }

    // MARK: reading

    /// The cluster's retained messages and the sessions of this node (none for a node id seen for the first time).
    public func load() async throws -> (retained: [MQTTPublish], sessions: [StoredSession]) {
        var retained: [MQTTPublish] = []
        for try await (topic, qos, payload) in try await client.query(
            "SELECT topic, qos, payload FROM broker_retained ORDER BY topic", logger: logger
        ).decode((String, Int16, ByteBuffer).self) {
            guard let qos = MQTTQoS(rawValue: UInt8(clamping: qos)) else { continue }
            retained.append(MQTTPublish(topic: topic, payload: payload, qos: qos, retain: true, dup: false, packetId: nil, properties: MQTTProperties()))
        }
        let sessions = try await client.withConnection { connection in
            try await Self.sessions(connection, node: self.node, clientIds: nil, logger: self.logger)
        }
        return (retained, sessions)
    }

    /// The sessions held by `node` (all of them, or those of `clientIds`), read in full.
    static func sessions(_ connection: PostgresConnection, node: String, clientIds: [String]?, logger: Logger) async throws -> [StoredSession] {
        let all = clientIds == nil
        let ids = clientIds ?? []
        var sessions: [String: StoredSession] = [:]
        var order: [String] = []
        for try await (clientId, identityText, version, expiry) in try await connection.query(
            """
            SELECT client_id, identity, version, expiry_ms FROM broker_sessions
            WHERE node = \(node) AND (\(all) OR client_id = ANY(\(ids))) ORDER BY client_id
            """,
            logger: logger
        ).decode((String, String, Int16, Int64).self) {
            guard let identity = ClientIdentity(storageText: identityText), let version = MQTTProtocolVersion(rawValue: UInt8(clamping: version)) else {
                logger.warning("broker store: a session row could not be read; skipped", metadata: ["mqtt.client_id": "\(clientId)"])
                continue
            }
            let session = PersistedSession(clientId: clientId, identity: identity, version: version, expiryMillis: UInt64(max(expiry, 0)))
            sessions[clientId] = StoredSession(session: session, subscriptions: [:], messages: [], inboundQoS2: [])
            order.append(clientId)
        }
        for try await (clientId, filter, qos) in try await connection.query(
            "SELECT client_id, filter, qos FROM broker_subscriptions WHERE node = \(node) AND (\(all) OR client_id = ANY(\(ids)))", logger: logger
        ).decode((String, String, Int16).self) {
            guard let qos = MQTTQoS(rawValue: UInt8(clamping: qos)) else { continue }
            sessions[clientId]?.subscriptions[filter] = qos
        }
        for try await (clientId, sequence, stateValue, packetId, topic, qosValue, retain, payload) in try await connection.query(
            """
            SELECT client_id, sequence, state, packet_id, topic, qos, retain, payload FROM broker_messages
            WHERE node = \(node) AND (\(all) OR client_id = ANY(\(ids))) ORDER BY client_id, sequence
            """,
            logger: logger
        ).decode((String, Int64, Int16, Int32?, String, Int16, Bool, ByteBuffer).self) {
            guard let state = PersistedMessage.State(rawValue: UInt8(clamping: stateValue)), let qos = MQTTQoS(rawValue: UInt8(clamping: qosValue)) else {
                continue
            }
            let publish = MQTTPublish(
                topic: topic, payload: payload, qos: qos, retain: retain, dup: false,
                packetId: state == .queued ? nil : packetId.map { UInt16(clamping: $0) }, properties: MQTTProperties()
            )
            sessions[clientId]?.messages.append(PersistedMessage(sequence: UInt64(sequence), publish: publish, state: state))
        }
        for try await (clientId, packetId) in try await connection.query(
            "SELECT client_id, packet_id FROM broker_inbound_qos2 WHERE node = \(node) AND (\(all) OR client_id = ANY(\(ids)))", logger: logger
        ).decode((String, Int32).self) {
            sessions[clientId]?.inboundQoS2.insert(UInt16(clamping: packetId))
        }
        return order.compactMap { sessions[$0] }
    }

    // MARK: writing

    public func apply(_ changes: [BrokerChange]) async throws {
        let changes = BrokerChange.coalesced(changes)
        guard !changes.isEmpty else { return }
        let node = self.node
        let logger = self.logger
        try await client.withTransaction(logger: logger) { connection in
            for change in changes {
                try await connection.query(Self.query(for: change, node: node), logger: logger)
            }
        }
    }

    static func query(for change: BrokerChange, node: String) -> PostgresQuery {
        switch change {
        case .retained(let message):
            if message.payload.readableBytes == 0 { return "DELETE FROM broker_retained WHERE topic = \(message.topic)" }
            return """
                INSERT INTO broker_retained (topic, qos, payload) VALUES (\(message.topic), \(Int16(message.qos.rawValue)), \(message.payload))
                ON CONFLICT (topic) DO UPDATE SET qos = excluded.qos, payload = excluded.payload
                """
        case .sessionSaved(let session):
            return """
                INSERT INTO broker_sessions (node, client_id, identity, version, expiry_ms)
                VALUES (\(node), \(session.clientId), \(session.identity.storageText), \(Int16(session.version.rawValue)),
                    \(Int64(clamping: session.expiryMillis)))
                ON CONFLICT (node, client_id) DO UPDATE SET identity = excluded.identity, version = excluded.version,
                    expiry_ms = excluded.expiry_ms
                """
        case .sessionEnded(let clientId):
            // One statement for the four tables (data-modifying CTEs all run).
            return """
                WITH s AS (DELETE FROM broker_subscriptions WHERE node = \(node) AND client_id = \(clientId)),
                    m AS (DELETE FROM broker_messages WHERE node = \(node) AND client_id = \(clientId)),
                    q AS (DELETE FROM broker_inbound_qos2 WHERE node = \(node) AND client_id = \(clientId))
                DELETE FROM broker_sessions WHERE node = \(node) AND client_id = \(clientId)
                """
        case .sessionMoved(let clientId, let toNode):
            // The rows become the receiving node's in one statement, unless that node has written the session
            // already (it adopted it first): then its rows are the current ones and this node's go.
            return """
                WITH has AS (SELECT EXISTS (SELECT 1 FROM broker_sessions WHERE node = \(toNode) AND client_id = \(clientId)) AS v),
                    ds AS (DELETE FROM broker_subscriptions WHERE node = \(node) AND client_id = \(clientId) AND (SELECT v FROM has)),
                    dm AS (DELETE FROM broker_messages WHERE node = \(node) AND client_id = \(clientId) AND (SELECT v FROM has)),
                    dq AS (DELETE FROM broker_inbound_qos2 WHERE node = \(node) AND client_id = \(clientId) AND (SELECT v FROM has)),
                    dn AS (DELETE FROM broker_sessions WHERE node = \(node) AND client_id = \(clientId) AND (SELECT v FROM has)),
                    us AS (UPDATE broker_subscriptions SET node = \(toNode) WHERE node = \(node) AND client_id = \(clientId) AND NOT (SELECT v FROM has)),
                    um AS (UPDATE broker_messages SET node = \(toNode) WHERE node = \(node) AND client_id = \(clientId) AND NOT (SELECT v FROM has)),
                    uq AS (UPDATE broker_inbound_qos2 SET node = \(toNode) WHERE node = \(node) AND client_id = \(clientId) AND NOT (SELECT v FROM has))
                UPDATE broker_sessions SET node = \(toNode) WHERE node = \(node) AND client_id = \(clientId) AND NOT (SELECT v FROM has)
                """
        case .subscribed(let clientId, let filter, let qos):
            return """
                INSERT INTO broker_subscriptions (node, client_id, filter, qos) VALUES (\(node), \(clientId), \(filter), \(Int16(qos.rawValue)))
                ON CONFLICT (node, client_id, filter) DO UPDATE SET qos = excluded.qos
                """
        case .unsubscribed(let clientId, let filter):
            return "DELETE FROM broker_subscriptions WHERE node = \(node) AND client_id = \(clientId) AND filter = \(filter)"
        case .messageAdded(let clientId, let message), .messageRestated(let clientId, let message):
            let publish = message.publish
            return """
                INSERT INTO broker_messages (node, client_id, sequence, state, packet_id, topic, qos, retain, payload)
                VALUES (\(node), \(clientId), \(Int64(clamping: message.sequence)), \(Int16(message.state.rawValue)),
                    \(publish.packetId.map { Int32($0) }), \(publish.topic), \(Int16(publish.qos.rawValue)), \(publish.retain), \(publish.payload))
                ON CONFLICT (node, client_id, sequence) DO UPDATE SET state = excluded.state, packet_id = excluded.packet_id,
                    topic = excluded.topic, qos = excluded.qos, retain = excluded.retain, payload = excluded.payload
                """
        case .messageSent(let clientId, let sequence, let packetId):
            return """
                UPDATE broker_messages SET state = \(Int16(PersistedMessage.State.awaitingAcknowledgement.rawValue)), packet_id = \(Int32(packetId))
                WHERE node = \(node) AND client_id = \(clientId) AND sequence = \(Int64(clamping: sequence))
                """
        case .messageReleased(let clientId, let sequence):
            return """
                UPDATE broker_messages SET state = \(Int16(PersistedMessage.State.awaitingCompletion.rawValue))
                WHERE node = \(node) AND client_id = \(clientId) AND sequence = \(Int64(clamping: sequence))
                """
        case .messageRemoved(let clientId, let sequence):
            return "DELETE FROM broker_messages WHERE node = \(node) AND client_id = \(clientId) AND sequence = \(Int64(clamping: sequence))"
        case .qos2Received(let clientId, let packetId):
            return """
                INSERT INTO broker_inbound_qos2 (node, client_id, packet_id) VALUES (\(node), \(clientId), \(Int32(packetId)))
                ON CONFLICT DO NOTHING
                """
        case .qos2Released(let clientId, let packetId):
            return "DELETE FROM broker_inbound_qos2 WHERE node = \(node) AND client_id = \(clientId) AND packet_id = \(Int32(packetId))"
        }
    }

    // MARK: sessions of stopped nodes

    /// Moves to this node the sessions held by nodes that are no longer alive (no row in `hub_nodes`) and returns
    /// them, for the broker to take (disconnected). A session whose client id a live node holds already is the
    /// older one and is deleted instead. Concurrent calls on several nodes take each session once (the rows are
    /// locked as they are read; a row another node is taking is skipped).
    public func adoptOrphanedSessions() async throws -> [StoredSession] {
        try await adopt(clientId: nil, aliveSince: 0)
    }

    /// The session of `clientId` held by a node silent for `silentMillis` (no heartbeat), moved to this node; nil
    /// if there is none. For a client connecting here whose session no node gave when asked over NATS: its holder
    /// is gone, typically killed a moment ago, before the registry declares it stopped (10 s after its last beat).
    /// A holder that beat more recently is waited for, up to `waitMillis`, until it has been silent long enough: a
    /// device that reconnects at once gets its session a few seconds later instead of a new one. Both signals are
    /// required (no answer over NATS, no heartbeat), so a live but slow node keeps its sessions.
    public func adoptSession(clientId: String, silentMillis: Int64 = 4_500, waitMillis: Int64 = 6_000) async throws -> StoredSession? {
        let start = Self.millis()
        while true {
            if let session = try await adopt(clientId: clientId, aliveSince: Self.millis() - silentMillis).first { return session }
            guard Self.millis() - start < waitMillis else { return nil }
            let node = self.node
            let elsewhere = try await client.query(
                "SELECT count(*) FROM broker_sessions WHERE client_id = \(clientId) AND node <> \(node)", logger: logger
            ).decode(Int.self).reduce(0, +)
            guard elsewhere > 0 else { return nil }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    static func millis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Moves the sessions of nodes not alive (no `hub_nodes` row with a heartbeat at or after `aliveSince`), all
    /// of them or `clientId`'s, to this node.
    private func adopt(clientId only: String?, aliveSince: Int64) async throws -> [StoredSession] {
        let node = self.node
        let logger = self.logger
        let anyClient = only == nil
        let onlyClient = only ?? ""
        return try await client.withTransaction(logger: logger) { connection in
            var orphans: [(node: String, clientId: String)] = []
            for try await (owner, clientId) in try await connection.query(
                """
                SELECT node, client_id FROM broker_sessions
                WHERE node <> \(node) AND (\(anyClient) OR client_id = \(onlyClient))
                    AND node NOT IN (SELECT id FROM hub_nodes WHERE heartbeat_ms >= \(aliveSince))
                ORDER BY node, client_id FOR UPDATE SKIP LOCKED
                """,
                logger: logger
            ).decode((String, String).self) {
                orphans.append((owner, clientId))
            }
            guard !orphans.isEmpty else { return [] }
            var held: Set<String> = []
            for try await clientId in try await connection.query(
                """
                SELECT client_id FROM broker_sessions
                WHERE client_id = ANY(\(orphans.map(\.clientId)))
                    AND (node = \(node) OR node IN (SELECT id FROM hub_nodes WHERE heartbeat_ms >= \(aliveSince)))
                """,
                logger: logger
            ).decode(String.self) {
                held.insert(clientId)
            }
            // The shadowed ones go; the others become this node's. Two orphans of one client id on two dead nodes:
            // the first (in node order) is taken, the other deleted.
            var taken: [(node: String, clientId: String)] = []
            var dropped: [(node: String, clientId: String)] = []
            var seen: Set<String> = []
            for orphan in orphans {
                if held.contains(orphan.clientId) || !seen.insert(orphan.clientId).inserted { dropped.append(orphan) } else { taken.append(orphan) }
            }
            for table in ["broker_subscriptions", "broker_messages", "broker_inbound_qos2", "broker_sessions"] {
                if !dropped.isEmpty {
                    try await connection.query(
                        PostgresQuery(
                            unsafeSQL: """
                                DELETE FROM \(table) t USING unnest($1::text[], $2::text[]) AS k(node, client_id)
                                WHERE t.node = k.node AND t.client_id = k.client_id
                                """,
                            binds: Self.binds(dropped.map(\.node), dropped.map(\.clientId))
                        ),
                        logger: logger
                    )
                }
                if !taken.isEmpty {
                    try await connection.query(
                        PostgresQuery(
                            unsafeSQL: """
                                UPDATE \(table) t SET node = $3 FROM unnest($1::text[], $2::text[]) AS k(node, client_id)
                                WHERE t.node = k.node AND t.client_id = k.client_id
                                """,
                            binds: Self.binds(taken.map(\.node), taken.map(\.clientId), node)
                        ),
                        logger: logger
                    )
                }
            }
            guard !taken.isEmpty else { return [] }
            let sessions = try await Self.sessions(connection, node: node, clientIds: taken.map(\.clientId), logger: logger)
            logger.notice(
                "persistent sessions of a stopped hub node taken over",
                metadata: ["hub.sessions": "\(sessions.count)", "hub.from_nodes": "\(Set(taken.map(\.node)).sorted().joined(separator: ","))"]
            )
            return sessions
        }
    }

    private static func binds(_ owners: [String], _ clientIds: [String], _ node: String? = nil) -> PostgresBindings {
        var binds = PostgresBindings(capacity: 3)
        binds.append(owners)
        binds.append(clientIds)
        if let node { binds.append(node) }
        return binds
    }
}
