import Foundation
import XCTest

/// The device SDK and the device services are linked into firmware and the hub alike: neither may reach the
/// management API (`CloudAPI`) or any server module, directly or through another target. Read from
/// Package.swift's target declarations, so that a new dependency that breaks the layering fails here.
final class LayeringTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Local targets and the local targets each depends on (string entries of its `dependencies:` list).
    static func localDependencies() throws -> [String: [String]] {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declaration = try NSRegularExpression(pattern: #"\.(?:target|executableTarget|testTarget)\(\s*name:\s*"([^"]+)""#)
        let quoted = try NSRegularExpression(pattern: #""([A-Za-z][A-Za-z0-9-]*)""#)
        let product = try NSRegularExpression(pattern: #"\.product\([^)]*\)"#)
        let matches = declaration.matches(in: text, range: NSRange(text.startIndex..., in: text))
        var graph: [String: [String]] = [:]
        for (index, match) in matches.enumerated() {
            let name = String(text[Range(match.range(at: 1), in: text)!])
            let start = Range(match.range, in: text)!.upperBound
            let end = index + 1 < matches.count ? Range(matches[index + 1].range, in: text)!.lowerBound : text.endIndex
            let body = String(text[start..<end])
            guard let open = body.range(of: "dependencies: [") else {
                graph[name] = []
                continue
            }
            var depth = 1
            var cursor = open.upperBound
            while cursor < body.endIndex, depth > 0 {
                if body[cursor] == "[" { depth += 1 }
                if body[cursor] == "]" { depth -= 1 }
                cursor = body.index(after: cursor)
            }
            // Plain string entries are local targets; `.product(name: "X", package: …)` entries are not.
            let entries = String(body[open.upperBound..<cursor])
            let list = product.stringByReplacingMatches(in: entries, range: NSRange(entries.startIndex..., in: entries), withTemplate: "")
            graph[name] = quoted.matches(in: list, range: NSRange(list.startIndex..., in: list)).map { String(list[Range($0.range(at: 1), in: list)!]) }
        }
        return graph
    }

    static func closure(of target: String, in graph: [String: [String]]) -> Set<String> {
        var seen: Set<String> = []
        var pending = graph[target] ?? []
        while let next = pending.popLast() {
            if seen.insert(next).inserted { pending += graph[next] ?? [] }
        }
        return seen
    }

    func testFirmwareSideModulesDoNotLinkTheManagementAPIOrTheServer() throws {
        let graph = try Self.localDependencies()
        XCTAssertEqual(graph["IoTHubDevice"].map(Set.init), ["DeviceAuth", "MQTTCore", "JSONCore", "DeviceServices"], "parsed from Package.swift")
        XCTAssertTrue(Self.closure(of: "HubServer", in: graph).contains("CloudAPI"), "the parser follows the graph")
        let forbidden: Set<String> = ["CloudAPI", "HubHTTP", "HubServer", "Registry", "RegistrySQLite", "RegistryPostgres", "MQTTServer", "BrokerCore", "HubCA"]
        for target in ["IoTHubDevice", "DeviceServices", "JSONCore", "iothub-device"] {
            XCTAssertNotNil(graph[target], target)
            let reached = Self.closure(of: target, in: graph)
            XCTAssertTrue(reached.isDisjoint(with: forbidden), "\(target) reaches \(reached.intersection(forbidden).sorted())")
        }
    }
}
