import BrokerCore
import MQTTCore
import NIOCore
import XCTest

final class BrokerTests: XCTestCase {
    let a = ConnectionID(1)
    let b = ConnectionID(2)
    let c = ConnectionID(3)

    func testConnectAnswersConnackAndQoS0Delivery() {
        let broker = Broker()
        XCTAssertEqual(
            broker.connect(a, P.connect("A"), identity: .anonymous, now: 0),
            [.send(a, .connack(MQTTConnAck(sessionPresent: false, returnCode: 0, properties: MQTTProperties())))]
        )
        _ = broker.connect(b, P.connect("B"), identity: .anonymous, now: 0)
        let suback = broker.receive(b, P.subscribe(7, [("x/+", .atMostOnce)]), now: 1)
        XCTAssertEqual(suback, [.send(b, .suback(MQTTSubAck(packetId: 7, returnCodes: [0], properties: MQTTProperties())))])
        let actions = broker.receive(a, P.publish("x/1", "hello"), now: 2)
        XCTAssertEqual(actions.publishes(to: b).map(\.text), ["hello"])
        XCTAssertEqual(actions.publishes(to: b).first?.packetId, nil)
        XCTAssertTrue(actions.sent(to: a).isEmpty)
        // A publisher subscribed to its own topic receives its message too.
        _ = broker.receive(a, P.subscribe(1, [("x/1", .atMostOnce)]), now: 3)
        XCTAssertEqual(broker.receive(a, P.publish("x/1", "again"), now: 4).publishes(to: a).map(\.text), ["again"])
    }

    func testQoS1BothDirections() {
        let broker = Broker()
        _ = broker.connect(a, P.connect("A"), identity: .anonymous, now: 0)
        _ = broker.connect(b, P.connect("B"), identity: .anonymous, now: 0)
        _ = broker.receive(b, P.subscribe(1, [("t", .atLeastOnce)]), now: 0)
        let actions = broker.receive(a, P.publish("t", "m", qos: .atLeastOnce, id: 10), now: 1)
        XCTAssertEqual(actions.sent(to: a), [.puback(P.ack(10))])
        let delivered = actions.publishes(to: b)
        XCTAssertEqual(delivered.count, 1)
        XCTAssertEqual(delivered[0].qos, .atLeastOnce)
        let id = try! XCTUnwrap(delivered[0].packetId)
        XCTAssertEqual(broker.receive(b, .puback(P.ack(id)), now: 2), [])
        // Granted QoS caps delivery: a QoS 0 subscriber gets QoS 0.
        _ = broker.connect(c, P.connect("C"), identity: .anonymous, now: 0)
        _ = broker.receive(c, P.subscribe(1, [("t", .atMostOnce)]), now: 0)
        let second = broker.receive(a, P.publish("t", "m2", qos: .exactlyOnce, id: 11), now: 3)
        XCTAssertEqual(second.publishes(to: c).first?.qos, .atMostOnce)
        XCTAssertEqual(second.publishes(to: b).first?.qos, .atLeastOnce)
    }

    func testQoS2ExactlyOnceInboundAndOutbound() {
        let broker = Broker()
        _ = broker.connect(a, P.connect("A"), identity: .anonymous, now: 0)
        _ = broker.connect(b, P.connect("B"), identity: .anonymous, now: 0)
        _ = broker.receive(b, P.subscribe(1, [("q", .exactlyOnce)]), now: 0)
        let first = broker.receive(a, P.publish("q", "once", qos: .exactlyOnce, id: 5), now: 1)
        XCTAssertEqual(first.sent(to: a), [.pubrec(P.ack(5))])
        XCTAssertEqual(first.publishes(to: b).count, 1)
        // The same packet id resent before PUBREL is acknowledged but not delivered again.
        let resent = broker.receive(a, P.publish("q", "once", qos: .exactlyOnce, id: 5, dup: true), now: 2)
        XCTAssertEqual(resent.sent(to: a), [.pubrec(P.ack(5))])
        XCTAssertTrue(resent.publishes(to: b).isEmpty)
        XCTAssertEqual(broker.receive(a, .pubrel(P.ack(5)), now: 3), [.send(a, .pubcomp(P.ack(5)))])
        // After release the id may carry a new message.
        XCTAssertEqual(broker.receive(a, P.publish("q", "next", qos: .exactlyOnce, id: 5), now: 4).publishes(to: b).count, 1)
        // Outbound: PUBREC → PUBREL, PUBCOMP completes.
        let outbound = first.publishes(to: b)[0]
        let id = outbound.packetId!
        XCTAssertEqual(broker.receive(b, .pubrec(P.ack(id)), now: 5), [.send(b, .pubrel(P.ack(id)))])
        XCTAssertEqual(broker.receive(b, .pubcomp(P.ack(id)), now: 6), [])
    }

