import BrokerCore
import MQTTCore
import NIOCore
import XCTest

/// A persistent session moving between the brokers of two cluster nodes (`handOverSession` on the node that holds
/// it, the transfer encoding over NATS, `adoptSession` on the node the client connects to).
final class BrokerSessionHandoverTests: XCTestCase {
    let device = ClientIdentity.device(productId: "PID", deviceName: "d1")
    let oldConnection = ConnectionID(1)
    let newConnection = ConnectionID(2)
    let watcher = ConnectionID(3)

    /// On node A: a device's persistent session with two subscriptions, one QoS 1 message in flight (sent, not
    /// acknowledged) and two queued behind a window of one; a watcher of its will.
    func nodeA(connected: Bool = true) -> Broker {
        var configuration = BrokerConfiguration()
        configuration.maxInflightMessages = 1
        let broker = Broker(configuration: configuration)
        _ = broker.connect(watcher, P.connect("W"), identity: .anonymous, now: 0)
        _ = broker.receive(watcher, P.subscribe(1, [("will/#", .atMostOnce)]), now: 0)
        _ = broker.connect(oldConnection, P.connect("PIDd1", clean: false, will: P.will("will/d1", "gone")), identity: device, now: 0)
        _ = broker.receive(oldConnection, P.subscribe(1, [("PID/d1/control", .atLeastOnce), ("PID/d1/data", .atMostOnce)]), now: 0)
        for text in ["m1", "m2", "m3"] { _ = broker.publish(P.message("PID/d1/control", text, qos: .atLeastOnce)) }
        if !connected { _ = broker.connectionLost(oldConnection, now: 1) }
        return broker
    }

    func testASessionMovesWithItsSubscriptionsAndMessagesAndResumesOnTheOtherNode() throws {
        let a = nodeA()
        let (handed, actions) = a.handOverSession(clientId: "PIDd1", to: device)
        // Node A closes the live connection as a takeover: its will goes out, the session is gone there.
        XCTAssertEqual(actions.closes().map(\.0), [oldConnection])
        XCTAssertEqual(actions.closes().first?.1, .takenOver)
        XCTAssertEqual(actions.publishes(to: watcher).map(\.text), ["gone"])
        XCTAssertFalse(a.hasSession(clientId: "PIDd1"))
        XCTAssertEqual(a.publish(P.message("PID/d1/control", "late", qos: .atLeastOnce)).publishes(to: oldConnection), [])

        let session = try XCTUnwrap(handed)
        let decoded = try XCTUnwrap(StoredSession(transferEncoding: session.transferEncoding().bytes))
        XCTAssertEqual(decoded.session, session.session)
        XCTAssertEqual(decoded.subscriptions, ["PID/d1/control": .atLeastOnce, "PID/d1/data": .atMostOnce])
        XCTAssertEqual(decoded.messages.map(\.publish.text), ["m1", "m2", "m3"])
        XCTAssertEqual(decoded.messages.map(\.state), [.awaitingAcknowledgement, .queued, .queued])

        // Node B adopts it; the client's CONNECT resumes it: session present, m1 again with DUP and its packet id,
        // then the queued ones as the window allows.
        var configuration = BrokerConfiguration()
        configuration.maxInflightMessages = 1
        let b = Broker(configuration: configuration)
        b.adoptSession(decoded, now: 10)
        let resumed = b.connect(newConnection, P.connect("PIDd1", clean: false), identity: device, now: 10)
        XCTAssertEqual(resumed.sent(to: newConnection).first, .connack(MQTTConnAck(sessionPresent: true, returnCode: 0, properties: MQTTProperties())))
        let first = try XCTUnwrap(resumed.publishes(to: newConnection).first)
        XCTAssertEqual(first.text, "m1")
        XCTAssertTrue(first.dup)
        XCTAssertEqual(first.packetId, session.messages.first?.publish.packetId)
        let next = b.receive(newConnection, .puback(P.ack(try XCTUnwrap(first.packetId))), now: 11).publishes(to: newConnection)
        XCTAssertEqual(next.map(\.text), ["m2"])
        let third = b.receive(newConnection, .puback(P.ack(try XCTUnwrap(next.first?.packetId))), now: 12).publishes(to: newConnection)
        XCTAssertEqual(third.map(\.text), ["m3"])
        // The subscriptions came too: a new message for the device is routed on node B.
        XCTAssertEqual(b.publish(P.message("PID/d1/data", "fresh")).publishes(to: newConnection).map(\.text), ["fresh"])
    }

