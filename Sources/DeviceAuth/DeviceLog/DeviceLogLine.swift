/// One uploaded log entry, split as the hub shows it (device-protocol.md §7.5.3, `SDKLogItem`):
/// `LVL|YYYY-MM-DD HH:MM:SS|file.c|function(line): text` → level `LVL`, date-time text, content = the rest.
public struct DeviceLogLine: Sendable, Hashable {
    /// The levels the C and Java SDKs write.
    public static let levels: Set<String> = ["ERR", "WRN", "INF", "DBG"]

    /// `ERR`, `WRN`, `INF`, `DBG`; empty when the entry does not start with one.
    public var level: String
    /// The entry's own time text (the device's clock, not checked); empty when the entry has no level.
    public var dateTime: String
    /// The rest of the entry; the whole entry when it does not start with a level.
    public var content: String

    public init(level: String, dateTime: String, content: String) {
        self.level = level
        self.dateTime = dateTime
        self.content = content
    }

    /// Splits an entry at its first two `|`. A trailing CR/LF is dropped first.
    public init(parsing entry: String) {
        var text = Substring(entry)
        while let last = text.unicodeScalars.last, last == "\n" || last == "\r" {
            text = Substring(text.unicodeScalars.dropLast())
        }
        let parts = text.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 3, Self.levels.contains(String(parts[0])) {
            self.init(level: String(parts[0]), dateTime: String(parts[1]), content: String(parts[2]))
        } else {
            self.init(level: "", dateTime: "", content: String(text))
        }
    }

    /// The entries of a text: pieces between `\n\f` terminators, empty pieces dropped (bytes decoded as
    /// UTF-8, invalid sequences replaced).
    public static func split(_ bytes: some Collection<UInt8>) -> [String] {
        let bytes = Array(bytes)
        var entries: [String] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A, index + 1 < bytes.count, bytes[index + 1] == 0x0C {
                if index > start { entries.append(String(decoding: bytes[start..<index], as: UTF8.self)) }
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        if start < bytes.count { entries.append(String(decoding: bytes[start...], as: UTF8.self)) }
        return entries
    }
}
