import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore

/// The overview (the console's home): devices online now, registrations per minute by refusal reason and
/// MQTT messages received, from the hub action `DescribeHubStatistics`, drawn as inline SVG charts.
extension Console {
    /// Refusal reasons shown as series of their own; the rest are added up as "other reasons".
    static let chartedReasons = 6
    /// Products shown in the online chart (the most connected first).
    static let chartedProducts = 10

    func overviewPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            switch await perform("DescribeHubStatistics", [:]) {
            case .success(let answer):
                return pages.render("overview", title: "Overview", data: Self.overviewView(answer), visit: visit)
            case .failure(let failure):
                return pages.message(status: Self.status(of: failure), title: "Overview", message: failure.message, back: nil, visit: visit)
            }
        }
    }

    static func overviewView(_ answer: JSONValue) -> [String: Any] {
        let minutes = answer["Registrations"]?.arrayValue ?? []
        let seconds = (answer["MessagesInPerSecond"]?.arrayValue ?? []).map(countColumn)
        let messageMinutes = (answer["MessagesInPerMinute"]?.arrayValue ?? []).map(countColumn)
        let registrations = registrationChart(minutes)
        let acceptedHour = minutes.reduce(0) { $0 + ($1["Accepted"]?.intValue ?? 0) }
        let refusedHour = minutes.reduce(0) { $0 + ($1["Refused"]?.intValue ?? 0) }
        let lastMinute = seconds.reduce(0) { $0 + $1.counts["messages", default: 0] }
        let messageSeries = [ConsoleChart.Series(key: "messages", name: "Messages received", style: "s-msg")]
        let perSecond = ConsoleChart(
            id: "chart-messages-seconds", title: "MQTT messages received per second, last minute (UTC)", unit: "per second",
            series: messageSeries, columns: seconds,
            tick: { index, column in index % 15 == 0 ? ConsoleChart.clock(column.start, withSeconds: true) : nil },
            describe: { column, _, count in "\(ConsoleChart.clock(column.start, withSeconds: true)) UTC: \(count) message(s)" }
        )
        var perMinute = ConsoleChart(
            id: "chart-messages-minutes", title: "MQTT messages received per second, average of each minute, last hour (UTC)",
            unit: "per second", series: messageSeries, columns: messageMinutes,
            tick: { index, column in index % 10 == 0 ? ConsoleChart.clock(column.start) : nil },
            describe: { column, _, count in
                "\(ConsoleChart.clock(column.start)) UTC: \(count) message(s), \(ConsoleChart.number(Double(count) / 60)) per second"
            }
        )
        perMinute.divisor = 60
        var data: [String: Any] = [
            "onlineTotal": answer["OnlineDevices"]?.intValue ?? 0,
            "acceptedHour": acceptedHour, "refusedHour": refusedHour,
            "messagesRate": ConsoleChart.number(Double(lastMinute) / 60),
            "registrations": registrations.view(), "messagesSeconds": perSecond.view(), "messagesMinutes": perMinute.view(),
        ]
        let products = answer["OnlineDevicesByProduct"]?.arrayValue ?? []
        if !products.isEmpty { data["online"] = onlineChart(Array(products.prefix(chartedProducts))) }
        if products.count > chartedProducts { data["moreProducts"] = products.count - chartedProducts }
        return data
    }

    static func countColumn(_ bucket: JSONValue) -> ConsoleChart.Column {
        ConsoleChart.Column(start: Int64(bucket["StartTime"]?.intValue ?? 0), counts: ["messages": bucket["Count"]?.intValue ?? 0])
    }

    /// Accepted at the bottom of each bar, then the refusal reasons by their hour's total (the most
    /// frequent first; beyond `chartedReasons` they are added up as "other reasons").
    static func registrationChart(_ minutes: [JSONValue]) -> ConsoleChart {
        var totals: [String: Int] = [:]
        for minute in minutes {
            for entry in minute["RefusedByReason"]?.arrayValue ?? [] {
                totals[entry["Reason"]?.stringValue ?? "", default: 0] += entry["Count"]?.intValue ?? 0
            }
        }
        let ranked = totals.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map(\.key)
        let shown = Array(ranked.prefix(ranked.count > chartedReasons ? chartedReasons - 1 : chartedReasons))
        let folded = Set(ranked.dropFirst(shown.count))
        var series = [ConsoleChart.Series(key: "accepted", name: "accepted", style: "s-ok")]
        for (index, reason) in shown.enumerated() {
            series.append(ConsoleChart.Series(key: "refused:" + reason, name: "refused: " + reason, style: "s-r\(index)"))
        }
        if !folded.isEmpty { series.append(ConsoleChart.Series(key: "refused:other", name: "refused: other reasons", style: "s-other")) }
        let columns = minutes.map { minute -> ConsoleChart.Column in
            var counts = ["accepted": minute["Accepted"]?.intValue ?? 0]
            for entry in minute["RefusedByReason"]?.arrayValue ?? [] {
                let reason = entry["Reason"]?.stringValue ?? ""
                counts[folded.contains(reason) ? "refused:other" : "refused:" + reason, default: 0] += entry["Count"]?.intValue ?? 0
            }
            return ConsoleChart.Column(start: Int64(minute["StartTime"]?.intValue ?? 0), counts: counts)
        }
        return ConsoleChart(
            id: "chart-registrations", title: "Registrations per minute, last hour (UTC), accepted and refused by reason", unit: "per minute",
            series: series, columns: columns,
            tick: { index, column in index % 10 == 0 ? ConsoleChart.clock(column.start) : nil },
            describe: { column, series, count in "\(ConsoleChart.clock(column.start)) UTC: \(count) \(series.name)" }
        )
    }

    /// Horizontal bars, one per product (geometry for the `online-chart` template).
    static func onlineChart(_ products: [JSONValue]) -> [String: Any] {
        let rowHeight = 26.0
        let labelWidth = 210.0
        let barSpace = ConsoleChart.width - labelWidth - 60
        let highest = Double(products.map { $0["Online"]?.intValue ?? 0 }.max() ?? 1)
        let rows = products.enumerated().map { index, product -> [String: Any] in
            let count = product["Online"]?.intValue ?? 0
            let id = product["ProductId"]?.stringValue ?? ""
            var name = product["ProductName"]?.stringValue ?? ""
            if name.isEmpty { name = id }
            if name.count > 28 { name = String(name.prefix(27)) + "…" }
            let y = 4 + Double(index) * rowHeight
            let width = max(barSpace * Double(count) / max(highest, 1), 2)
            return [
                "id": id, "name": name, "count": count, "y": ConsoleChart.coordinate(y), "textY": ConsoleChart.coordinate(y + 14),
                "width": ConsoleChart.coordinate(width), "valueX": ConsoleChart.coordinate(labelWidth + width + 6),
            ]
        }
        let summary = products.map { "\($0["ProductName"]?.stringValue ?? ""): \($0["Online"]?.intValue ?? 0)" }.joined(separator: ", ")
        return [
            "rows": rows, "height": ConsoleChart.coordinate(8 + Double(products.count) * rowHeight), "width": ConsoleChart.coordinate(ConsoleChart.width),
            "labelX": ConsoleChart.coordinate(labelWidth - 8), "barX": ConsoleChart.coordinate(labelWidth), "desc": "Devices online now: " + summary + ".",
        ]
    }
}