    func testAJournalingNodeRecordsTheSessionItAdopts() throws {
        let a = nodeA(connected: false)
        let session = try XCTUnwrap(a.handOverSession(clientId: "PIDd1", to: device).session)
        XCTAssertTrue(a.handOverSession(clientId: "PIDd1", to: device).session == nil, "handed over once")
        let b = Broker()
        b.restore(retained: [], sessions: [], now: 0)
        b.adoptSession(session, now: 5)
        let journal = b.takeJournal()
        XCTAssertEqual(journal.first, .sessionSaved(session.session))
        XCTAssertEqual(journal.filter { if case .subscribed = $0 { true } else { false } }.count, 2)
        XCTAssertEqual(journal.filter { if case .messageRestated = $0 { true } else { false } }.count, 3)
        // What B would restore after a restart is what it adopted.
        XCTAssertEqual(b.durableState().sessions.first?.messages.map(\.publish.text), ["m1", "m2", "m3"])
    }

    func testAJournalingNodeRecordsTheMoveToTheReceivingNodeInsteadOfTheEnd() throws {
        // A node that restored the session from its store (so it is journaled).
        let stored = try XCTUnwrap(nodeA(connected: false).handOverSession(clientId: "PIDd1", to: device).session)
        let a = Broker()
        a.restore(retained: [], sessions: [stored], now: 0)
        XCTAssertNotNil(a.handOverSession(clientId: "PIDd1", to: device, toNode: "node-b").session)
        XCTAssertEqual(a.takeJournal(), [.sessionMoved(clientId: "PIDd1", toNode: "node-b")])
        // Without a receiving node, the end is recorded.
        let b = Broker()
        b.restore(retained: [], sessions: [stored], now: 0)
        XCTAssertNotNil(b.handOverSession(clientId: "PIDd1", to: device).session)
        XCTAssertEqual(b.takeJournal(), [.sessionEnded(clientId: "PIDd1")])
    }

    func testNothingIsHandedToAnotherPrincipalNorAnyCleanSession() {
        let a = nodeA()
        let other = ClientIdentity.device(productId: "PID", deviceName: "d2")
        let refused = a.handOverSession(clientId: "PIDd1", to: other)
        XCTAssertNil(refused.session)
        XCTAssertEqual(refused.actions, [])
        XCTAssertTrue(a.isConnected(clientId: "PIDd1"), "another principal's request changes nothing")

        let broker = Broker()
        _ = broker.connect(oldConnection, P.connect("C", clean: true), identity: .anonymous, now: 0)
        let clean = broker.handOverSession(clientId: "C", to: .anonymous)
        XCTAssertNil(clean.session)
        XCTAssertEqual(clean.actions.closes().map(\.0), [oldConnection], "a clean session's connection still ends: the client connected elsewhere")
        XCTAssertFalse(broker.hasSession(clientId: "C"))
        XCTAssertNil(broker.handOverSession(clientId: "nobody", to: .anonymous).session)
    }

    func testANodeKeepsTheSessionItHoldsOverOneHandedToIt() throws {
        let session = try XCTUnwrap(nodeA().handOverSession(clientId: "PIDd1", to: device).session)
        let b = Broker()
        _ = b.connect(newConnection, P.connect("PIDd1", clean: false), identity: device, now: 0)
        _ = b.receive(newConnection, P.subscribe(1, [("PID/d1/own", .atLeastOnce)]), now: 0)
        b.adoptSession(session, now: 1)
        XCTAssertTrue(b.isSubscribed(clientId: "PIDd1", topic: "PID/d1/own"))
        XCTAssertFalse(b.isSubscribed(clientId: "PIDd1", topic: "PID/d1/control"))
    }

