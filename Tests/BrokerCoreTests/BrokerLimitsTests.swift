import BrokerCore
import MQTTCore
import NIOCore
import Synchronization
import XCTest

/// Byte budgets (session queue, retained store), session expiry and the per-application session cap,
/// driven with an explicit clock.
final class BrokerLimitsTests: XCTestCase {
    let a = ConnectionID(1)
    let b = ConnectionID(2)
    let c = ConnectionID(3)
    let d = ConnectionID(4)

    func testSessionQueueIsBoundedInBytes() {
        var configuration = BrokerConfiguration()
        configuration.maxQueuedBytes = 1000
        let observer = RecordingObserver()
        let broker = Broker(configuration: configuration, observer: observer)
        _ = broker.connect(a, P.connect("sub", clean: false), identity: .anonymous, now: 0)
        _ = broker.receive(a, P.subscribe(1, [("t", .atLeastOnce)]), now: 0)
        _ = broker.connectionLost(a, now: 1)
        _ = broker.connect(b, P.connect("pub"), identity: .anonymous, now: 1)
        // 1 + 100 bytes each: 9 fit in 1000 bytes (far below the count limit of 1000), 41 are dropped.
        let payload = String(repeating: "x", count: 100)
        for i in 0..<50 {
            _ = broker.receive(b, P.publish("t", payload, qos: .atLeastOnce, id: UInt16(i + 1)), now: 2)
            XCTAssertLessThanOrEqual(broker.queuedBytes(clientId: "sub") ?? 0, 1000)
        }
        XCTAssertEqual(broker.queuedMessages(clientId: "sub"), 9)
        XCTAssertEqual(broker.queuedBytes(clientId: "sub"), 909)
        XCTAssertEqual(broker.droppedMessages(clientId: "sub"), 41)
        XCTAssertEqual(observer.drops["queue_full"], 41)
        // The queue drains on reconnection and its bytes are given back.
        let resumed = broker.connect(c, P.connect("sub", clean: false), identity: .anonymous, now: 3)
        XCTAssertEqual(resumed.publishes(to: c).count, 9)
        XCTAssertEqual(broker.queuedBytes(clientId: "sub"), 0)
    }

    func testRetainedMessagesAreBoundedInTotalBytesAndPerMessage() {
        var configuration = BrokerConfiguration()
        configuration.maxRetainedBytes = 1000
        configuration.maxRetainedMessageBytes = 300
        let observer = RecordingObserver()
        let broker = Broker(configuration: configuration, observer: observer)
        _ = broker.connect(a, P.connect("pub"), identity: .anonymous, now: 0)
        _ = broker.connect(b, P.connect("sub"), identity: .anonymous, now: 0)
        _ = broker.receive(b, P.subscribe(1, [("big", .atMostOnce)]), now: 0)

        // Over the per-message cap: not retained (counted), still delivered to the subscriber of the moment.
        let big = broker.receive(a, P.publish("big", String(repeating: "b", count: 400), retain: true), now: 1)
        XCTAssertEqual(big.publishes(to: b).count, 1)
        XCTAssertEqual(broker.retainedCount, 0)
        XCTAssertEqual(observer.drops["retained_too_large"], 1)

        // 3 + 250 bytes each: 3 fit in 1000 bytes, the other 7 are refused and counted.
        let payload = String(repeating: "r", count: 250)
        for i in 0..<10 {
            _ = broker.receive(a, P.publish("r/\(i)", payload, retain: true), now: 2)
            XCTAssertLessThanOrEqual(broker.retainedBytes, 1000)
        }
        XCTAssertEqual(broker.retainedCount, 3)
        XCTAssertEqual(broker.retainedBytes, 759)
        XCTAssertEqual(observer.drops["retained_store_full"], 7)

        // Replacing a message counts the difference; deleting one gives its bytes back.
        _ = broker.receive(a, P.publish("r/0", "small", retain: true), now: 3)
        XCTAssertEqual(broker.retainedBytes, 759 - 250 + 5)
        _ = broker.receive(a, P.publish("r/1", "", retain: true), now: 4)
        XCTAssertEqual(broker.retainedBytes, 759 - 250 + 5 - 253)
        XCTAssertEqual(broker.retainedCount, 2)
        _ = broker.receive(a, P.publish("r/9", payload, retain: true), now: 5)
        XCTAssertEqual(broker.retainedCount, 3)
    }

