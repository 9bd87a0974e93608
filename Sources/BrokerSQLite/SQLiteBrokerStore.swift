public import BrokerCore
public import Logging
public import MQTTCore
import NIOCore
import SQLiteNIO

/// The broker's durable state (`DATA/broker.sqlite`, WAL mode): retained messages and persistent sessions
/// with their subscriptions, their QoS 1/2 messages (queued and in flight) and their QoS 2 receive state,
/// as columns. Written by applying batches of `BrokerChange`s, one transaction each (the caller
/// group-commits); read once at start.
public final class SQLiteBrokerStore: BrokerStore {
    /// How hard SQLite works to make a commit durable (as the registry's store).
    public enum Durability: String, Sendable, CaseIterable {
        /// `synchronous=FULL`: every commit is fsynced; survives power loss. Default.
        case full
        /// `synchronous=NORMAL`: survives a crash or `kill -9` of the hub, not a power loss.
        case normal
    }

    static let schema = [
        "CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, qos INTEGER NOT NULL, payload BLOB NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS sessions (client_id TEXT PRIMARY KEY, identity TEXT NOT NULL, version INTEGER NOT NULL,
        expiry_ms INTEGER NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, filter TEXT NOT NULL, qos INTEGER NOT NULL,
        PRIMARY KEY (client_id, filter)) WITHOUT ROWID
        """,
        """
        CREATE TABLE IF NOT EXISTS messages (client_id TEXT NOT NULL, sequence INTEGER NOT NULL, state INTEGER NOT NULL,
        packet_id INTEGER, topic TEXT NOT NULL, qos INTEGER NOT NULL, retain INTEGER NOT NULL, payload BLOB NOT NULL,
        PRIMARY KEY (client_id, sequence))
        """,
        """
        CREATE TABLE IF NOT EXISTS inbound_qos2 (client_id TEXT NOT NULL, packet_id INTEGER NOT NULL,
        PRIMARY KEY (client_id, packet_id)) WITHOUT ROWID
        """,
    ]

    let db: SQLiteConnection
    let logger: Logger
    public let path: String

    private init(path: String, db: SQLiteConnection, logger: Logger) {
        self.path = path
        self.db = db
        self.logger = logger
    }

    /// Opens (creating if needed) the file.
    public static func open(path: String, durability: Durability = .full, logger: Logger) async throws -> SQLiteBrokerStore {
        let db = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await db.query("PRAGMA journal_mode=WAL", [])
            _ = try await db.query("PRAGMA synchronous=\(durability == .full ? "FULL" : "NORMAL")", [])
            _ = try await db.query("PRAGMA busy_timeout=5000", [])
            for sql in schema { _ = try await db.query(sql, []) }
        } catch {
            try? await db.close()
            throw error
        }
        return SQLiteBrokerStore(path: path, db: db, logger: logger)
    }

    public func close() async {
        try? await db.close()
    }

    // MARK: reading

    /// Everything stored, as `Broker.restore` takes it.
    public func load() async throws -> (retained: [MQTTPublish], sessions: [StoredSession]) {
        var retained: [MQTTPublish] = []
        for row in try await db.query("SELECT topic, qos, payload FROM retained ORDER BY topic", []) {
            guard let topic = row.column("topic")?.string, let qos = row.column("qos")?.integer.flatMap({ MQTTQoS(rawValue: UInt8(clamping: $0)) }),
                let payload = row.column("payload")?.blob
            else { continue }
            retained.append(MQTTPublish(topic: topic, payload: payload, qos: qos, retain: true, dup: false, packetId: nil, properties: MQTTProperties()))
        }
        var sessions: [String: StoredSession] = [:]
        var order: [String] = []
        for row in try await db.query("SELECT client_id, identity, version, expiry_ms FROM sessions ORDER BY client_id", []) {
            guard let clientId = row.column("client_id")?.string, let identityText = row.column("identity")?.string,
                let identity = ClientIdentity(storageText: identityText),
                let version = row.column("version")?.integer.flatMap({ MQTTProtocolVersion(rawValue: UInt8(clamping: $0)) }),
                let expiry = row.column("expiry_ms")?.integer
            else {
                logger.warning("broker store: a session row could not be read; skipped")
                continue
            }
            let session = PersistedSession(clientId: clientId, identity: identity, version: version, expiryMillis: UInt64(max(expiry, 0)))
            sessions[clientId] = StoredSession(session: session, subscriptions: [:], messages: [], inboundQoS2: [])
            order.append(clientId)
        }
        for row in try await db.query("SELECT client_id, filter, qos FROM subscriptions", []) {
            guard let clientId = row.column("client_id")?.string, let filter = row.column("filter")?.string,
                let qos = row.column("qos")?.integer.flatMap({ MQTTQoS(rawValue: UInt8(clamping: $0)) })
            else { continue }
            sessions[clientId]?.subscriptions[filter] = qos
        }
        let messageRows = try await db.query(
            "SELECT client_id, sequence, state, packet_id, topic, qos, retain, payload FROM messages ORDER BY client_id, sequence", []
        )
        for row in messageRows {
            guard let clientId = row.column("client_id")?.string, let sequence = row.column("sequence")?.integer,
                let state = row.column("state")?.integer.flatMap({ PersistedMessage.State(rawValue: UInt8(clamping: $0)) }),
                let topic = row.column("topic")?.string, let qos = row.column("qos")?.integer.flatMap({ MQTTQoS(rawValue: UInt8(clamping: $0)) }),
                let retain = row.column("retain")?.integer, let payload = row.column("payload")?.blob
            else { continue }
            let packetId = row.column("packet_id")?.integer.map { UInt16(clamping: $0) }
            let publish = MQTTPublish(
                topic: topic, payload: payload, qos: qos, retain: retain != 0, dup: false, packetId: state == .queued ? nil : packetId,
                properties: MQTTProperties()
            )
            sessions[clientId]?.messages.append(PersistedMessage(sequence: UInt64(sequence), publish: publish, state: state))
        }
        for row in try await db.query("SELECT client_id, packet_id FROM inbound_qos2", []) {
            guard let clientId = row.column("client_id")?.string, let packetId = row.column("packet_id")?.integer else { continue }
            sessions[clientId]?.inboundQoS2.insert(UInt16(clamping: packetId))
        }
        return (retained, order.compactMap { sessions[$0] })
    }

    // MARK: writing

    /// Applies a batch of changes in one transaction (all or nothing).
    public func apply(_ changes: [BrokerChange]) async throws {
        let changes = BrokerChange.coalesced(changes)
        guard !changes.isEmpty else { return }
        _ = try await db.query("BEGIN IMMEDIATE", [])
        do {
            for change in changes { try await apply(change) }
            _ = try await db.query("COMMIT", [])
        } catch {
            _ = try? await db.query("ROLLBACK", [])
            throw error
        }
    }

    private func apply(_ change: BrokerChange) async throws {
        switch change {
        case .retained(let message):
            if message.payload.readableBytes == 0 {
                _ = try await db.query("DELETE FROM retained WHERE topic = ?", [.text(message.topic)])
            } else {
                _ = try await db.query(
                    "INSERT OR REPLACE INTO retained (topic, qos, payload) VALUES (?, ?, ?)",
                    [.text(message.topic), .integer(Int(message.qos.rawValue)), .blob(message.payload)]
                )
            }
        case .sessionSaved(let session):
            _ = try await db.query(
                """
                INSERT INTO sessions (client_id, identity, version, expiry_ms) VALUES (?, ?, ?, ?)
                ON CONFLICT (client_id) DO UPDATE SET identity = excluded.identity, version = excluded.version, expiry_ms = excluded.expiry_ms
                """,
                [.text(session.clientId), .text(session.identity.storageText), .integer(Int(session.version.rawValue)), .integer(Int(session.expiryMillis))]
            )
        case .sessionEnded(let clientId), .sessionMoved(let clientId, _):
            // This file is the node's own: a session handed to another node leaves it.
            for table in ["sessions", "subscriptions", "messages", "inbound_qos2"] {
                _ = try await db.query("DELETE FROM \(table) WHERE client_id = ?", [.text(clientId)])
            }
        case .subscribed(let clientId, let filter, let qos):
            _ = try await db.query(
                "INSERT OR REPLACE INTO subscriptions (client_id, filter, qos) VALUES (?, ?, ?)",
                [.text(clientId), .text(filter), .integer(Int(qos.rawValue))]
            )
        case .unsubscribed(let clientId, let filter):
            _ = try await db.query("DELETE FROM subscriptions WHERE client_id = ? AND filter = ?", [.text(clientId), .text(filter)])
        case .messageAdded(let clientId, let message), .messageRestated(let clientId, let message):
            let publish = message.publish
            _ = try await db.query(
                "INSERT OR REPLACE INTO messages (client_id, sequence, state, packet_id, topic, qos, retain, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(clientId), .integer(Int(message.sequence)), .integer(Int(message.state.rawValue)),
                    publish.packetId.map { .integer(Int($0)) } ?? .null, .text(publish.topic), .integer(Int(publish.qos.rawValue)),
                    .integer(publish.retain ? 1 : 0), .blob(publish.payload),
                ]
            )
        case .messageSent(let clientId, let sequence, let packetId):
            _ = try await db.query(
                "UPDATE messages SET state = ?, packet_id = ? WHERE client_id = ? AND sequence = ?",
                [.integer(Int(PersistedMessage.State.awaitingAcknowledgement.rawValue)), .integer(Int(packetId)), .text(clientId), .integer(Int(sequence))]
            )
        case .messageReleased(let clientId, let sequence):
            _ = try await db.query(
                "UPDATE messages SET state = ? WHERE client_id = ? AND sequence = ?",
                [.integer(Int(PersistedMessage.State.awaitingCompletion.rawValue)), .text(clientId), .integer(Int(sequence))]
            )
        case .messageRemoved(let clientId, let sequence):
            _ = try await db.query("DELETE FROM messages WHERE client_id = ? AND sequence = ?", [.text(clientId), .integer(Int(sequence))])
        case .qos2Received(let clientId, let packetId):
            _ = try await db.query(
                "INSERT OR IGNORE INTO inbound_qos2 (client_id, packet_id) VALUES (?, ?)", [.text(clientId), .integer(Int(packetId))]
            )
        case .qos2Released(let clientId, let packetId):
            _ = try await db.query("DELETE FROM inbound_qos2 WHERE client_id = ? AND packet_id = ?", [.text(clientId), .integer(Int(packetId))])
        }
    }
}
