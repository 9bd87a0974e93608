import BrokerCore
import MQTTCore
import XCTest

final class SubscriptionTreeTests: XCTestCase {
    func testMatchingTable() {
        let tree = SubscriptionTree()
        let filters = ["sport/tennis/#", "sport/+", "sport/+/player1", "#", "+/+", "/+", "$SYS/#", "+/monitor/Clients", "a/b"]
        for (index, filter) in filters.enumerated() { tree.insert(filter: filter, clientId: "c\(index)", qos: .atMostOnce) }
        func matched(_ topic: String) -> Set<String> { Set(tree.subscribers(matching: topic).keys.map { filters[Int($0.dropFirst())!] }) }
        XCTAssertEqual(matched("sport/tennis/player1"), ["sport/tennis/#", "sport/+/player1", "#"])
        XCTAssertEqual(matched("sport/tennis"), ["sport/tennis/#", "sport/+", "#", "+/+"])
        XCTAssertEqual(matched("sport"), ["#"], "sport/+ does not match sport; sport/tennis/# is not a parent match of sport")
        XCTAssertEqual(matched("sport/"), ["sport/+", "#", "+/+"])
        XCTAssertEqual(matched("/finance"), ["#", "+/+", "/+"])
        XCTAssertEqual(matched("$SYS/monitor/Clients"), ["$SYS/#"])
        XCTAssertEqual(matched("a/b"), ["#", "+/+", "a/b"])
        XCTAssertEqual(tree.count, filters.count)
    }

    func testHashMatchesParentLevelAndRemovalPrunes() {
        let tree = SubscriptionTree()
        tree.insert(filter: "a/#", clientId: "x", qos: .atLeastOnce)
        tree.insert(filter: "a/+", clientId: "x", qos: .exactlyOnce)
        XCTAssertEqual(tree.subscribers(matching: "a"), ["x": .atLeastOnce], "MQTT-4.7.1-2: # matches the parent")
        XCTAssertEqual(tree.subscribers(matching: "a/b"), ["x": .exactlyOnce], "one delivery with the highest QoS")
        XCTAssertTrue(tree.remove(filter: "a/+", clientId: "x"))
        XCTAssertFalse(tree.remove(filter: "a/+", clientId: "x"))
        XCTAssertEqual(tree.subscribers(matching: "a/b"), ["x": .atLeastOnce])
        XCTAssertTrue(tree.remove(filter: "a/#", clientId: "x"))
        XCTAssertTrue(tree.subscribers(matching: "a/b").isEmpty)
        XCTAssertEqual(tree.count, 0)
    }
}
