extension MQTTTopic {
    /// Whether the topic name `topic` matches the (valid) topic filter `filter` (3.1.1 §4.7.1, §4.7.2):
    ///
    /// * `+` matches exactly one level, which may be empty: `sport/+` matches `sport/` but not `sport`;
    /// * `#` matches its parent level and any number of levels below: `sport/#` matches `sport`;
    /// * a topic starting with `$` is not matched by a filter starting with a wildcard (MQTT-4.7.2-1):
    ///   `#` and `+/x` do not match `$SYS/x`, `$SYS/#` does.
    ///
    /// Works on the UTF-8 bytes, without allocating.
    public static func matches(filter: String, topic: String) -> Bool {
        let filterBytes = filter.utf8
        let topicBytes = topic.utf8
        if topicBytes.first == dollar, let first = filterBytes.first,
            first == singleLevelWildcard || first == multiLevelWildcard
        {
            return false
        }
        var filterIndex = filterBytes.startIndex
        var topicIndex = topicBytes.startIndex
        var topicExhausted = false
        while true {
            // At the start of a filter level (and of a topic level unless the topic has no levels left).
            let filterLevelEnd = filterBytes[filterIndex...].firstIndex(of: separator) ?? filterBytes.endIndex
            let filterLevel = filterBytes[filterIndex..<filterLevelEnd]
            if filterLevel.count == 1 && filterLevel.first == multiLevelWildcard {
                return true
            }
            if topicExhausted {
                return false
            }
            let topicLevelEnd = topicBytes[topicIndex...].firstIndex(of: separator) ?? topicBytes.endIndex
            let isSingleLevelWildcard = filterLevel.count == 1 && filterLevel.first == singleLevelWildcard
            if !isSingleLevelWildcard && !filterLevel.elementsEqual(topicBytes[topicIndex..<topicLevelEnd]) {
                return false
            }
            let filterHasMore = filterLevelEnd != filterBytes.endIndex
            let topicHasMore = topicLevelEnd != topicBytes.endIndex
            guard filterHasMore else {
                return !topicHasMore
            }
            filterIndex = filterBytes.index(after: filterLevelEnd)
            if topicHasMore {
                topicIndex = topicBytes.index(after: topicLevelEnd)
            } else {
                topicExhausted = true
            }
        }
    }
}
