import Foundation
import XCTest

/// Reads `Tests/Fixtures/vectors.json` (a copy of `shared/spec/vectors.json`).
enum TestVectors {
    static let fileURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // MQTTCoreTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/vectors.json")

    /// The vector with `id` as a JSON object.
    static func vector(_ id: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let data = try Data(contentsOf: fileURL)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let vectors = try XCTUnwrap(root["vectors"] as? [[String: Any]])
        let match = vectors.first { ($0["id"] as? String) == id }
        return try XCTUnwrap(match, "vector \(id) not found", file: file, line: line)
    }
}

extension Dictionary where Key == String, Value == Any {
    func section(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try XCTUnwrap(self[name] as? [String: Any], "no object \(name)", file: file, line: line)
    }

    func string(_ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try XCTUnwrap(self[key] as? String, "no string \(key)", file: file, line: line)
    }

    func int(_ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        try XCTUnwrap((self[key] as? NSNumber)?.intValue, "no integer \(key)", file: file, line: line)
    }
}