    func testPersistentSessionExpiresWithItsQueue() {
        var configuration = BrokerConfiguration()
        configuration.sessionExpirySeconds = 60
        let observer = RecordingObserver()
        let broker = Broker(configuration: configuration, observer: observer)
        _ = broker.connect(a, P.connect("sub", clean: false), identity: .anonymous, now: 0)
        _ = broker.receive(a, P.subscribe(1, [("t", .atLeastOnce)]), now: 0)
        _ = broker.connectionLost(a, now: 1000)
        _ = broker.connect(b, P.connect("pub"), identity: .anonymous, now: 1000)
        for i in 1...3 { _ = broker.receive(b, P.publish("t", "m\(i)", qos: .atLeastOnce, id: UInt16(i)), now: 2000) }

        _ = broker.tick(now: 60_000)
        XCTAssertTrue(broker.hasSession(clientId: "sub"), "kept for 60 s after the disconnection")
        _ = broker.tick(now: 61_001)
        XCTAssertFalse(broker.hasSession(clientId: "sub"))
        XCTAssertEqual(broker.expiredSessions, 1)
        XCTAssertEqual(observer.expired, [3])
        XCTAssertFalse(broker.isSubscribed(clientId: "sub", topic: "t"))
        XCTAssertTrue(broker.receive(b, P.publish("t", "after", qos: .atLeastOnce, id: 9), now: 62_000).publishes(to: a).isEmpty)
        // Coming back later starts a fresh session.
        let again = broker.connect(c, P.connect("sub", clean: false), identity: .anonymous, now: 63_000)
        XCTAssertEqual(again.sent(to: c).first, .connack(MQTTConnAck(sessionPresent: false, returnCode: 0, properties: MQTTProperties())))
    }

    func testResumedSessionExpiresFromItsLastDisconnection() {
        var configuration = BrokerConfiguration()
        configuration.sessionExpirySeconds = 60
        let broker = Broker(configuration: configuration)
        _ = broker.connect(a, P.connect("s", clean: false), identity: .anonymous, now: 0)
        _ = broker.connectionLost(a, now: 0)
        _ = broker.connect(b, P.connect("s", clean: false), identity: .anonymous, now: 30_000)
        _ = broker.tick(now: 61_000)
        XCTAssertTrue(broker.hasSession(clientId: "s"), "connected: never expires")
        _ = broker.connectionLost(b, now: 100_000)
        _ = broker.tick(now: 159_000)
        XCTAssertTrue(broker.hasSession(clientId: "s"))
        _ = broker.tick(now: 160_500)
        XCTAssertFalse(broker.hasSession(clientId: "s"))
    }

    /// A client that disconnects again and again leaves one entry in the expiry schedule, not one per
    /// disconnection; a shorter (MQTT 5) expiry after a longer one still takes effect.
    func testExpiryScheduleHoldsOneEntryPerSession() {
        var configuration = BrokerConfiguration()
        configuration.sessionExpirySeconds = 60
        let broker = Broker(configuration: configuration)
        for i in 0..<100 {
            let connection = ConnectionID(UInt64(10 + i))
            _ = broker.connect(connection, P.connect("s", clean: false), identity: .anonymous, now: UInt64(i) * 100)
            _ = broker.connectionLost(connection, now: UInt64(i) * 100 + 50)
        }
        XCTAssertEqual(broker.expiryScheduleCount, 1)
        _ = broker.tick(now: 60_100)
        XCTAssertTrue(broker.hasSession(clientId: "s"), "refiled under its last disconnection's deadline")
        XCTAssertEqual(broker.expiryScheduleCount, 1)
        _ = broker.tick(now: 69_951)
        XCTAssertFalse(broker.hasSession(clientId: "s"))
        XCTAssertEqual(broker.expiryScheduleCount, 0)

        _ = broker.connect(a, P.connect("v5", clean: false), identity: .anonymous, now: 100_000)
        _ = broker.connectionLost(a, now: 100_000)
        var short = P.connect("v5", clean: false, level: 5)
        short.properties.append(MQTTProperties.Identifier.sessionExpiryInterval, .fourByteInt(5))
        _ = broker.connect(b, short, identity: .anonymous, now: 101_000)
        _ = broker.connectionLost(b, now: 101_000)
        _ = broker.tick(now: 106_500)
        XCTAssertFalse(broker.hasSession(clientId: "v5"))
    }

