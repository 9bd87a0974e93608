/// Topic names and topic filters (3.1.1 §4.7; MQTT 5 §4.7).
public enum MQTTTopic {
    static let separator = UInt8(ascii: "/")
    static let singleLevelWildcard = UInt8(ascii: "+")
    static let multiLevelWildcard = UInt8(ascii: "#")
    static let dollar = UInt8(ascii: "$")

    /// Whether `topic` is a valid topic name for PUBLISH: at least one character (MQTT-4.7.3-1), at most 65,535
    /// bytes (MQTT-4.7.3-3), no U+0000 (MQTT-4.7.3-2) and no wildcard characters (MQTT-4.7.1-1, MQTT-3.3.2-2).
    public static func isValidName(_ topic: String) -> Bool {
        let utf8 = topic.utf8
        let count = utf8.count
        guard count > 0, count <= Int(UInt16.max) else {
            return false
        }
        for byte in utf8 where byte == singleLevelWildcard || byte == multiLevelWildcard || byte == 0 {
            return false
        }
        return true
    }

    /// Whether `filter` is a valid topic filter for SUBSCRIBE and UNSUBSCRIBE: at least one character
    /// (MQTT-4.7.3-1), at most 65,535 bytes (MQTT-4.7.3-3), no U+0000 (MQTT-4.7.3-2), `+` only as a whole level
    /// (MQTT-4.7.1-3) and `#` only as the whole last level (MQTT-4.7.1-2).
    public static func isValidFilter(_ filter: String) -> Bool {
        let utf8 = filter.utf8
        let count = utf8.count
        guard count > 0, count <= Int(UInt16.max) else {
            return false
        }
        var previous: UInt8 = separator
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            utf8.formIndex(after: &index)
            switch byte {
            case 0:
                return false
            case singleLevelWildcard:
                guard previous == separator, index == utf8.endIndex || utf8[index] == separator else {
                    return false
                }
            case multiLevelWildcard:
                guard previous == separator, index == utf8.endIndex else {
                    return false
                }
            default:
                break
            }
            previous = byte
        }
        return true
    }

    /// Whether `filter` contains a wildcard (`+` or `#`).
    public static func hasWildcards(_ filter: String) -> Bool {
        filter.utf8.contains { $0 == singleLevelWildcard || $0 == multiLevelWildcard }
    }

    /// The levels of a topic name or filter, split at `/`; empty levels are kept (`"/a/"` has three levels).
    public static func levels(_ topic: String) -> [Substring] {
        topic.split(separator: "/", omittingEmptySubsequences: false)
    }
}
