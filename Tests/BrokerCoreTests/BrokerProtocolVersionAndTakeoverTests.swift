import BrokerCore
import MQTTCore
import NIOCore
import XCTest

/// State-machine tests for what the byte-level conformance suite (IntegrationTests/MQTTConformance) found:
/// MQTT 3.1 specifics of CONNACK, the will of a taken-over connection, packets behind the one that ends a
/// connection, assigned ClientIds, sessions bound to their identity.
final class BrokerProtocolVersionAndTakeoverTests: XCTestCase {
    let a = ConnectionID(1)
    let b = ConnectionID(2)
    let watcher = ConnectionID(3)

    func connack(sessionPresent: Bool, returnCode: UInt8 = 0) -> MQTTPacket {
        .connack(MQTTConnAck(sessionPresent: sessionPresent, returnCode: returnCode, properties: MQTTProperties()))
    }

    /// MQTT 3.1 has no session-present flag (the byte is reserved); the session is still resumed.
    func testMQTT31ConnackNeverSaysSessionPresent() {
        let broker = Broker()
        _ = broker.connect(a, P.connect("P", clean: false, level: 3), identity: .anonymous, now: 0)
        _ = broker.receive(a, P.subscribe(1, [("t", .atLeastOnce)]), now: 0)
        _ = broker.connectionLost(a, now: 1)
        _ = broker.publish(P.message("t", "queued", qos: .atLeastOnce))
        let resumed = broker.connect(b, P.connect("P", clean: false, level: 3), identity: .anonymous, now: 2)
        XCTAssertEqual(resumed.sent(to: b).first, connack(sessionPresent: false))
        XCTAssertEqual(resumed.publishes(to: b).map(\.text), ["queued"], "the session was resumed all the same")
        // 3.1.1 reports it.
        _ = broker.connectionLost(b, now: 3)
        XCTAssertEqual(broker.connect(a, P.connect("P", clean: false, level: 4), identity: .anonymous, now: 4).sent(to: a).first, connack(sessionPresent: true))
    }

    /// MQTT 3.1 requires a ClientId of 1–23 characters (the hub lifts only the upper bound): an empty one is
    /// refused with CONNACK 2 even with CleanSession 1, unlike 3.1.1.
    func testMQTT31RefusesAnEmptyClientId() {
        let broker = Broker()
        XCTAssertEqual(
            broker.connect(a, P.connect("", clean: true, level: 3), identity: .anonymous, now: 0),
            [.send(a, connack(sessionPresent: false, returnCode: 2)), .close(a, .connectRefused)]
        )
        XCTAssertEqual(broker.connect(b, P.connect("", clean: true, level: 4), identity: .anonymous, now: 0).sent(to: b), [connack(sessionPresent: false)])
        XCTAssertEqual(broker.connect(watcher, P.connect(String(repeating: "x", count: 58), level: 3), identity: .anonymous, now: 0).sent(to: watcher), [connack(sessionPresent: false)])
    }

    /// MQTT-3.1.2-8: a connection closed because its ClientId connected again ended without DISCONNECT, so
    /// its will is published (once: the later close of its socket publishes nothing more).
    func testTakeoverPublishesTheOlderConnectionsWill() {
        let broker = Broker()
        _ = broker.connect(watcher, P.connect("W"), identity: .anonymous, now: 0)
        _ = broker.receive(watcher, P.subscribe(1, [("will/#", .atMostOnce)]), now: 0)
        _ = broker.connect(a, P.connect("T", will: P.will("will/old", "old")), identity: .anonymous, now: 0)
        let takeover = broker.connect(b, P.connect("T", will: P.will("will/new", "new")), identity: .anonymous, now: 1)
        XCTAssertEqual(takeover.closes().map(\.0), [a])
        XCTAssertEqual(takeover.publishes(to: watcher).map(\.text), ["old"])
        XCTAssertEqual(takeover.sent(to: b), [connack(sessionPresent: false)])
        XCTAssertEqual(broker.connectionLost(a, now: 2), [], "the old socket closing changes nothing")
        // The newer connection's own will is intact.
        XCTAssertEqual(broker.connectionLost(b, now: 3).publishes(to: watcher).map(\.text), ["new"])
    }