    /// A PUBREC answers with PUBREL only for a QoS 2 message in flight (again for a duplicate PUBREC); for an
    /// unknown packet id it is ignored; an ack of the wrong type for a message in flight (PUBREC for QoS 1,
    /// PUBACK for QoS 2, PUBCOMP before PUBREC) closes the connection as a protocol violation (as mosquitto).
    func testAcksOfTheWrongTypeOrForUnknownIds() {
        func setUp() -> (Broker, qos1: UInt16, qos2: UInt16) {
            let broker = Broker()
            _ = broker.connect(a, P.connect("A"), identity: .anonymous, now: 0)
            _ = broker.connect(b, P.connect("B"), identity: .anonymous, now: 0)
            _ = broker.receive(b, P.subscribe(1, [("one", .atLeastOnce), ("two", .exactlyOnce)]), now: 0)
            let one = broker.receive(a, P.publish("one", "1", qos: .atLeastOnce, id: 1), now: 1).publishes(to: b)[0].packetId!
            let two = broker.receive(a, P.publish("two", "2", qos: .exactlyOnce, id: 2), now: 1).publishes(to: b)[0].packetId!
            return (broker, one, two)
        }
        var (broker, qos1, qos2) = setUp()
        XCTAssertEqual(broker.receive(b, .pubrec(P.ack(999)), now: 2), [], "unknown id: no PUBREL")
        XCTAssertEqual(broker.receive(b, .puback(P.ack(999)), now: 2), [], "unknown id: ignored")
        XCTAssertEqual(broker.receive(b, .pubcomp(P.ack(999)), now: 2), [], "unknown id: ignored")
        XCTAssertEqual(broker.receive(b, .pubrec(P.ack(qos2)), now: 3), [.send(b, .pubrel(P.ack(qos2)))])
        XCTAssertEqual(broker.receive(b, .pubrec(P.ack(qos2)), now: 3), [.send(b, .pubrel(P.ack(qos2)))], "a duplicate PUBREC: PUBREL again")
        XCTAssertTrue(broker.isConnected(clientId: "B"))

        XCTAssertEqual(broker.receive(b, .pubrec(P.ack(qos1)), now: 4).last, .close(b, .protocolViolation), "PUBREC for QoS 1")
        XCTAssertFalse(broker.isConnected(clientId: "B"))
        (broker, qos1, qos2) = setUp()
        XCTAssertEqual(broker.receive(b, .puback(P.ack(qos2)), now: 4).last, .close(b, .protocolViolation), "PUBACK for QoS 2")
        (broker, qos1, qos2) = setUp()
        XCTAssertEqual(broker.receive(b, .pubcomp(P.ack(qos2)), now: 4).last, .close(b, .protocolViolation), "PUBCOMP before PUBREC")
        (broker, qos1, qos2) = setUp()
        XCTAssertEqual(broker.receive(b, .pubcomp(P.ack(qos1)), now: 4).last, .close(b, .protocolViolation), "PUBCOMP for QoS 1")
    }