    /// A connect on another node closes the connection here; a persistent session stays for a CleanSession 0 connect
    /// (it moves when asked for) and ends for a CleanSession 1 connect (MQTT-3.1.2-6).
    func testAConnectElsewhereEndsThePersistentSessionHereOnlyIfItWasClean() {
        let kept = nodeA()
        let closed = kept.takenOverElsewhere(clientId: "PIDd1", cleanSession: false)
        XCTAssertEqual(closed.closes().map(\.0), [oldConnection])
        XCTAssertEqual(closed.publishes(to: watcher).map(\.text), ["gone"])
        XCTAssertTrue(kept.hasSession(clientId: "PIDd1"))
        XCTAssertFalse(kept.isConnected(clientId: "PIDd1"))

        let ended = nodeA(connected: false)
        XCTAssertEqual(ended.takenOverElsewhere(clientId: "PIDd1", cleanSession: true), [])
        XCTAssertFalse(ended.hasSession(clientId: "PIDd1"), "a clean connect elsewhere left the old session to come back later")
    }

    func testTheTransferEncodingRefusesMalformedBytesAndFitsABudget() throws {
        let session = try XCTUnwrap(nodeA().handOverSession(clientId: "PIDd1", to: device).session)
        let full = session.transferEncoding().bytes
        // Every truncation, a wrong version and a trailing byte are refused.
        for length in 0..<full.readableBytes {
            XCTAssertNil(StoredSession(transferEncoding: full.getSlice(at: 0, length: length)!), "truncated to \(length)")
        }
        var wrongVersion = full
        wrongVersion.setInteger(UInt8(9), at: 0)
        XCTAssertNil(StoredSession(transferEncoding: wrongVersion))
        var trailing = full
        trailing.writeInteger(UInt8(0))
        XCTAssertNil(StoredSession(transferEncoding: trailing))
        // Over a budget, the newest queued messages are left out; the one in flight always goes.
        let (fitted, dropped) = session.transferEncoding(maxBytes: full.readableBytes - 1)
        XCTAssertEqual(dropped, 1)
        XCTAssertLessThanOrEqual(fitted.readableBytes, full.readableBytes - 1)
        XCTAssertEqual(StoredSession(transferEncoding: fitted)?.messages.map(\.publish.text), ["m1", "m2"])
        let (tiny, droppedAll) = session.transferEncoding(maxBytes: 1)
        XCTAssertEqual(droppedAll, 2)
        XCTAssertEqual(StoredSession(transferEncoding: tiny)?.messages.map(\.publish.text), ["m1"])
    }
}

/// A node joining a cluster takes the other nodes' retained messages (`Broker.replaceRetained`).
final class BrokerRetainedReplacementTests: XCTestCase {
    func testTheOtherNodesRetainedMessagesReplaceThisOnesAndAreJournaled() {
        let broker = Broker()
        broker.restore(
            retained: [P.message("t/a", "a1", retain: true), P.message("t/b", "b1", retain: true)], sessions: [], now: 0
        )
        _ = broker.takeJournal()
        broker.replaceRetained(with: [P.message("t/a", "a2"), P.message("t/c", "c1", qos: .atLeastOnce)])
        XCTAssertEqual(broker.retainedMessages.map(\.topic), ["t/a", "t/c"])
        XCTAssertEqual(broker.retainedMessages.map(\.text), ["a2", "c1"])
        XCTAssertTrue(broker.retainedMessages.allSatisfy(\.retain))
        // Journaled: b deleted (empty payload), a and c stored; a restart restores the same.
        let journal = broker.takeJournal()
        XCTAssertEqual(journal.count, 3)
        XCTAssertEqual(journal.first, .retained(MQTTPublish(topic: "t/b", payload: ByteBuffer(), qos: .atMostOnce, retain: true)))
        XCTAssertEqual(broker.durableState().retained.map(\.text), ["a2", "c1"])
        // A subscriber gets what the cluster holds.
        let subscriber = ConnectionID(1)
        _ = broker.connect(subscriber, P.connect("S"), identity: .anonymous, now: 1)
        XCTAssertEqual(broker.receive(subscriber, P.subscribe(1, [("t/#", .atLeastOnce)]), now: 1).publishes(to: subscriber).map(\.text), ["a2", "c1"])
    }

    func testLimitsApplyToTheMessagesTaken() {
        var configuration = BrokerConfiguration()
        configuration.maxRetainedMessages = 1
        let broker = Broker(configuration: configuration)
        broker.replaceRetained(with: [P.message("t/a", "a"), P.message("t/b", "b")])
        XCTAssertEqual(broker.retainedMessages.map(\.topic), ["t/a"])
        XCTAssertEqual(broker.takeJournal(), [], "not journaling: nothing recorded")
    }
}
