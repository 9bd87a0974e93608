import Foundation

/// Renders a flood run as Markdown: the legit load per phase with the targets, the hub's
/// descriptors and memory, and what the flood's requests got back.
enum FloodTable {
    static func render(_ result: BenchResult) -> String {
        guard let flood = result.flood, flood.phases.count == 3 else { return "" }
        let (base, during, after) = (flood.phases[0], flood.phases[1], flood.phases[2])
        var rows: [[String]] = []
        func latency(_ name: String, _ value: (FloodSummary.Phase) -> FloodSummary.Latency, target: Bool) {
            let (a, b, c) = (value(base), value(during), value(after))
            guard a.count + b.count + c.count > 0 else { return }
            for (label, pick) in [("p50", \FloodSummary.Latency.p50), ("p99", \FloodSummary.Latency.p99)] {
                let ratio = a[keyPath: pick] > 0 && b.count > 0 ? b[keyPath: pick] / a[keyPath: pick] : nil
                let isP99 = label == "p99"
                rows.append([
                    "\(name) \(label) ms", format(a[keyPath: pick], 2), format(b[keyPath: pick], 2), format(c[keyPath: pick], 2),
                    ratio.map { format($0, 2) } ?? "–", isP99 && target ? "≤ 2" : "",
                    isP99 && target ? (ratio.map { $0 <= 2 ? "yes" : "**no**" } ?? "**no**") : "",
                ])
            }
        }
        latency("publish → PUBACK", \.publishAck, target: true)
        latency("publish → delivery", \.delivery, target: true)
        latency("registration", \.registration, target: true)
        latency("reconnect CONNACK", \.connect, target: true)
        rows.append([
            "requests (publishes / registrations / reconnects)",
            "\(base.published) / \(base.registration.count) / \(base.connect.count)",
            "\(during.published) / \(during.registration.count) / \(during.connect.count)",
            "\(after.published) / \(after.registration.count) / \(after.connect.count)", "", "", "",
        ])
        rows.append([
            "legit failures", String(base.failureCount), String(during.failureCount), String(after.failureCount), "", "0",
            base.failureCount + during.failureCount + after.failureCount == 0 ? "yes" : "**no**",
        ])
        let mib = { (bytes: Int?) in bytes.map { format(Double($0) / 1_048_576, 1) } ?? "–" }
        let fdBase = flood.descriptorsBaseline
        let back = flood.secondsBackToBaseline
        rows.append([
            "hub descriptors (baseline median / flood peak / end)", fdBase.map(String.init) ?? "–",
            flood.descriptorsPeakFlood.map(String.init) ?? "–", flood.descriptorsEnd.map(String.init) ?? "–", "",
            "end ≤ baseline + \(flood.descriptorSlack)", back == nil ? "**no**" : "yes (after \(format(back!, 1)) s)",
        ])
        rows.append([
            "hub VmRSS MiB (baseline / flood peak / end)", mib(flood.residentBaseline), mib(flood.residentPeakFlood), mib(flood.residentEnd),
            flood.residentBaseline.flatMap { b in flood.residentPeakFlood.map { format(Double($0) / Double(max(b, 1)), 2) } } ?? "–",
            "", "",
        ])
        rows.append(["hub VmHWM MiB (whole run)", "", mib(flood.highWaterMark), "", "", "", ""])
        let shares = (0..<3).map { flood.cpu(phase: $0) }
        let percent = { (value: Double?) in value.map { format($0, 0) + " %" } ?? "–" }
        rows.append(["hub CPU (% of one core)"] + shares.map { percent($0.hub) } + ["", "", ""])
        rows.append(["generator CPU, legit load and flood (% of one core)"] + shares.map { percent($0.generator) } + ["", "", ""])
        rows.append(["machine busy (% of all \(ProcessInfo.processInfo.activeProcessorCount) cores)"] + shares.map { percent($0.machine) } + ["", "", ""])
        var text = table(["legit load", "baseline", "flood", "after", "flood/baseline", "target", "met"], rows, numeric: 1...4)

        var attackRows: [[String]] = []
        for attack in flood.attacks {
            let outcomes = attack.outcomes.sorted { $0.value > $1.value }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            attackRows.append([
                attack.kind, String(attack.attempts), String(format: "%.0f", Double(attack.attempts) / max(flood.floodSeconds, 0.001)),
                outcomes.isEmpty ? "–" : outcomes, attack.medianHeldSeconds.map { format($0, 1) } ?? "",
            ])
        }
        text += "\n\n" + table(["flood (\(flood.floodSources) source addresses)", "requests", "per s", "what the hub did", "median s held"], attackRows, numeric: 1...2)
        let failures = [base, during, after].flatMap { phase in phase.failures.map { "\(phase.name): \($0.key) ×\($0.value)" } }
        if !failures.isEmpty { text += "\n\nLegit failures: " + failures.sorted().joined(separator: "; ") + "." }
        return text
    }

    private static func table(_ header: [String], _ rows: [[String]], numeric: ClosedRange<Int>) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { index, cell in
                let fill = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return numeric.contains(index) ? fill + cell : cell + fill
            }.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.enumerated().map { index, width in
            numeric.contains(index) ? String(repeating: "-", count: width + 1) + ":" : ":" + String(repeating: "-", count: width + 1)
        }.joined(separator: "|") + "|"
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }

    private static func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }
}
