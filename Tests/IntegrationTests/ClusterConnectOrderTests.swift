@testable import HubServer
import XCTest

/// Which of two connects of one ClientId on two nodes survives (`ClusterConnectOrder`).
final class ClusterConnectOrderTests: XCTestCase {
    func testOfTwoRacingConnectsExactlyTheLaterOneSurvivesOnBothNodes() {
        let start = ContinuousClock.now
        for (stampA, stampB) in [(1_000, 1_003), (1_003, 1_000), (1_000, 1_000)] as [(Int64, Int64)] {
            let a = ClusterConnectOrder(node: "a")
            let b = ClusterConnectOrder(node: "b")
            _ = a.connectedHere("c1", at: stampA, now: start)
            _ = b.connectedHere("c1", at: stampB, now: start)
            // Each node then hears the other's announcement.
            let aCloses = a.yields("c1", toConnectAt: stampB, on: "b", now: start + .milliseconds(5))
            let bCloses = b.yields("c1", toConnectAt: stampA, on: "a", now: start + .milliseconds(5))
            XCTAssertNotEqual(aCloses, bCloses, "stamps \(stampA) / \(stampB): exactly one connection must end")
            XCTAssertEqual(aCloses, stampA < stampB || (stampA == stampB && "a" < "b"))
        }
    }

    func testAConnectionOutsideTheRaceWindowOrUnknownAlwaysYields() {
        let start = ContinuousClock.now
        let a = ClusterConnectOrder(node: "a")
        XCTAssertTrue(a.yields("c1", toConnectAt: 0, on: "b", now: start), "no connection here")
        // A clock far ahead: a stale connection still yields to a newer connect elsewhere once the race is over.
        _ = a.connectedHere("c1", at: 9_999_999, now: start)
        XCTAssertFalse(a.yields("c1", toConnectAt: 1_000, on: "b", now: start + .seconds(1)))
        XCTAssertTrue(a.yields("c1", toConnectAt: 1_000, on: "b", now: start + .seconds(3)))
    }

    func testStampsArePrunedOnceTheirRaceIsOver() {
        let start = ContinuousClock.now
        let order = ClusterConnectOrder(node: "a", pruneAbove: 10)
        for i in 0..<10 { _ = order.connectedHere("c\(i)", at: 1, now: start) }
        _ = order.connectedHere("late", at: 2, now: start + .seconds(3))
        XCTAssertEqual(order.count, 1)
    }

    func testAnnouncementsRoundTripAndMalformedOnesAreRefused() throws {
        let bytes = ClusterConnectOrder.encode(clientId: "PIDdev1", cleanSession: true, millis: 1_765_000_000_123, node: "node-7")
        let decoded = try XCTUnwrap(ClusterConnectOrder.decode(bytes))
        XCTAssertEqual(decoded.clientId, "PIDdev1")
        XCTAssertTrue(decoded.cleanSession)
        XCTAssertEqual(ClusterConnectOrder.decode(ClusterConnectOrder.encode(clientId: "c", cleanSession: false, millis: 1, node: "n"))?.cleanSession, false)
        XCTAssertEqual(decoded.millis, 1_765_000_000_123)
        XCTAssertEqual(decoded.node, "node-7")
        XCTAssertNil(ClusterConnectOrder.decode(Array("PIDdev1".utf8)), "not version 1")
        for length in 0..<(12 + 6) { XCTAssertNil(ClusterConnectOrder.decode(Array(bytes.prefix(length))), "truncated to \(length)") }
    }
}
