import Foundation

/// Renders MQTT results as one Markdown table: each scenario's metric for IoTHub and mosquitto side by side,
/// the ratio IoTHub/mosquitto and the target. With several runs of a scenario against one broker the
/// median is shown (idle memory: the first run, see below).
enum MQTTResultTable {
    private struct Metric {
        var name: String
        var value: (BenchResult) -> Double?
        var decimals: Int
        /// `(ratio) -> met?` and its text, if the metric has a target.
        var target: (text: String, met: (Double) -> Bool)?
        /// The row that shows the brokers' CPU per unit (by default the rows with a target).
        var showsCPU: Bool? = nil
    }

    private static func metrics(_ scenario: String) -> [Metric] {
        if scenario == "mqtt connect storm" {
            return [
                Metric(name: "connects/s", value: { $0.perSecond }, decimals: 0, target: ("≥ 1", { $0 >= 1 })),
                Metric(name: "p99 CONNACK ms", value: { $0.p99Millis }, decimals: 1, target: nil),
            ]
        }
        if scenario.hasPrefix("mqtt fixed-rate") {
            // Same offered load for both brokers: the latencies are the comparison; the rates say whether
            // the generator kept the schedule and the broker delivered all of it.
            return [
                Metric(name: "msgs/s sent", value: { $0.achievedPerSecond }, decimals: 0, target: nil, showsCPU: true),
                Metric(name: "msgs/s delivered", value: { $0.perSecond }, decimals: 0, target: nil),
                Metric(name: "p50 delivery ms", value: { $0.p50Millis }, decimals: 2, target: nil),
                Metric(name: "p99 delivery ms", value: { $0.p99Millis }, decimals: 2, target: nil),
                Metric(name: "p999 delivery ms", value: { $0.p999Millis }, decimals: 2, target: nil),
            ]
        }
        if scenario == "mqtt idle memory" {
            return [Metric(name: "bytes/connection", value: { $0.bytesPerConnection }, decimals: 0, target: ("≤ 2", { $0 <= 2 }))]
        }
        return [
            Metric(name: "msgs/s delivered", value: { $0.perSecond }, decimals: 0, target: ("≥ 1.5", { $0 >= 1.5 })),
            Metric(name: "p99 delivery ms", value: { $0.p99Millis }, decimals: 1, target: nil),
        ]
    }

    static func render(_ results: [BenchResult]) -> String {
        var scenarios: [String] = []
        for result in results where !scenarios.contains(result.scenario) { scenarios.append(result.scenario) }
        let header = ["scenario", "metric", "conns", "IoTHub", "mosquitto", "IoTHub/mosquitto", "target", "met", "runs", "broker CPU µs/unit (IoTHub / mosquitto)"]
        var rows: [[String]] = []
        for scenario in scenarios {
            var hub = results.filter { $0.scenario == scenario && $0.setup == "iothub" }
            var mosquitto = results.filter { $0.scenario == scenario && $0.setup == "mosquitto" }
            if scenario == "mqtt idle memory" {
                // Only a broker process's first storm counts: later ones reuse the memory the closed
                // connections of the previous storm left in the allocator.
                hub = Array(hub.prefix(1))
                mosquitto = Array(mosquitto.prefix(1))
            }
            let conns = (hub.first ?? mosquitto.first).map { String($0.connections) } ?? "–"
            for metric in metrics(scenario) {
                let a = median(hub.compactMap(metric.value))
                let b = median(mosquitto.compactMap(metric.value))
                let ratio = (a != nil && b != nil && b! > 0) ? a! / b! : nil
                let met = metric.target.flatMap { target in ratio.map { target.met($0) ? "yes" : "**no**" } } ?? ""
                let cpu = !(metric.showsCPU ?? (metric.target != nil)) ? "" : "\(median(hub.compactMap(\.serverCPUMicros)).map { format($0, 1) } ?? "–") / \(median(mosquitto.compactMap(\.serverCPUMicros)).map { format($0, 1) } ?? "–")"
                let failures = (hub + mosquitto).reduce(0) { $0 + $1.failureCount }
                rows.append([
                    scenario.replacingOccurrences(of: "mqtt ", with: ""), metric.name, conns,
                    a.map { format($0, metric.decimals) } ?? "–", b.map { format($0, metric.decimals) } ?? "–",
                    ratio.map { format($0, 2) } ?? "–", metric.target?.text ?? "", met,
                    "\(hub.count)+\(mosquitto.count)" + (failures > 0 ? " (\(failures) failures)" : ""), cpu,
                ])
            }
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { index, cell in
                let fill = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return (2...5).contains(index) ? fill + cell : cell + fill
            }.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.enumerated().map { index, width in
            (2...5).contains(index) ? String(repeating: "-", count: width + 1) + ":" : ":" + String(repeating: "-", count: width + 1)
        }.joined(separator: "|") + "|"
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n") + floorLine(results)
    }

    /// The reference line for the bare SwiftNIO server (`mqtt-floor-server`, setup "nio-floor"), if it ran.
    private static func floorLine(_ results: [BenchResult]) -> String {
        let storm = results.filter { $0.setup == "nio-floor" && $0.scenario == "mqtt connect storm" }
        let idle = results.first { $0.setup == "nio-floor" && $0.scenario == "mqtt idle memory" }
        guard let rate = median(storm.compactMap(\.perSecond)) else { return "" }
        var parts = ["\(format(rate, 0)) connects/s"]
        if let cpu = median(storm.compactMap(\.serverCPUMicros)) { parts.append("\(format(cpu, 1)) µs CPU/connect") }
        if let bytes = idle?.bytesPerConnection { parts.append("\(format(bytes, 0)) bytes/idle connection") }
        return "\n\nReference, a bare SwiftNIO server (`iothub-bench mqtt-floor-server`: one channel and one handler per connection): "
            + parts.joined(separator: ", ") + "."
    }

    private static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    private static func format(_ value: Double, _ decimals: Int) -> String {
        var text = String(Int((value * pow10(decimals)).rounded()))
        guard decimals > 0 else { return text }
        let negative = text.hasPrefix("-")
        if negative { text.removeFirst() }
        while text.count <= decimals { text = "0" + text }
        text.insert(".", at: text.index(text.endIndex, offsetBy: -decimals))
        return (negative ? "-" : "") + text
    }

    private static func pow10(_ n: Int) -> Double {
        var value = 1.0
        for _ in 0..<n { value *= 10 }
        return value
    }
}
