import MQTTCore
import XCTest

/// Topic name and filter validation, levels, and the matching table of 3.1.1 §4.7.
final class TopicTests: XCTestCase {
    func testValidNames() {
        for name in ["a", "/", "a/b", "/a", "a/", "sport/tennis/player1", "$SYS/broker", "ä/ö", " ", "a//b"] {
            XCTAssertTrue(MQTTTopic.isValidName(name), name)
        }
        for name in ["", "+", "#", "a/+", "a/#", "a+b", "a#", "a\u{0}b", String(repeating: "x", count: 65_536)] {
            XCTAssertFalse(MQTTTopic.isValidName(name), name.prefix(10).debugDescription)
        }
        XCTAssertTrue(MQTTTopic.isValidName(String(repeating: "x", count: 65_535)))
    }

    func testValidFilters() {
        let valid = [
            "#", "+", "+/+", "/+", "+/", "a/#", "a/+/b", "sport/tennis/#", "sport/+/player1", "+/tennis/#", "$SYS/#",
            "/", "//", "a", "a/b/c", "$share/g/a/#",
        ]
        for filter in valid {
            XCTAssertTrue(MQTTTopic.isValidFilter(filter), filter)
        }
        let invalid = [
            "", "a#", "#a", "a/#/b", "sport/tennis#", "a+", "+a", "a/b+/c", "a/+b", "##", "++", "#/", "a/#/",
            "a\u{0}", String(repeating: "x", count: 65_536),
        ]
        for filter in invalid {
            XCTAssertFalse(MQTTTopic.isValidFilter(filter), filter.prefix(10).debugDescription)
        }
    }

    func testWildcards() {
        XCTAssertTrue(MQTTTopic.hasWildcards("a/+"))
        XCTAssertTrue(MQTTTopic.hasWildcards("#"))
        XCTAssertFalse(MQTTTopic.hasWildcards("a/b"))
    }

    func testLevels() {
        XCTAssertEqual(MQTTTopic.levels("a/b/c"), ["a", "b", "c"])
        XCTAssertEqual(MQTTTopic.levels("/finance"), ["", "finance"])
        XCTAssertEqual(MQTTTopic.levels("a/"), ["a", ""])
        XCTAssertEqual(MQTTTopic.levels("a//b"), ["a", "", "b"])
        XCTAssertEqual(MQTTTopic.levels("/"), ["", ""])
        XCTAssertEqual(MQTTTopic.levels("a"), ["a"])
    }

    /// (filter, topic, matches), mostly the examples of 3.1.1 §4.7.1 and §4.7.2.
    private static let matchingTable: [(String, String, Bool)] = [
        // Exact.
        ("a/b", "a/b", true),
        ("a/b", "a/c", false),
        ("a/b", "a/b/c", false),
        ("a/b/c", "a/b", false),
        ("a", "ab", false),
        ("ab", "a", false),
        // Multi-level wildcard.
        ("sport/tennis/player1/#", "sport/tennis/player1", true),
        ("sport/tennis/player1/#", "sport/tennis/player1/ranking", true),
        ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true),
        ("sport/tennis/player1/#", "sport/tennis/player2", false),
        ("sport/#", "sport", true),
        ("sport/#", "sport/", true),
        ("sport/#", "sports", false),
        ("#", "sport", true),
        ("#", "/", true),
        ("#", "a/b/c", true),
        ("#", "/finance", true),
        // Single-level wildcard.
        ("sport/tennis/+", "sport/tennis/player1", true),
        ("sport/tennis/+", "sport/tennis/player2", true),
        ("sport/tennis/+", "sport/tennis/player1/ranking", false),
        ("sport/+", "sport", false),
        ("sport/+", "sport/", true),
        ("+", "sport", true),
        ("+", "/finance", false),
        ("+/+", "/finance", true),
        ("/+", "/finance", true),
        ("+/tennis/#", "sport/tennis/player1", true),
        ("+/tennis/#", "sport/tennis", true),
        ("+/tennis/#", "sport/football", false),
        ("a/+/c", "a/b/c", true),
        ("a/+/c", "a//c", true),
        ("a/+/c", "a/b/d", false),
        ("+/+/+", "a/b", false),
        ("+/#", "a", true),
        // $ topics (MQTT-4.7.2-1).
        ("#", "$SYS/x", false),
        ("+/x", "$SYS/x", false),
        ("+", "$SYS", false),
        ("+/monitor/Clients", "$SYS/monitor/Clients", false),
        ("$SYS/#", "$SYS/x", true),
        ("$SYS/#", "$SYS", true),
        ("$SYS/monitor/+", "$SYS/monitor/Clients", true),
        ("$sys/operation/+/+", "$sys/operation/ABCDEFGHIJ/dev001", true),
        ("a/#", "a/$b", true),
        // Device topics (device-protocol.md §6).
        ("ABCDEFGHIJ/dev001/data", "ABCDEFGHIJ/dev001/data", true),
        ("ABCDEFGHIJ/+/data", "ABCDEFGHIJ/dev001/data", true),
        ("$ota/update/ABCDEFGHIJ/dev001", "$ota/update/ABCDEFGHIJ/dev001", true),
        ("$ota/update/ABCDEFGHIJ/dev001", "$ota/update/ABCDEFGHIJ/dev002", false),
        // Non-ASCII.
        ("温度/+", "温度/室内", true),
        ("温度/+", "温/室内", false),
    ]

    func testMatchingTable() {
        for (filter, topic, expected) in Self.matchingTable {
            XCTAssertTrue(MQTTTopic.isValidFilter(filter), "filter \(filter)")
            XCTAssertTrue(MQTTTopic.isValidName(topic), "topic \(topic)")
            XCTAssertEqual(MQTTTopic.matches(filter: filter, topic: topic), expected, "\(filter) vs \(topic)")
        }
    }

    /// The byte-wise matcher agrees with a straightforward level-list implementation.
    func testMatchingAgreesWithAReferenceImplementation() {
        var random = SplitMix64(seed: 7)
        let levelChoices = ["a", "b", "", "$x", "$SYS"]
        let filterChoices = ["a", "b", "", "+", "$SYS"]
        for _ in 0..<20_000 {
            let topic = (0..<Int.random(in: 1...4, using: &random)).map { _ in levelChoices.randomElement(using: &random)! }
            var filter = (0..<Int.random(in: 1...4, using: &random)).map { _ in filterChoices.randomElement(using: &random)! }
            if Bool.random(using: &random) { filter.append("#") }
            let topicString = topic.joined(separator: "/")
            let filterString = filter.joined(separator: "/")
            guard MQTTTopic.isValidName(topicString), MQTTTopic.isValidFilter(filterString) else { continue }
            XCTAssertEqual(
                MQTTTopic.matches(filter: filterString, topic: topicString),
                referenceMatch(filter: filterString, topic: topicString),
                "\(filterString) vs \(topicString)"
            )
        }
    }

    private func referenceMatch(filter: String, topic: String) -> Bool {
        let filterLevels = MQTTTopic.levels(filter)
        let topicLevels = MQTTTopic.levels(topic)
        if topic.hasPrefix("$"), filterLevels[0] == "+" || filterLevels[0] == "#" {
            return false
        }
        for (index, level) in filterLevels.enumerated() {
            if level == "#" { return true }
            guard index < topicLevels.count else { return false }
            if level != "+" && level != topicLevels[index] { return false }
        }
        return filterLevels.count == topicLevels.count
    }
}
