import BrokerCore
import MQTTCore
import Synchronization
import XCTest

/// Counts the broker's drops by reason.
final class CountingObserver: BrokerObserver, Sendable {
    private let drops = Mutex<[String: Int]>([:])
    func messageDropped(reason: String) { drops.withLock { $0[reason, default: 0] += 1 } }
    func dropped(_ reason: String) -> Int { drops.withLock { $0[reason] ?? 0 } }
}

final class BrokerPublishRateTests: XCTestCase {
    func broker(rate: Double, burst: Int, observer: CountingObserver) -> Broker {
        var configuration = BrokerConfiguration()
        configuration.devicePublishRate = rate
        configuration.devicePublishBurst = burst
        return Broker(configuration: configuration, authorizer: AllowAllAuthorizer(), observer: observer)
    }

    func testADeviceOverItsPublishRateIsAcknowledgedAndDroppedUntilTokensRefill() {
        let observer = CountingObserver()
        let broker = broker(rate: 2, burst: 3, observer: observer)
        let device = ConnectionID(1)
        let watcher = ConnectionID(2)
        _ = broker.connect(device, P.connect("Pdev"), identity: .device(productId: "P", deviceName: "dev"), now: 0)
        _ = broker.connect(watcher, P.connect("W"), identity: .anonymous, now: 0)
        _ = broker.receive(watcher, P.subscribe(1, [("t", .atMostOnce)]), now: 0)
        var delivered = 0
        var acks = 0
        for id in 1...5 {
            let actions = broker.receive(device, P.publish("t", "m\(id)", qos: .atLeastOnce, id: UInt16(id)), now: 0)
            delivered += actions.publishes(to: watcher).count
            acks += actions.sent(to: device).filter { if case .puback = $0 { true } else { false } }.count
        }
        XCTAssertEqual(acks, 5, "every QoS 1 PUBLISH is acknowledged")
        XCTAssertEqual(delivered, 3)
        XCTAssertEqual(observer.dropped("rate_limited"), 2)
        // 500 ms at 2/s: one more token.
        var later = broker.receive(device, P.publish("t", "m6", qos: .atMostOnce), now: 500)
        XCTAssertEqual(later.publishes(to: watcher).count, 1)
        later = broker.receive(device, P.publish("t", "m7", qos: .atMostOnce), now: 500)
        XCTAssertEqual(later.publishes(to: watcher).count, 0)
        XCTAssertEqual(observer.dropped("rate_limited"), 3)
    }

    func testApplicationsAndAnonymousClientsAreNotLimited() {
        let observer = CountingObserver()
        let broker = broker(rate: 1, burst: 1, observer: observer)
        let client = ConnectionID(1)
        let watcher = ConnectionID(2)
        _ = broker.connect(client, P.connect("A"), identity: .anonymous, now: 0)
        _ = broker.connect(watcher, P.connect("W"), identity: .anonymous, now: 0)
        _ = broker.receive(watcher, P.subscribe(1, [("t", .atMostOnce)]), now: 0)
        let delivered = (0..<20).map { broker.receive(client, P.publish("t", "m\($0)"), now: 0).publishes(to: watcher).count }.reduce(0, +)
        XCTAssertEqual(delivered, 20)
        XCTAssertEqual(observer.dropped("rate_limited"), 0)
    }
}