    func testRetainedMessages() {
        let broker = Broker()
        _ = broker.connect(a, P.connect("A"), identity: .anonymous, now: 0)
        _ = broker.connect(b, P.connect("B"), identity: .anonymous, now: 0)
        _ = broker.receive(b, P.subscribe(1, [("r/#", .atLeastOnce)]), now: 0)
        let live = broker.receive(a, P.publish("r/1", "kept", qos: .atLeastOnce, retain: true, id: 1), now: 1)
        XCTAssertEqual(live.publishes(to: b).first?.retain, false, "MQTT-3.3.1-9")
        _ = broker.connect(c, P.connect("C"), identity: .anonymous, now: 2)
        let onSubscribe = broker.receive(c, P.subscribe(2, [("r/+", .atMostOnce)]), now: 3)
        XCTAssertEqual(onSubscribe.publishes(to: c).map(\.text), ["kept"])
        XCTAssertEqual(onSubscribe.publishes(to: c).first?.retain, true, "MQTT-3.3.1-6")
        XCTAssertEqual(onSubscribe.publishes(to: c).first?.qos, .atMostOnce)
        // An empty retained payload deletes it.
        _ = broker.receive(a, P.publish("r/1", "", retain: true), now: 4)
        XCTAssertEqual(broker.retainedCount, 0)
        XCTAssertTrue(broker.receive(c, P.subscribe(3, [("r/1", .atMostOnce)]), now: 5).publishes(to: c).isEmpty)
    }

    func testWillOnUncleanCloseNotAfterDisconnect() {
        let broker = Broker()
        _ = broker.connect(b, P.connect("B"), identity: .anonymous, now: 0)
        _ = broker.receive(b, P.subscribe(1, [("wills/#", .atMostOnce)]), now: 0)
        _ = broker.connect(a, P.connect("A", will: P.will("wills/a", "gone")), identity: .anonymous, now: 0)
        XCTAssertEqual(broker.connectionLost(a, now: 1).publishes(to: b).map(\.text), ["gone"])
        _ = broker.connect(c, P.connect("C", will: P.will("wills/c", "gone")), identity: .anonymous, now: 2)
        XCTAssertEqual(broker.receive(c, .disconnect(MQTTDisconnect()), now: 3).closes().map(\.1), [.clientDisconnected])
        XCTAssertTrue(broker.connectionLost(c, now: 4).publishes(to: b).isEmpty)
    }

    func testPersistentSessionQueuesAndResumes() {
        let broker = Broker()
        _ = broker.connect(a, P.connect("A"), identity: .anonymous, now: 0)
        _ = broker.connect(b, P.connect("B", clean: false), identity: .anonymous, now: 0)
        _ = broker.receive(b, P.subscribe(1, [("p", .atLeastOnce)]), now: 0)
        // One message in flight unacknowledged, then B drops.
        let inflight = broker.receive(a, P.publish("p", "m1", qos: .atLeastOnce, id: 1), now: 1).publishes(to: b)
        XCTAssertEqual(inflight.count, 1)
        _ = broker.connectionLost(b, now: 2)
        _ = broker.receive(a, P.publish("p", "m2", qos: .atLeastOnce, id: 2), now: 3)
        _ = broker.receive(a, P.publish("p", "lost-qos0"), now: 3)
        XCTAssertEqual(broker.queuedMessages(clientId: "B"), 1)
        let resumed = broker.connect(c, P.connect("B", clean: false), identity: .anonymous, now: 4)
        XCTAssertEqual(resumed.sent(to: c).first, .connack(MQTTConnAck(sessionPresent: true, returnCode: 0, properties: MQTTProperties())))
        let redelivered = resumed.publishes(to: c)
        XCTAssertEqual(redelivered.map(\.text), ["m1", "m2"], "in order, unacknowledged first")
        XCTAssertEqual(redelivered.map(\.dup), [true, false])
        XCTAssertEqual(redelivered[0].packetId, inflight[0].packetId)
        // Subscriptions survived: new messages flow without resubscribing.
        XCTAssertEqual(broker.receive(a, P.publish("p", "m3", qos: .atLeastOnce, id: 3), now: 5).publishes(to: c).map(\.text), ["m3"])
        // A clean reconnect discards the session.
        _ = broker.connectionLost(c, now: 6)
        let clean = broker.connect(b, P.connect("B", clean: true), identity: .anonymous, now: 7)
        XCTAssertEqual(clean.sent(to: b), [.connack(MQTTConnAck(sessionPresent: false, returnCode: 0, properties: MQTTProperties()))])
        XCTAssertTrue(broker.receive(a, P.publish("p", "m4", qos: .atLeastOnce, id: 4), now: 8).publishes(to: b).isEmpty)
    }

