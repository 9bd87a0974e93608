import BrokerCore
import BrokerPostgres
import Foundation
import Logging
import MQTTCore
import NIOCore
import XCTest

/// The sessions of stopped nodes in the cluster's broker store (issue 16): taken over once, whole, by the node that
/// asks; never from a node alive; a client id a live node holds keeps that session.
final class PostgresBrokerStoreTests: XCTestCase {
    var database: PostgresTestDatabase!

    override func setUp() async throws {
        database = try await PostgresTestDatabase.create()
        // The registry's heartbeat table (PostgresMigrations step 4), which says which nodes are alive.
        try await database.psql("CREATE TABLE hub_nodes (id TEXT PRIMARY KEY, heartbeat_ms BIGINT NOT NULL, started_ms BIGINT NOT NULL)")
    }

    override func tearDown() async throws {
        await database.drop()
    }

    private func open(_ node: String) async throws -> PostgresBrokerStore {
        try await PostgresBrokerStore.open(configuration: try database.configuration, node: node, logger: Logger(label: "test"))
    }

    private func beat(_ node: String, agoMillis: Int64 = 0) async throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000) - agoMillis
        try await database.psql(
            "INSERT INTO hub_nodes VALUES ('\(node)', \(now), \(now)) ON CONFLICT (id) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms"
        )
    }

    /// A session with a subscription, a queued message, one in flight and a QoS 2 id.
    private func sessionChanges(_ clientId: String, payload: String) -> [BrokerChange] {
        let publish = { (text: String, id: UInt16?) in
            MQTTPublish(topic: "t/\(clientId)", payload: ByteBuffer(string: text), qos: .atLeastOnce, retain: false, dup: false, packetId: id, properties: MQTTProperties())
        }
        return [
            .sessionSaved(PersistedSession(clientId: clientId, identity: .anonymous, version: .v3_1_1, expiryMillis: 3_600_000)),
            .subscribed(clientId: clientId, filter: "t/\(clientId)", qos: .atLeastOnce),
            .messageAdded(clientId: clientId, PersistedMessage(sequence: 1, publish: publish(payload + "-1", 7), state: .awaitingAcknowledgement)),
            .messageAdded(clientId: clientId, PersistedMessage(sequence: 2, publish: publish(payload + "-2", nil), state: .queued)),
            .qos2Received(clientId: clientId, packetId: 9),
        ]
    }

    func testTheSessionsOfAStoppedNodeAreTakenOnceWholeAndAShadowedOneIsDropped() async throws {
        let dead = try await open("dead")
        let alive = try await open("alive")
        let taker = try await open("taker")
        try await dead.apply(sessionChanges("x", payload: "x") + sessionChanges("y", payload: "old-y"))
        try await alive.apply(sessionChanges("y", payload: "live-y"))
        try await beat("alive")
        try await beat("taker")

        let taken = try await taker.adoptOrphanedSessions()
        XCTAssertEqual(taken.map(\.session.clientId), ["x"], "only x: y is held by a live node")
        let x = try XCTUnwrap(taken.first)
        XCTAssertEqual(x.subscriptions, ["t/x": .atLeastOnce])
        XCTAssertEqual(x.messages.map(\.sequence), [1, 2])
        XCTAssertEqual(x.messages.map { String(buffer: $0.publish.payload) }, ["x-1", "x-2"])
        XCTAssertEqual(x.messages.first?.publish.packetId, 7, "in flight keeps its packet id")
        XCTAssertEqual(x.inboundQoS2, [9])
        // Nothing is left with the dead node (the shadowed y is gone too); the live node's y is untouched.
        let left = try await database.psql("SELECT count(*) FROM broker_sessions WHERE node = 'dead'")
        XCTAssertEqual(left.trimmingCharacters(in: .whitespacesAndNewlines), "0")
        let leftMessages = try await database.psql("SELECT count(*) FROM broker_messages WHERE node = 'dead'")
        XCTAssertEqual(leftMessages.trimmingCharacters(in: .whitespacesAndNewlines), "0")
        let live = try await alive.load()
        XCTAssertEqual(live.sessions.map(\.session.clientId), ["y"])
        XCTAssertEqual(live.sessions.first?.messages.map { String(buffer: $0.publish.payload) }, ["live-y-1", "live-y-2"])
        // The taker now holds x: it loads it, and a second sweep takes nothing.
        let held = try await taker.load()
        XCTAssertEqual(held.sessions.map(\.session.clientId), ["x"])
        let again = try await taker.adoptOrphanedSessions()
        XCTAssertTrue(again.isEmpty)
        // What the taker journals for x afterwards lands on its rows.
        try await taker.apply([.messageRemoved(clientId: "x", sequence: 1)])
        let afterAck = try await taker.load()
        XCTAssertEqual(afterAck.sessions.first?.messages.map(\.sequence), [2])
        for store in [dead, alive, taker] { await store.close() }
    }

    func testAConnectingClientTakesItsSessionOnlyFromANodeSilentLongEnough() async throws {
        let holder = try await open("holder")
        let here = try await open("here")
        try await holder.apply(sessionChanges("c", payload: "c"))
        try await beat("holder")
        try await beat("here")
        // The holder beat just now: not taken (a live node that was slow to answer keeps its session).
        let early = try await here.adoptSession(clientId: "c", silentMillis: 4_500, waitMillis: 0)
        XCTAssertNil(early)
        // Silent for 5 s (killed; still listed in hub_nodes): taken, whole.
        try await beat("holder", agoMillis: 5_000)
        let taken = try await here.adoptSession(clientId: "c", silentMillis: 4_500, waitMillis: 0)
        XCTAssertEqual(taken?.session.clientId, "c")
        XCTAssertEqual(taken?.messages.count, 2)
        let moved = try await holder.load()
        XCTAssertTrue(moved.sessions.isEmpty)
        // A client id no node holds: nothing, at once.
        let none = try await here.adoptSession(clientId: "unknown", silentMillis: 4_500, waitMillis: 10_000)
        XCTAssertNil(none)
        // Waiting: the holder goes silent while the connecting node waits, and the session comes then.
        try await holder.apply(sessionChanges("d", payload: "d"))
        try await beat("holder", agoMillis: 3_500)
        let started = Date()
        let waited = try await here.adoptSession(clientId: "d", silentMillis: 4_500, waitMillis: 6_000)
        XCTAssertEqual(waited?.session.clientId, "d")
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.5, "taken before the holder was silent 4.5 s")
        await holder.close()
        await here.close()
    }

    func testTwoNodesSweepingAtOnceTakeEachSessionExactlyOnce() async throws {
        let dead = try await open("dead")
        var changes: [BrokerChange] = []
        for i in 0..<200 { changes += sessionChanges("c\(i)", payload: "\(i)") }
        try await dead.apply(changes)
        let first = try await open("first")
        let second = try await open("second")
        try await beat("first")
        try await beat("second")
        async let a = first.adoptOrphanedSessions()
        async let b = second.adoptOrphanedSessions()
        let (takenA, takenB) = try await (a, b)
        let idsA = Set(takenA.map(\.session.clientId))
        let idsB = Set(takenB.map(\.session.clientId))
        XCTAssertTrue(idsA.isDisjoint(with: idsB), "a session was taken twice")
        XCTAssertEqual(idsA.union(idsB).count, 200)
        for session in takenA + takenB { XCTAssertEqual(session.messages.count, 2, session.session.clientId) }
        for store in [dead, first, second] { await store.close() }
    }

    func testASessionHandedOverBecomesTheReceivingNodesRowsInOneStep() async throws {
        let holder = try await open("holder")
        let receiver = try await open("receiver")
        try await holder.apply(sessionChanges("c", payload: "c"))
        try await holder.apply([.sessionMoved(clientId: "c", toNode: "receiver")])
        let moved = try await receiver.load()
        XCTAssertEqual(moved.sessions.map(\.session.clientId), ["c"])
        XCTAssertEqual(moved.sessions.first?.messages.map { String(buffer: $0.publish.payload) }, ["c-1", "c-2"])
        XCTAssertEqual(moved.sessions.first?.subscriptions, ["t/c": .atLeastOnce])
        XCTAssertEqual(moved.sessions.first?.inboundQoS2, [9])
        let left = try await holder.load()
        XCTAssertTrue(left.sessions.isEmpty)
        // The receiver journals the adoption over the moved rows (upserts; its messages restated, as
        // `Broker.adoptSession` records them) and, in the same batch, an acknowledgement: the row goes.
        let restated = sessionChanges("c", payload: "c").map { change -> BrokerChange in
            if case .messageAdded(let clientId, let message) = change { return .messageRestated(clientId: clientId, message) }
            return change
        }
        try await receiver.apply(restated + [.messageRemoved(clientId: "c", sequence: 1)])
        let afterAck = try await receiver.load()
        XCTAssertEqual(afterAck.sessions.first?.messages.map(\.sequence), [2])

        // The receiver wrote the session first (it adopted it before the holder's move committed): its rows are the
        // current ones, the holder's go.
        try await holder.apply(sessionChanges("d", payload: "old-d"))
        try await receiver.apply(sessionChanges("d", payload: "new-d") + [.messageRemoved(clientId: "d", sequence: 1)])
        try await holder.apply([.sessionMoved(clientId: "d", toNode: "receiver")])
        let current = try await receiver.load()
        let d = try XCTUnwrap(current.sessions.first { $0.session.clientId == "d" })
        XCTAssertEqual(d.messages.map { String(buffer: $0.publish.payload) }, ["new-d-2"], "the acknowledged message came back")
        let holderLeft = try await holder.load()
        XCTAssertTrue(holderLeft.sessions.isEmpty)
        let stray = try await database.psql("SELECT count(*) FROM broker_messages WHERE node = 'holder'")
        XCTAssertEqual(stray.trimmingCharacters(in: .whitespacesAndNewlines), "0")
        await holder.close()
        await receiver.close()
    }
}
