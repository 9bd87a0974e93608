/// Renders results as one Markdown table (pasteable into BENCHMARKS.md). Every row after a setup's
/// `floor` row shows its rate as a share of that floor.
enum ResultTable {
    static func render(_ results: [BenchResult]) -> String {
        let header = ["setup", "scenario", "conns", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "failures", "% of floor", "hub CPU µs/req"]
        var rows: [[String]] = []
        var floors: [String: Double] = [:]
        for result in results {
            if result.scenario == "floor" { floors[result.setup] = result.perSecond }
            let share: String
            if result.scenario != "floor", let floor = floors[result.setup], floor > 0 {
                share = format(100 * result.perSecond / floor, 1) + " %"
            } else {
                share = result.scenario == "floor" ? "100 %" : "–"
            }
            rows.append([
                result.setup, result.scenario, String(result.connections), String(result.requests),
                format(result.perSecond, 0), format(result.p50Millis, 2), format(result.p99Millis, 2),
                format(result.maxMillis, 1), String(result.failureCount), share,
                result.serverCPUMicros.map { format($0, 1) } ?? "–",
            ])
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { index, cell in pad(cell, widths[index], right: index >= 2) }.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.enumerated().map { index, width in
            index >= 2 ? String(repeating: "-", count: width + 1) + ":" : ":" + String(repeating: "-", count: width + 1)
        }.joined(separator: "|") + "|"
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int, right: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    private static func format(_ value: Double, _ decimals: Int) -> String {
        var scaled = value
        for _ in 0..<decimals { scaled *= 10 }
        let rounded = Int(scaled.rounded())
        guard decimals > 0 else { return String(rounded) }
        var divisor = 1
        for _ in 0..<decimals { divisor *= 10 }
        let fraction = String(abs(rounded) % divisor)
        let sign = rounded < 0 ? "-" : ""
        return sign + String(abs(rounded) / divisor) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