    func testInflightWindowQueuesInOrderAndBoundedQueueCountsDrops() {
        var configuration = BrokerConfiguration()
        configuration.maxInflightMessages = 2
        configuration.maxQueuedMessages = 2
        let broker = Broker(configuration: configuration)
        _ = broker.connect(a, P.connect("A"), identity: .anonymous, now: 0)
        _ = broker.connect(b, P.connect("B"), identity: .anonymous, now: 0)
        _ = broker.receive(b, P.subscribe(1, [("w", .atLeastOnce)]), now: 0)
        var sent: [MQTTPublish] = []
        for i in 1...5 {
            sent += broker.receive(a, P.publish("w", "m\(i)", qos: .atLeastOnce, id: UInt16(i)), now: 1).publishes(to: b)
        }
        XCTAssertEqual(sent.map(\.text), ["m1", "m2"])
        XCTAssertEqual(broker.queuedMessages(clientId: "B"), 2)
        XCTAssertEqual(broker.droppedMessages(clientId: "B"), 1)
        let next = broker.receive(b, .puback(P.ack(sent[0].packetId!)), now: 2).publishes(to: b)
        XCTAssertEqual(next.map(\.text), ["m3"])
        // QoS 0 waits behind queued messages, keeping order.
        _ = broker.receive(a, P.publish("w", "q0"), now: 3)
        let rest = broker.receive(b, .puback(P.ack(sent[1].packetId!)), now: 4).publishes(to: b)
        XCTAssertEqual(rest.map(\.text), ["m4", "q0"])
    }

    /// The keep-alive schedule closes exactly the connections the rule names (silent for more than 1.5 × their
    /// keep-alive), at the first tick after their deadline, whatever their keep-alive and activity: 300 clients,
    /// keep-alives 0–30 s, pings at their own periods until their own stop times, a tick every 250 ms, checked
    /// against the rule applied to every connection at every tick.
    func testKeepAliveScheduleClosesExactlyWhatTheRuleNames() {
        let broker = Broker()
        var keepAlive: [ConnectionID: UInt64] = [:]
        var lastActivity: [ConnectionID: UInt64] = [:]
        var period: [ConnectionID: UInt64] = [:]
        var stop: [ConnectionID: UInt64] = [:]
        var open: Set<ConnectionID> = []
        for index in 0..<300 {
            let id = ConnectionID(UInt64(1000 + index))
            let seconds = UInt16((index * 7) % 31)
            _ = broker.connect(id, P.connect("k\(index)", keepAlive: seconds), identity: .anonymous, now: UInt64(index))
            keepAlive[id] = UInt64(seconds)
            lastActivity[id] = UInt64(index)
            period[id] = UInt64(index % 13 + 1) * 700
            stop[id] = UInt64(index * 997 % 120_000)
            open.insert(id)
        }
        var closedCount = 0
        var now: UInt64 = 0
        while now < 180_000 {
            now += 250
            for id in open where now < stop[id]! && now % period[id]! < 250 {
                _ = broker.receive(id, .pingreq, now: now)
                lastActivity[id] = now
            }
            let closed = Set(broker.tick(now: now).closes().filter { $0.1 == .keepAliveTimeout }.map(\.0))
            let expected = Set(open.filter { keepAlive[$0]! > 0 && now > lastActivity[$0]! + keepAlive[$0]! * 1500 })
            XCTAssertEqual(closed, expected, "keep-alive closes at \(now) ms")
            for id in closed {
                _ = broker.connectionLost(id, now: now)
                open.remove(id)
            }
            closedCount += closed.count
        }
        // Every client with a keep-alive stopped pinging before 120 s: all of them are closed by 180 s; the
        // ones without keep-alive stay.
        XCTAssertEqual(closedCount, keepAlive.values.filter { $0 > 0 }.count)
        XCTAssertEqual(open.count, keepAlive.values.filter { $0 == 0 }.count)
    }