    func testMQTT5SessionExpiryIntervalIsRespectedAndCapped() {
        var configuration = BrokerConfiguration()
        configuration.sessionExpirySeconds = 60
        let broker = Broker(configuration: configuration)
        func connect5(_ connection: ConnectionID, _ clientId: String, expiry: UInt32?) {
            var packet = P.connect(clientId, clean: false, level: 5)
            if let expiry { packet.properties.append(MQTTProperties.Identifier.sessionExpiryInterval, .fourByteInt(expiry)) }
            _ = broker.connect(connection, packet, identity: .anonymous, now: 0)
            _ = broker.connectionLost(connection, now: 0)
        }
        connect5(a, "none", expiry: nil)
        connect5(b, "ten", expiry: 10)
        connect5(c, "forever", expiry: UInt32.max)
        XCTAssertFalse(broker.hasSession(clientId: "none"), "no Session Expiry Interval: the session ends with the connection")
        _ = broker.tick(now: 11_000)
        XCTAssertFalse(broker.hasSession(clientId: "ten"))
        XCTAssertTrue(broker.hasSession(clientId: "forever"))
        _ = broker.tick(now: 61_000)
        XCTAssertFalse(broker.hasSession(clientId: "forever"), "capped by the setting")
    }

    func testSessionsPerApplicationAreCapped() {
        var configuration = BrokerConfiguration()
        configuration.maxSessionsPerApplication = 2
        configuration.sessionExpirySeconds = 60
        let observer = RecordingObserver()
        let broker = Broker(configuration: configuration, observer: observer)
        let app = ClientIdentity.application(id: "app1", products: [])
        let refused3 = [
            BrokerAction.send(c, .connack(MQTTConnAck(sessionPresent: false, returnCode: 0x03, properties: MQTTProperties()))), .close(c, .connectRefused),
        ]
        XCTAssertEqual(broker.connect(a, P.connect("p", clean: false), identity: app, now: 0).sent(to: a).count, 1)
        XCTAssertEqual(broker.connect(b, P.connect("q"), identity: app, now: 0).sent(to: b).count, 1)
        XCTAssertEqual(broker.sessionCount(application: "app1"), 2)
        XCTAssertEqual(broker.connect(c, P.connect("r"), identity: app, now: 0), refused3)
        XCTAssertEqual(observer.quotaRefusals, 1)
        // MQTT 5: 0x97 quota exceeded.
        XCTAssertEqual(
            broker.connect(c, P.connect("r", level: 5), identity: app, now: 0).sent(to: c),
            [.connack(MQTTConnAck(sessionPresent: false, returnCode: 0x97, properties: MQTTProperties()))]
        )
        // Another application and other clients are not affected.
        XCTAssertEqual(broker.connect(d, P.connect("other"), identity: .application(id: "app2", products: []), now: 0).sent(to: d).count, 1)
        // The persistent session still counts while disconnected; its own client may resume it.
        _ = broker.connectionLost(a, now: 1000)
        XCTAssertEqual(broker.connect(c, P.connect("r"), identity: app, now: 1000), refused3)
        let resumed = broker.connect(a, P.connect("p", clean: false), identity: app, now: 2000)
        XCTAssertEqual(resumed.sent(to: a), [.connack(MQTTConnAck(sessionPresent: true, returnCode: 0, properties: MQTTProperties()))])
        // A clean session's end frees its place; so does an expired persistent session's.
        _ = broker.connectionLost(b, now: 3000)
        XCTAssertEqual(broker.connect(c, P.connect("r"), identity: app, now: 3000).sent(to: c).count, 1)
        _ = broker.connectionLost(a, now: 4000)
        _ = broker.connectionLost(c, now: 4000)
        XCTAssertEqual(broker.sessionCount(application: "app1"), 1)
        XCTAssertEqual(broker.connect(b, P.connect("s1"), identity: app, now: 4000).sent(to: b).count, 1)
        XCTAssertEqual(broker.connect(c, P.connect("s2"), identity: app, now: 4000), refused3)
        _ = broker.tick(now: 65_000)
        XCTAssertEqual(broker.sessionCount(application: "app1"), 1)
        XCTAssertEqual(broker.connect(c, P.connect("s2"), identity: app, now: 65_000).sent(to: c).count, 1)
    }
}

/// Counts what the broker reports to its observer.
final class RecordingObserver: BrokerObserver {
    private struct State {
        var drops: [String: Int] = [:]
        var expired: [Int] = []
        var quotaRefusals = 0
    }

    private let state = Mutex(State())

    var drops: [String: Int] { state.withLock { $0.drops } }
    var expired: [Int] { state.withLock { $0.expired } }
    var quotaRefusals: Int { state.withLock { $0.quotaRefusals } }

    func messageDropped(reason: String) { state.withLock { $0.drops[reason, default: 0] += 1 } }
    func sessionExpired(queuedMessages: Int) { state.withLock { $0.expired.append(queuedMessages) } }
    func sessionQuotaExceeded() { state.withLock { $0.quotaRefusals += 1 } }
}
