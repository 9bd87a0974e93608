import Foundation
import JSONCore
import XCTest

@testable import HubConsole

/// The overview's charts on their own: axis scale, bar geometry, legend totals, reasons folded beyond the
/// palette, and the rendered SVG (escaped, no style attributes).
final class ConsoleChartTests: XCTestCase {
    func testAxisMaximumIsARoundNumberAtOrAboveTheHighestBar() {
        XCTAssertEqual(ConsoleChart.axisMaximum(0), 2)
        XCTAssertEqual(ConsoleChart.axisMaximum(1), 2)
        XCTAssertEqual(ConsoleChart.axisMaximum(3), 4)
        XCTAssertEqual(ConsoleChart.axisMaximum(11), 20)
        XCTAssertEqual(ConsoleChart.axisMaximum(57), 60)
        XCTAssertEqual(ConsoleChart.axisMaximum(100), 100)
        XCTAssertEqual(ConsoleChart.axisMaximum(1001), 2000)
        XCTAssertEqual(ConsoleChart.axisMaximumFraction(0.05), 0.06, accuracy: 1e-12)
        XCTAssertEqual(ConsoleChart.axisMaximumFraction(0.5), 0.6, accuracy: 1e-12)
        XCTAssertEqual(ConsoleChart.axisMaximumFraction(1), 1)
        XCTAssertEqual(ConsoleChart.number(12), "12")
        XCTAssertEqual(ConsoleChart.number(0.25), "0.25")
        XCTAssertEqual(ConsoleChart.number(1.5), "1.5")
        XCTAssertEqual(ConsoleChart.number(1.0 / 60), "0.02")
        XCTAssertEqual(ConsoleChart.clock(1_796_637_600 + 15 * 60 + 7), "10:15")
        XCTAssertEqual(ConsoleChart.clock(1_796_637_600 + 15 * 60 + 7, withSeconds: true), "10:15:07")
    }

    func testBarsStackAndScaleToThePlot() throws {
        let series = [ConsoleChart.Series(key: "a", name: "A", style: "s-ok"), ConsoleChart.Series(key: "b", name: "B", style: "s-r0")]
        let chart = ConsoleChart(
            id: "c", title: "T", unit: "per minute", series: series,
            columns: [.init(start: 0, counts: ["a": 1, "b": 3]), .init(start: 60, counts: [:]), .init(start: 120, counts: ["a": 2])],
            describe: { _, series, count in "\(series.name) \(count)" }
        )
        let view = chart.view()
        let bars = try XCTUnwrap(view["bars"] as? [[String: Any]])
        XCTAssertEqual(bars.map { $0["series"] as? String }, ["a", "b", "a"], "bottom to top, empty series left out")
        XCTAssertEqual(bars.map { $0["count"] as? Int }, [1, 3, 2])
        // The highest bar (4) on an axis to 4: the stack of the first column reaches the top of the plot.
        let plotBottom = ConsoleChart.top + chart.plotHeight
        let heights = bars.map { Double($0["height"] as? String ?? "") ?? -1 }
        XCTAssertEqual(heights[0] + heights[1], chart.plotHeight, accuracy: 0.11)
        XCTAssertEqual(Double(bars[1]["y"] as? String ?? ""), ConsoleChart.top)
        XCTAssertEqual(Double(bars[0]["y"] as? String ?? "") ?? 0, plotBottom - heights[0], accuracy: 0.11)
        XCTAssertEqual((view["grid"] as? [[String: Any]])?.map { $0["label"] as? String }, ["0", "2", "4"])
        let legend = try XCTUnwrap(view["legend"] as? [[String: Any]])
        XCTAssertEqual(legend.map { $0["total"] as? Int }, [3, 3])
        XCTAssertEqual(view["desc"] as? String, "In this period: A 3, B 3.")
        XCTAssertEqual(view["total"] as? Int, 6)
    }

    func testRefusalReasonsBeyondThePaletteAreFoldedAndTheRenderingIsEscaped() throws {
        // Seven reasons: the five most frequent keep their colour, the other two are "other reasons".
        let reasons = (1...7).map { (reason: "reason_\($0)", count: 8 - $0) }
        let minute: JSONValue = [
            "StartTime": .int(1_796_637_600), "Accepted": .int(4),
            "RefusedByReason": .array(reasons.map { ["Reason": .string($0.reason), "Count": .int(Int64($0.count))] }),
        ]
        let chart = Console.registrationChart([minute])
        XCTAssertEqual(
            chart.series.map(\.key),
            ["accepted", "refused:reason_1", "refused:reason_2", "refused:reason_3", "refused:reason_4", "refused:reason_5", "refused:other"]
        )
        XCTAssertEqual(chart.columns.first?.counts["refused:other"], 2 + 1)
        XCTAssertEqual(Set(chart.series.map(\.style)).count, 7, "a colour each")

        let answer: JSONValue = [
            "OnlineDevices": .int(3),
            "OnlineDevicesByProduct": .array([["ProductId": "P1", "ProductName": "<script>x</script>", "Online": .int(3)]]),
            "Registrations": .array([minute]),
        ]
        let html = try ConsolePages().fragment("overview", Console.overviewView(answer))
        XCTAssertTrue(html.contains("&lt;script&gt;x&lt;/script&gt;"), html)
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertFalse(html.contains("style="), "the content security policy allows no style attribute")
        XCTAssertTrue(html.contains(#"<span class="stat-value" id="online-total">3</span>"#), html)
        XCTAssertTrue(html.contains(#"<li data-series="refused:other" data-total="3">"#), html)
        XCTAssertTrue(html.contains(#"data-series="accepted" data-count="4" data-start="1796637600"><title>10:00 UTC: 4 accepted</title>"#), html)
    }
}
