import CloudAPI
import Foundation
import XCTest

/// One entry of Tests/Fixtures/vectors.json, read with Foundation (independently of CloudAPI's parser).
struct TestVector {
    let id: String
    let inputs: [String: Any]
    let intermediate: [String: Any]
    let expected: [String: Any]

    func input(_ key: String) -> String? { inputs[key] as? String }
    func intermediateValue(_ key: String) -> String? { intermediate[key] as? String }
    func expectedValue(_ key: String) -> String? { expected[key] as? String }

    var timestamp: Int64 {
        if let number = inputs["timestamp"] as? NSNumber { return number.int64Value }
        if let parameters = inputs["parameters"] as? [String: String], let text = parameters["Timestamp"] {
            return Int64(text)!
        }
        if let body = input("body") {
            for pair in body.split(separator: "&") where pair.hasPrefix("Timestamp=") {
                return Int64(pair.dropFirst("Timestamp=".count))!
            }
        }
        return 0
    }

    var now: Date { Date(timeIntervalSince1970: TimeInterval(timestamp)) }
    var body: [UInt8] { Array((input("body") ?? "").utf8) }

    /// The raw TC3 request the vector describes (every `X-TC-*` input becomes a header).
    func tc3Request(authorization: String? = nil) -> APIHTTPRequest {
        var headers: [(name: String, value: String)] = [
            ("Host", input("hostHeader")!),
            ("Content-Type", input("contentType")!),
            ("X-TC-Timestamp", String(timestamp)),
        ]
        for key in inputs.keys.sorted() where key.hasPrefix("X-TC-") {
            headers.append((key, input(key)!))
        }
        headers.append(("Authorization", authorization ?? expectedValue("authorization")!))
        return APIHTTPRequest(
            method: input("httpMethod")!,
            rawQuery: input("canonicalQueryString") ?? "",
            headers: headers,
            body: body
        )
    }
}

enum TestVectors {
    static let fixtureURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/vectors.json")

    static func all() throws -> [TestVector] {
        let data = try Data(contentsOf: fixtureURL)
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let vectors = try XCTUnwrap(root["vectors"] as? [[String: Any]])
        return vectors.map { entry in
            TestVector(
                id: entry["id"] as? String ?? "",
                inputs: entry["inputs"] as? [String: Any] ?? [:],
                intermediate: entry["intermediate"] as? [String: Any] ?? [:],
                expected: entry["expected"] as? [String: Any] ?? [:]
            )
        }
    }

    static func named(_ id: String) throws -> TestVector {
        try XCTUnwrap(all().first { $0.id == id }, "vector \(id) missing from \(fixtureURL.path)")
    }

    static let secretId = "AKIDlocaltest"
    static let secretKey = "localsecretkey"

    static func lookup(_ id: String) -> String? {
        id == secretId ? secretKey : nil
    }
}

/// Runs a throwing-typed closure and returns the APIError it throws (fails if it does not throw).
func XCTAssertAPIError<T>(
    _ expression: () throws(APIError) -> T,
    code: String,
    messageContains: String? = nil,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    do {
        let value = try expression()
        XCTFail("expected \(code), got success: \(value)", file: file, line: line)
    } catch {
        XCTAssertEqual(error.code, code, "message: \(error.message)", file: file, line: line)
        if let messageContains {
            XCTAssertTrue(
                error.message.contains(messageContains),
                "message `\(error.message)` should contain `\(messageContains)`",
                file: file, line: line
            )
        }
    }
}
