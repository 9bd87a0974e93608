import Foundation
import JSONCore

/// The end-of-run report of `iothub-device fleet`, as text for people or one JSON object for scripts.
struct FleetSummary {
    var units: Int
    var concurrency: Int
    var messagesPerUnit: Int
    var qos: Int
    var seconds: Double
    var state: FleetRecorder.State

    /// Units that went through every phase.
    var completed: Int { state.finished - state.failedUnits }

    var messagesPerSecond: Double { stats(.publish).ratePerSecond }

    func stats(_ phase: FleetPhase) -> LatencyStats { state.phases[phase] ?? LatencyStats() }

    /// Failures, most frequent first.
    var failures: [(key: FleetRecorder.FailureKey, value: FleetRecorder.Failures)] {
        state.failures.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key.reason < $1.key.reason }
    }

    private static func rounded(_ value: Double, _ places: Double = 1000) -> Double {
        (value * places).rounded() / places
    }

    var json: JSONValue {
        var phases = JSONObject()
        for phase in FleetPhase.allCases {
            let stats = stats(phase)
            let summary = stats.summary()
            phases[phase.rawValue] = .object([
                "count": .int(Int64(stats.count)),
                "seconds": .double(Self.rounded(stats.wallSeconds)),
                "perSecond": .double(Self.rounded(stats.ratePerSecond, 10)),
                "p50Ms": .double(Self.rounded(summary.p50)),
                "p99Ms": .double(Self.rounded(summary.p99)),
                "maxMs": .double(Self.rounded(summary.max)),
            ])
        }
        let failures: [JSONValue] = failures.map { key, value in
            .object([
                "phase": .string(key.phase.rawValue), "reason": .string(key.reason), "count": .int(Int64(value.count)),
                "example": .string(value.example),
            ])
        }
        return .object([
            "units": .int(Int64(units)),
            "concurrency": .int(Int64(concurrency)),
            "messagesPerUnit": .int(Int64(messagesPerUnit)),
            "qos": .int(Int64(qos)),
            "seconds": .double(Self.rounded(seconds)),
            "registered": .int(Int64(state.registered)),
            "reused": .int(Int64(state.reused)),
            "connected": .int(Int64(state.connected)),
            "messages": .int(Int64(state.messages)),
            "messagesPerSecond": .double(Self.rounded(messagesPerSecond, 10)),
            "completed": .int(Int64(completed)),
            "failed": .int(Int64(state.failedUnits)),
            "phases": .object(phases),
            "failures": .array(failures),
        ])
    }

    var text: String {
        func number(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
        func pad(_ text: String, _ width: Int, right: Bool = true) -> String {
            let fill = String(repeating: " ", count: max(0, width - text.count))
            return right ? fill + text : text + fill
        }
        var lines = [
            "fleet: \(units) unit(s), concurrency \(concurrency), \(messagesPerUnit) message(s) each at QoS \(qos), \(number(seconds, 2)) s",
            pad("phase", 9, right: false) + pad("count", 8) + pad("rate/s", 10) + pad("p50 ms", 10) + pad("p99 ms", 10) + pad("max ms", 10),
        ]
        for phase in FleetPhase.allCases {
            let stats = stats(phase)
            let summary = stats.summary()
            lines.append(
                pad(phase.rawValue, 9, right: false) + pad(String(stats.count), 8) + pad(number(stats.ratePerSecond), 10)
                    + pad(number(summary.p50), 10) + pad(number(summary.p99), 10) + pad(number(summary.max), 10)
            )
        }
        lines.append(
            "registered \(state.registered), reused \(state.reused), connected \(state.connected), "
                + "messages \(state.messages) (\(number(messagesPerSecond))/s), completed \(completed), failed \(state.failedUnits)"
        )
        if !state.failures.isEmpty {
            lines.append("failures by reason:")
            for (key, value) in failures {
                lines.append("  \(pad(key.phase.rawValue, 8, right: false)) \(pad(key.reason, 28, right: false)) \(pad(String(value.count), 6))  e.g. \(value.example)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
