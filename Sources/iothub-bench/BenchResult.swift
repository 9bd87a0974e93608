import Foundation

/// One row of a benchmark table: a scenario measured against one hub setup. Written as one JSON line so
/// that several runs (and later other tools: MQTT scenarios) can be collected into one table.
struct BenchResult: Codable, Sendable {
    /// The hub setup, e.g. `sqlite full`.
    var setup: String
    /// `floor`, `register`, …
    var scenario: String
    var connections: Int
    /// Requests completed inside the measured window.
    var requests: Int
    var seconds: Double
    var perSecond: Double
    var p50Millis: Double
    var p99Millis: Double
    var maxMillis: Double
    /// Failures by code over the whole run, warm-up included.
    var failures: [String: Int]
    var endedBy: String
    /// CPU time of the hub (with --server-pid) and of the generator per request, warm-up included, in µs.
    var serverCPUMicros: Double?
    var generatorCPUMicros: Double?
    /// MQTT idle connections: growth of the broker's VmRSS per connection, and VmRSS before and after (bytes).
    var bytesPerConnection: Double?
    var residentBefore: Int?
    var residentAfter: Int?
    /// Fixed-rate scenarios: the 99.9th percentile, the offered rate and the rate the generator achieved
    /// (messages sent per second inside the measured window).
    var p999Millis: Double?
    var offeredPerSecond: Double?
    var achievedPerSecond: Double?
    /// The flood scenario's whole outcome (one row per flood run).
    var flood: FloodSummary?

    var failureCount: Int { failures.values.reduce(0, +) }

    init(setup: String, scenario: String, connections: Int, merged results: [DriverResult]) {
        self.setup = setup
        self.scenario = scenario
        self.connections = connections
        requests = results.reduce(0) { $0 + $1.completedInWindow }
        // Each driver has its own window; the rates add up.
        perSecond = results.reduce(0.0) { total, result in
            result.windowNanos > 0 ? total + Double(result.completedInWindow) / (Double(result.windowNanos) / 1e9) : total
        }
        seconds = results.map { Double($0.windowNanos) / 1e9 }.max() ?? 0
        var latencies = results.flatMap(\.latencies)
        latencies.sort()
        p50Millis = Self.percentile(latencies, 0.50)
        p99Millis = Self.percentile(latencies, 0.99)
        maxMillis = latencies.last.map { Double($0) / 1e6 } ?? 0
        failures = results.reduce(into: [:]) { merged, result in merged.merge(result.failures, uniquingKeysWith: +) }
        endedBy = Set(results.map(\.endedBy)).sorted().joined(separator: ", ")
    }

    /// Nearest-rank percentile of sorted nanosecond samples, in milliseconds.
    static func percentile(_ sorted: [UInt64], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return Double(sorted[min(max(rank, 1), sorted.count) - 1]) / 1e6
    }

    /// One line for the console.
    var summary: String {
        var line = "\(scenario): \(requests) requests in \(String(format: "%.2f", seconds)) s (ended by \(endedBy)): "
            + "\(String(format: "%.0f", perSecond)) req/s, p50 \(String(format: "%.2f", p50Millis)) ms, "
            + "p99 \(String(format: "%.2f", p99Millis)) ms, max \(String(format: "%.2f", maxMillis)) ms, "
            + "\(failureCount) failure(s)"
        if !failures.isEmpty {
            line += " [" + failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
        }
        if let serverCPUMicros { line += "; hub CPU \(String(format: "%.1f", serverCPUMicros)) µs/req" }
        if let generatorCPUMicros { line += ", generator CPU \(String(format: "%.1f", generatorCPUMicros)) µs/req" }
        if let p999Millis { line += ", p999 \(String(format: "%.2f", p999Millis)) ms" }
        if let offeredPerSecond, let achievedPerSecond {
            line += "; offered \(String(format: "%.0f", offeredPerSecond))/s, sent \(String(format: "%.0f", achievedPerSecond))/s"
        }
        if let bytesPerConnection, let residentBefore, let residentAfter {
            line += "; broker VmRSS \(residentBefore / 1024) → \(residentAfter / 1024) KiB, \(String(format: "%.0f", bytesPerConnection)) bytes/connection"
        }
        return line
    }

    /// Appends the result as one JSON line.
    func append(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(self)
        line.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }

    /// Reads the JSON lines of `path`.
    static func load(_ path: String) throws -> [BenchResult] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").filter { !$0.isEmpty }.map { try decoder.decode(BenchResult.self, from: Data($0.utf8)) }
    }
}
