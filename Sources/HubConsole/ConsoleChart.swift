import Foundation

/// A stacked bar chart over time, drawn as inline SVG by the `chart` template: the geometry is computed
/// here and handed to the template as numbers and texts, which it writes escaped (no markup is built in
/// Swift). Colours come from the style sheet by class (the content security policy allows no style
/// attributes). Each bar segment carries its count in `data-count` and a `<title>` (the tooltip and what a
/// screen reader says); the legend carries each series' total over the window in `data-total`.
struct ConsoleChart {
    struct Series {
        /// Machine name (`data-series`): `accepted`, a refusal reason, `messages`.
        var key: String
        /// What the legend says.
        var name: String
        /// Style sheet class of its colour.
        var style: String
    }

    struct Column {
        /// Unix seconds of the bucket's start.
        var start: Int64
        /// Counts by series key.
        var counts: [String: Int]
    }

    static let width = 720.0
    static let height = 200.0
    static let left = 52.0
    static let right = 8.0
    static let top = 22.0
    static let bottom = 24.0

    /// Element id prefix (the `<title>` and `<desc>` ids).
    var id: String
    var title: String
    /// The y axis' unit, e.g. "per minute" or "per second".
    var unit: String
    var series: [Series]
    var columns: [Column]
    /// Bar heights are count ÷ `divisor` (60 shows a per-minute count as an average per second).
    var divisor = 1.0
    /// Label under the column at this index, if any.
    var tick: (Int, Column) -> String? = { _, _ in nil }
    /// A segment's tooltip: column, series, count.
    var describe: (Column, Series, Int) -> String

    var plotWidth: Double { Self.width - Self.left - Self.right }
    var plotHeight: Double { Self.height - Self.top - Self.bottom }

    /// The smallest of 1, 2, 4, 6, 8, 10 × a power of ten at or above `value`, whose half is a whole
    /// number (the axis of counts: 2, 4, 6, 8, 10, 20, 40, …, 100, 200, …).
    static func axisMaximum(_ value: Double) -> Double {
        guard value > 2 else { return 2 }
        let base = pow(10, floor(log10(value)))
        let steps: [Double] = base >= 10 ? [1, 2, 4, 6, 8, 10] : [2, 4, 6, 8, 10]
        for step in steps where step * base >= value - 1e-9 { return step * base }
        return 10 * base
    }

    /// The same for rates (any fraction): 1, 2, 4, 6, 8, 10 × a power of ten.

    static func axisMaximumFraction(_ value: Double) -> Double {
        guard value > 0 else { return 2 }
        if value > 2 { return axisMaximum(value) }
        let base = pow(10, floor(log10(value)))
        for step in [1.0, 2, 4, 6, 8, 10] where step * base >= value - 1e-9 { return step * base }
        return 10 * base
    }

    /// `12`, `0.25`, `1.5`: at most two decimals, none when whole.
    static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func coordinate(_ value: Double) -> String { String(format: "%.1f", value) }

    /// The template's data.
    func view() -> [String: Any] {
        let totals = columns.map { column in series.reduce(0) { $0 + column.counts[$1.key, default: 0] } }
        let highest = Double(totals.max() ?? 0) / divisor
        let maximum = divisor == 1 ? Self.axisMaximum(highest) : Self.axisMaximumFraction(highest)
        let step = plotWidth / Double(max(columns.count, 1))
        let barWidth = max(step - 2, 1)
        let scale = plotHeight / maximum
        var bars: [[String: Any]] = []
        var ticks: [[String: Any]] = []
        for (index, column) in columns.enumerated() {
            let x = Self.left + Double(index) * step
            var base = Self.top + plotHeight
            for item in series {
                let count = column.counts[item.key, default: 0]
                guard count > 0 else { continue }
                let height = Double(count) / divisor * scale
                base -= height
                bars.append([
                    "x": Self.coordinate(x + 1), "y": Self.coordinate(base), "width": Self.coordinate(barWidth), "height": Self.coordinate(height),
                    "style": item.style, "series": item.key, "count": count, "start": Int(column.start), "title": describe(column, item, count),
                ])
            }
            if let label = tick(index, column) {
                ticks.append(["x": Self.coordinate(x), "label": label, "labelY": Self.coordinate(Self.height - 6)])
            }
        }
        let grid = [0.0, 0.5, 1.0].map { fraction -> [String: Any] in
            let y = Self.top + plotHeight * (1 - fraction)
            return ["y": Self.coordinate(y), "labelY": Self.coordinate(y + 4), "label": Self.number(maximum * fraction)]
        }
        let legend = series.map { item -> [String: Any] in
            ["key": item.key, "name": item.name, "style": item.style, "total": columns.reduce(0) { $0 + $1.counts[item.key, default: 0] }]
        }
        let sum = totals.reduce(0, +)
        let parts = legend.compactMap { entry -> String? in
            guard let total = entry["total"] as? Int, total > 0, let name = entry["name"] as? String else { return nil }
            return "\(name) \(total)"
        }
        let summary = sum == 0 ? "Nothing in this period." : "In this period: " + parts.joined(separator: ", ") + "."
        return [
            "id": id, "title": title, "desc": summary, "unit": unit, "empty": sum == 0,
            "width": Self.coordinate(Self.width), "height": Self.coordinate(Self.height),
            "plotLeft": Self.coordinate(Self.left), "plotRight": Self.coordinate(Self.width - Self.right),
            "plotBottom": Self.coordinate(Self.top + plotHeight), "tickBottom": Self.coordinate(Self.top + plotHeight + 4),
            "axisLabelX": Self.coordinate(Self.left - 6),
            "grid": grid, "ticks": ticks, "bars": bars, "legend": legend, "total": sum,
        ]
    }

    /// `10:15` (UTC) of Unix seconds; with seconds, `10:15:30`.
    static func clock(_ seconds: Int64, withSeconds: Bool = false) -> String {
        let day = Int(((seconds % 86_400) + 86_400) % 86_400)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let text = two(day / 3600) + ":" + two(day % 3600 / 60)
        return withSeconds ? text + ":" + two(day % 60) : text
    }
}