    /// A taken-over will still goes through the ACL.
    func testTakeoverWillIsAuthorized() {
        let broker = Broker(authorizer: SecretDenyingAuthorizer())
        _ = broker.connect(watcher, P.connect("W"), identity: .anonymous, now: 0)
        _ = broker.receive(watcher, P.subscribe(1, [("+/x", .atMostOnce)]), now: 0)
        _ = broker.connect(a, P.connect("T", will: P.will("secret/x", "leak", retain: true)), identity: .anonymous, now: 0)
        XCTAssertTrue(broker.connect(b, P.connect("T"), identity: .anonymous, now: 1).publishes(to: watcher).isEmpty)
        XCTAssertEqual(broker.retainedCount, 0, "a denied will is not retained either")
    }
    /// Packets a client sends behind DISCONNECT or a protocol violation (same TCP segment, socket not yet
    /// closed) are not processed: the connection leaves its session at once.
    func testNothingIsProcessedAfterDisconnectOrViolation() {
        let broker = Broker()
        _ = broker.connect(watcher, P.connect("W"), identity: .anonymous, now: 0)
        _ = broker.receive(watcher, P.subscribe(1, [("t/#", .atMostOnce)]), now: 0)

        _ = broker.connect(a, P.connect("A", will: P.will("t/will", "a")), identity: .anonymous, now: 0)
        XCTAssertEqual(broker.receive(a, .disconnect(MQTTDisconnect()), now: 1), [.close(a, .clientDisconnected)])
        XCTAssertFalse(broker.isConnected(clientId: "A"))
        let after = broker.receive(a, P.publish("t/x", "late", retain: true), now: 2)
        XCTAssertTrue(after.publishes(to: watcher).isEmpty)
        XCTAssertEqual(broker.retainedCount, 0)
        XCTAssertEqual(broker.connectionLost(a, now: 3), [], "no will after DISCONNECT, and nothing left to end")

        // A second CONNECT: the will is published (protocol error), then nothing more.
        _ = broker.connect(b, P.connect("B", will: P.will("t/will", "b")), identity: .anonymous, now: 4)
        let violation = broker.receive(b, .connect(P.connect("B2")), now: 5)
        XCTAssertEqual(violation.publishes(to: watcher).map(\.text), ["b"])
        XCTAssertEqual(violation.closes().map(\.1), [.protocolViolation])
        XCTAssertTrue(broker.receive(b, P.publish("t/y", "late"), now: 6).publishes(to: watcher).isEmpty)
        XCTAssertEqual(broker.sessionCount, 1, "only the watcher's clean session is left")
    }
    /// MQTT-3.1.3-6: assigned ClientIds are unique and not derived from anything a client can guess.
    func testAssignedClientIdsAreUniqueAndUnguessable() {
        let broker = Broker()
        _ = broker.connect(a, P.connect(""), identity: .anonymous, now: 0)
        _ = broker.connect(b, P.connect(""), identity: .anonymous, now: 0)
        let first = broker.clientId(of: a)
        let second = broker.clientId(of: b)
        XCTAssertNotNil(first)
        XCTAssertNotEqual(first, second)
        for guess in ["auto-1", "auto-2", "auto-c1", "1", "2"] {
            XCTAssertTrue(broker.connect(watcher, P.connect(guess), identity: .anonymous, now: 1).closes().isEmpty, guess)
            _ = broker.receive(watcher, .disconnect(MQTTDisconnect()), now: 1)
        }
        XCTAssertEqual(broker.connectionCount, 2)
    }
    /// A device's ClientId belongs to the device: another identity using it gets CONNACK 2 and the device
    /// stays connected; nobody but the device resumes its session; sessions never pass between identities.
    func testSessionsBelongToTheirIdentity() {
        let broker = Broker()
        let device = ClientIdentity.device(productId: "ABCDEFGHIJ", deviceName: "d1")
        _ = broker.connect(a, P.connect("ABCDEFGHIJd1", clean: false), identity: device, now: 0)
        _ = broker.receive(a, P.subscribe(1, [("ABCDEFGHIJ/d1/control", .atLeastOnce)]), now: 0)
        let refused: [BrokerAction] = [.send(b, connack(sessionPresent: false, returnCode: 2)), .close(b, .connectRefused)]
        XCTAssertEqual(broker.connect(b, P.connect("ABCDEFGHIJd1", clean: false), identity: .anonymous, now: 1), refused)
        XCTAssertEqual(
            broker.connect(b, P.connect("ABCDEFGHIJd1", clean: false), identity: .application(id: "app1", products: ["ABCDEFGHIJ"]), now: 1), refused
        )
        XCTAssertEqual(broker.clientId(of: a), "ABCDEFGHIJd1", "the device is still connected")
        _ = broker.connectionLost(a, now: 2)
        _ = broker.publish(P.message("ABCDEFGHIJ/d1/control", "cmd", qos: .atLeastOnce))
        XCTAssertEqual(broker.connect(b, P.connect("ABCDEFGHIJd1", clean: false), identity: .anonymous, now: 3), refused, "offline too")
        let back = broker.connect(a, P.connect("ABCDEFGHIJd1", clean: false), identity: device, now: 4)
        XCTAssertEqual(back.sent(to: a).first, connack(sessionPresent: true))
        XCTAssertEqual(back.publishes(to: a).map(\.text), ["cmd"])

        // Anonymous → application with the same ClientId: the application starts afresh.
        _ = broker.connect(watcher, P.connect("shared", clean: false), identity: .anonymous, now: 5)
        _ = broker.receive(watcher, P.subscribe(1, [("open/#", .atLeastOnce)]), now: 5)
        _ = broker.connectionLost(watcher, now: 6)
        _ = broker.publish(P.message("open/x", "for the anonymous client", qos: .atLeastOnce))
        let heir = broker.connect(b, P.connect("shared", clean: false), identity: .application(id: "app1", products: []), now: 7)
        XCTAssertEqual(heir, [.send(b, connack(sessionPresent: false))])
        // The same application with another product scope is still the same principal.
        _ = broker.connectionLost(b, now: 8)
        XCTAssertEqual(
            broker.connect(b, P.connect("shared", clean: false), identity: .application(id: "app1", products: ["X"]), now: 9).sent(to: b),
            [connack(sessionPresent: true)]
        )
    }
}