    func testKeepAliveTakeoverAndProtocolViolations() {
        let broker = Broker()
        _ = broker.connect(a, P.connect("A", keepAlive: 10), identity: .anonymous, now: 0)
        XCTAssertTrue(broker.tick(now: 15_000).isEmpty, "1.5 × 10 s not yet exceeded")
        _ = broker.receive(a, .pingreq, now: 14_000)
        XCTAssertTrue(broker.tick(now: 28_000).isEmpty)
        XCTAssertEqual(broker.tick(now: 29_001).closes().map(\.1), [.keepAliveTimeout])
        // Takeover: the newer connection wins.
        let takeover = broker.connect(b, P.connect("A"), identity: .anonymous, now: 30_000)
        XCTAssertEqual(takeover.closes().map(\.0), [a])
        XCTAssertEqual(broker.clientId(of: b), "A")
        XCTAssertNil(broker.clientId(of: a))
        XCTAssertEqual(broker.connectionLost(a, now: 30_001), [], "the old connection's close changes nothing")
        XCTAssertTrue(broker.isConnected(clientId: "A"))
        // A second CONNECT is a protocol violation.
        XCTAssertEqual(broker.receive(b, .connect(P.connect("A")), now: 30_002).closes().map(\.1), [.protocolViolation])
        XCTAssertEqual(broker.receive(c, .pingreq, now: 1).closes().map(\.1), [.protocolViolation], "no CONNECT yet")
    }

    func testDollarTopicsAndACL() {
        let broker = Broker(authorizer: SecretDenyingAuthorizer())
        _ = broker.connect(a, P.connect("A"), identity: .anonymous, now: 0)
        _ = broker.connect(b, P.connect("B"), identity: .anonymous, now: 0)
        let suback = broker.receive(b, P.subscribe(1, [("+/x", .atMostOnce), ("secret/#", .atMostOnce), ("open/#", .atLeastOnce)]), now: 0)
        XCTAssertEqual(suback.sent(to: b), [.suback(MQTTSubAck(packetId: 1, returnCodes: [0, 0x80, 1], properties: MQTTProperties()))])
        XCTAssertTrue(broker.receive(a, P.publish("$SYS/x", "no"), now: 1).publishes(to: b).isEmpty, "MQTT-4.7.2-1")
        XCTAssertEqual(broker.receive(a, P.publish("y/x", "yes"), now: 1).publishes(to: b).map(\.text), ["yes"])
        // A denied publish is acknowledged and dropped; the connection stays.
        let denied = broker.receive(a, P.publish("secret/1", "no", qos: .atLeastOnce, id: 9), now: 2)
        XCTAssertEqual(denied.sent(to: a).count, 1)
        guard case .puback(let ack) = denied.sent(to: a)[0] else { return XCTFail("no PUBACK") }
        XCTAssertEqual(ack.packetId, 9)
        XCTAssertTrue(denied.closes().isEmpty)
        XCTAssertTrue(denied.publishes(to: b).isEmpty)
        // Wills and retained messages obey the ACL too.
        _ = broker.connect(c, P.connect("C", will: P.will("secret/will", "x", retain: true)), identity: .anonymous, now: 3)
        XCTAssertTrue(broker.connectionLost(c, now: 4).isEmpty)
        XCTAssertEqual(broker.retainedCount, 0)
    }

    func testServerPublishAndKick() {
        let broker = Broker()
        _ = broker.connect(a, P.connect("dev", keepAlive: 0), identity: .device(productId: "ABCDEFGHIJ", deviceName: "dev"), now: 0)
        _ = broker.receive(a, P.subscribe(1, [("ABCDEFGHIJ/dev/control", .atMostOnce)]), now: 0)
        XCTAssertTrue(broker.isSubscribed(clientId: "dev", topic: "ABCDEFGHIJ/dev/control"))
        XCTAssertEqual(broker.publish(P.message("ABCDEFGHIJ/dev/control", "cmd")).publishes(to: a).map(\.text), ["cmd"])
        let kicked = broker.kick { $0 == .device(productId: "ABCDEFGHIJ", deviceName: "dev") }
        XCTAssertEqual(kicked.closes().map(\.1), [.kicked])
        XCTAssertTrue(broker.kick { _ in false }.isEmpty)
    }
}
