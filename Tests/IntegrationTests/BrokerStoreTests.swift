import BrokerCore
import BrokerPostgres
import BrokerSQLite
import Foundation
import Logging
import MQTTCore
import NIOCore
import XCTest

/// The broker's journal and its SQLite store agree with the broker: after thousands of random events
/// (persistent and clean sessions coming and going, subscriptions, QoS 0/1/2 traffic with and without
/// acknowledgements, retained messages set and deleted), the store's content, written batch by batch as the
/// hub writes it, is exactly what the broker holds that must outlive it; and a broker restored from it holds
/// the same again.
final class BrokerStoreTests: XCTestCase {
    /// A deterministic generator (the same events every run).
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// What the comparison looks at, field by field (clear diffs when it fails).
    struct Comparable: Equatable, CustomStringConvertible {
        var retained: [String]
        var sessions: [String]
        var description: String { (retained + sessions).joined(separator: "\n") }

        init(_ state: (retained: [MQTTPublish], sessions: [StoredSession])) {
            retained = state.retained.map { "retained \($0.topic) q\($0.qos.rawValue) \(String(buffer: $0.payload))" }
            sessions = state.sessions.map { stored in
                let session = stored.session
                let subscriptions = stored.subscriptions.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.rawValue)" }.joined(separator: ",")
                let messages = stored.messages.map { message in
                    let publish = message.publish
                    return "#\(message.sequence) s\(message.state.rawValue) id\(publish.packetId.map(String.init) ?? "-") \(publish.topic) q\(publish.qos.rawValue) r\(publish.retain) \(String(buffer: publish.payload))"
                }.joined(separator: "; ")
                return "session \(session.clientId) \(session.identity) v\(session.version.rawValue) e\(session.expiryMillis) subs[\(subscriptions)] qos2\(stored.inboundQoS2.sorted()) msgs[\(messages)]"
            }
        }
    }

    func testTheStoreHoldsWhatTheBrokerKeepsAfterRandomTraffic() async throws {
        let path = NSTemporaryDirectory() + "iothub-broker-store-\(UUID().uuidString).sqlite"
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store = try await SQLiteBrokerStore.open(path: path, durability: .normal, logger: Logger(label: "test"))
        _ = try await randomTraffic(into: store)
        await store.close()
    }

    /// The same on PostgreSQL (the cluster's broker store), whose rows are the node's: another node id loads the
    /// cluster's retained messages and none of the sessions.
    func testThePostgresStoreHoldsWhatTheBrokerKeepsAfterRandomTraffic() async throws {
        let database = try await PostgresTestDatabase.create()
        defer { Task { await database.drop() } }
        let store = try await PostgresBrokerStore.open(configuration: database.configuration, node: "node-a", logger: Logger(label: "test"))
        let expected = try await randomTraffic(into: store)
        await store.close()
        let other = try await PostgresBrokerStore.open(configuration: database.configuration, node: "node-b", logger: Logger(label: "test"))
        let seen = try await other.load()
        XCTAssertEqual(Comparable((seen.retained, [])), Comparable((expected.retained, [])))
        XCTAssertTrue(seen.sessions.isEmpty)
        await other.close()
    }

    /// Random traffic through a journaling broker, written to `store` batch by batch; checks the store and a broker
    /// restored from it against the broker, and returns what the broker kept.
    @discardableResult
    func randomTraffic(into store: any BrokerStore) async throws -> (retained: [MQTTPublish], sessions: [StoredSession]) {
        var configuration = BrokerConfiguration()
        configuration.maxInflightMessages = 3
        configuration.maxQueuedMessages = 40
        let broker = Broker(configuration: configuration)
        broker.journaling = true

        var random = SplitMix(state: 20_261_207)
        let clients = ["p0", "p1", "p2", "p3", "clean"]
        let filters = ["a/+", "a/b", "#", "q/2", "r/+"]
        let topics = ["a/b", "a/c", "q/2", "r/x", "r/y"]
        var connectionOf: [String: ConnectionID] = [:]
        var nextConnection: UInt64 = 1
        /// Per connection: QoS 1/2 publishes it was sent and has not acknowledged, and QoS 2 ids waiting for PUBREL.
        var unacknowledged: [ConnectionID: [MQTTPublish]] = [:]
        var awaitingRelease: [ConnectionID: [UInt16]] = [:]
        var inboundIds: [String: [UInt16]] = [:]
        var now: UInt64 = 1_000
        var written = 0

        func record(_ actions: [BrokerAction]) {
            for action in actions {
                switch action {
                case .send(let id, .publish(let publish)) where publish.qos != .atMostOnce:
                    unacknowledged[id, default: []].append(publish)
                case .send(let id, .pubrel(let ack)):
                    awaitingRelease[id, default: []].append(ack.packetId)
                case .close(let id, _):
                    if let client = connectionOf.first(where: { $0.value == id })?.key { connectionOf[client] = nil }
                    unacknowledged[id] = nil
                    awaitingRelease[id] = nil
                default:
                    break
                }
            }
        }

        for step in 0..<4_000 {
            now += 7
            let client = clients[Int.random(in: 0..<clients.count, using: &random)]
            let connection = connectionOf[client]
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<8:
                if let connection {
                    record(broker.connectionLost(connection, now: now))
                    connectionOf[client] = nil
                    unacknowledged[connection] = nil
                    awaitingRelease[connection] = nil
                } else {
                    let id = ConnectionID(nextConnection)
                    nextConnection += 1
                    // Now and then a persistent client starts over with a clean session.
                    let clean = client == "clean" || Int.random(in: 0..<10, using: &random) == 0
                    let connect = MQTTConnect(version: .v3_1_1, cleanSession: clean, keepAlive: 0, clientId: client)
                    connectionOf[client] = id
                    record(broker.connect(id, connect, identity: .anonymous, now: now))
                }
            case 8..<16:
                guard let connection else { continue }
                let filter = filters[Int.random(in: 0..<filters.count, using: &random)]
                let qos = MQTTQoS(rawValue: UInt8.random(in: 0...2, using: &random))!
                let packet = MQTTSubscribe(packetId: UInt16(step % 60_000 + 1), subscriptions: [.init(filter: filter, qos: qos)], properties: MQTTProperties())
                record(broker.receive(connection, .subscribe(packet), now: now))
            case 16..<19:
                guard let connection else { continue }
                let filter = filters[Int.random(in: 0..<filters.count, using: &random)]
                record(broker.receive(connection, .unsubscribe(MQTTUnsubscribe(packetId: 1, filters: [filter], properties: MQTTProperties())), now: now))
            case 19..<55:
                guard let connection else { continue }
                let topic = topics[Int.random(in: 0..<topics.count, using: &random)]
                let qos = MQTTQoS(rawValue: UInt8.random(in: 0...2, using: &random))!
                let retain = Int.random(in: 0..<6, using: &random) == 0
                let payload = retain && Int.random(in: 0..<3, using: &random) == 0 ? "" : "m\(step)"
                var packetId: UInt16?
                if qos != .atMostOnce {
                    packetId = UInt16(step % 60_000 + 1)
                    if qos == .exactlyOnce { inboundIds[client, default: []].append(packetId!) }
                }
                let publish = MQTTPublish(
                    topic: topic, payload: ByteBuffer(string: payload), qos: qos, retain: retain, dup: false, packetId: packetId, properties: MQTTProperties()
                )
                record(broker.receive(connection, .publish(publish), now: now))
            case 55..<60:
                // The publisher releases a QoS 2 message it sent.
                guard let connection, var ids = inboundIds[client], !ids.isEmpty else { continue }
                let id = ids.removeFirst()
                inboundIds[client] = ids
                record(broker.receive(connection, .pubrel(MQTTAck(packetId: id, reasonCode: 0, properties: MQTTProperties())), now: now))
            default:
                // The client acknowledges what it was sent, oldest first (sometimes not at all).
                guard let connection else { continue }
                if var waiting = awaitingRelease[connection], !waiting.isEmpty, Bool.random(using: &random) {
                    let id = waiting.removeFirst()
                    awaitingRelease[connection] = waiting
                    record(broker.receive(connection, .pubcomp(MQTTAck(packetId: id, reasonCode: 0, properties: MQTTProperties())), now: now))
                } else if var sent = unacknowledged[connection], !sent.isEmpty {
                    let publish = sent.removeFirst()
                    unacknowledged[connection] = sent
                    let ack = MQTTAck(packetId: publish.packetId!, reasonCode: 0, properties: MQTTProperties())
                    record(broker.receive(connection, publish.qos == .atLeastOnce ? .puback(ack) : .pubrec(ack), now: now))
                }
            }
            // Written in batches of varying size, as the hub's writer takes whatever is pending.
            if Int.random(in: 0..<5, using: &random) == 0 {
                let changes = broker.takeJournal()
                written += changes.count
                try await store.apply(changes)
            }
        }
        let last = broker.takeJournal()
        written += last.count
        try await store.apply(last)
        XCTAssertGreaterThan(written, 2_000, "the run journaled a good deal")

        let expected = broker.durableState()
        XCTAssertGreaterThan(expected.sessions.count, 0)
        XCTAssertGreaterThan(expected.sessions.reduce(0) { $0 + $1.messages.count }, 0, "some messages are kept")
        let loaded = try await store.load()
        XCTAssertEqual(Comparable(loaded), Comparable(expected))

        // A broker restored from the store holds the same.
        let restored = Broker(configuration: configuration)
        restored.restore(retained: loaded.retained, sessions: loaded.sessions, now: now)
        XCTAssertEqual(Comparable(restored.durableState()), Comparable(expected))
        XCTAssertEqual(restored.retainedCount, expected.retained.count)
        return expected
    }

    /// A batch that adds and removes a message, or receives and releases a QoS 2 id, writes neither.
    func testCoalescingDropsWhatABatchUndoes() async throws {
        let path = NSTemporaryDirectory() + "iothub-broker-coalesce-\(UUID().uuidString).sqlite"
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store = try await SQLiteBrokerStore.open(path: path, durability: .normal, logger: Logger(label: "test"))
        let session = PersistedSession(clientId: "c", identity: .anonymous, version: .v3_1_1, expiryMillis: 60_000)
        let message = { (sequence: UInt64) in
            PersistedMessage(
                sequence: sequence,
                publish: MQTTPublish(topic: "t", payload: ByteBuffer(string: "x"), qos: .atLeastOnce, retain: false, dup: false, packetId: nil, properties: MQTTProperties()),
                state: .queued
            )
        }
        try await store.apply([
            .sessionSaved(session), .messageAdded(clientId: "c", message(1)), .messageSent(clientId: "c", sequence: 1, packetId: 4),
            .messageRemoved(clientId: "c", sequence: 1), .messageAdded(clientId: "c", message(2)), .qos2Received(clientId: "c", packetId: 9),
            .qos2Released(clientId: "c", packetId: 9), .qos2Received(clientId: "c", packetId: 10),
        ])
        let loaded = try await store.load()
        XCTAssertEqual(loaded.sessions.count, 1)
        XCTAssertEqual(loaded.sessions.first?.messages.map(\.sequence), [2])
        XCTAssertEqual(loaded.sessions.first?.inboundQoS2, [10])
        await store.close()
    }
}
