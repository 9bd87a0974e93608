import Foundation

/// The `"2006-01-02 15:04:05"` times of the resource actions (cloud-api.md §7.8), in UTC.
enum ResourceTime {
    private static func formatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter
    }

    static func text(millis: Int64) -> String {
        formatter().string(from: Date(timeIntervalSince1970: TimeInterval(millis / 1000)))
    }

    /// Unix ms of a time text; nil when it is not one.
    static func millis(_ text: String) -> Int64? {
        formatter().date(from: text.trimmingCharacters(in: .whitespaces)).map { Int64($0.timeIntervalSince1970) * 1000 }
    }
}
