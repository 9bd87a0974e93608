import Foundation
import XCTest

/// Reads `Tests/Fixtures/vectors.json` (a copy of `shared/spec/vectors.json`).
enum TestVectors {
    static let fileURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // DeviceAuthTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/vectors.json")

    /// Ids of every vector in the file.
    static func allIds() throws -> [String] {
        try allVectors().compactMap { $0["id"] as? String }
    }

    /// The vector with `id`; fails the test if it is missing.
    static func vector(_ id: String, file: StaticString = #filePath, line: UInt = #line) throws -> Vector {
        let match = try allVectors().first { ($0["id"] as? String) == id }
        return Vector(object: try XCTUnwrap(match, "vector \(id) not found", file: file, line: line))
    }

    private static func allVectors() throws -> [[String: Any]] {
        let data = try Data(contentsOf: fileURL)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(root["vectors"] as? [[String: Any]])
    }
}

/// A JSON object of a vector, with typed accessors that fail the test when a field is missing.
struct Vector {
    var object: [String: Any]

    func section(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Vector {
        Vector(object: try XCTUnwrap(object[name] as? [String: Any], "no object \(name)", file: file, line: line))
    }

    func string(_ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try XCTUnwrap(object[key] as? String, "no string \(key)", file: file, line: line)
    }

    func int(_ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        try XCTUnwrap((object[key] as? NSNumber)?.intValue, "no integer \(key)", file: file, line: line)
    }

    /// An integer field as decimal text.
    func decimal(_ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        String(try int(key, file: file, line: line))
    }

    func bytes(_ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        Array(try string(key, file: file, line: line).utf8)
    }

    func array(_ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> [Vector] {
        let items = try XCTUnwrap(object[key] as? [[String: Any]], "no array \(key)", file: file, line: line)
        return items.map(Vector.init(object:))
    }
}

/// Lowercase hex, for comparing with the vectors' `…Hex` fields.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// Bytes of standard Base64 text (Foundation's decoder, independent of the module's).
func base64Bytes(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
    Array(try XCTUnwrap(Data(base64Encoded: text), "not Base64: \(text)", file: file, line: line))
}
