import ArgumentParser
import CloudAPI
import Foundation
import JSONCore

/// Plain-text tables for operators; `--json` prints the API response instead.
enum Output {
    static func table(_ headers: [String], _ rows: [[String]]) {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        print(line(headers))
        for row in rows { print(line(row)) }
    }

    static func keyValues(_ pairs: [(String, String)]) {
        let width = pairs.map(\.0.count).max() ?? 0
        for (key, value) in pairs { print(key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
    }

    static func json(_ value: JSONValue) {
        print(value.serializedString())
    }

    static func text(_ value: JSONValue?) -> String {
        guard let value else { return "" }
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return ""
        default: return value.serializedString()
        }
    }

    static func time(_ value: JSONValue?) -> String {
        guard let seconds = value?.int64Value, seconds > 0 else { return "-" }
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

/// Runs an API call and turns its failure into a clear message and a non-zero exit.
func perform(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as APICallError {
        FileHandle.standardError.write(Data("error: \(error.code): \(error.message)\n".utf8))
        throw ExitCode.failure
    }
}
