public import MQTTCore

/// Subscriptions indexed by topic level, for matching a topic against every filter at once.
///
/// `+` and `#` are children of a level like literal levels (kept in their own fields); matching walks the
/// literal child, the `+` child and the `#` child of each level. Topics starting with `$` are not matched by a leading wildcard
/// (MQTT-4.7.2-1).
public final class SubscriptionTree {
    final class Node {
        /// Literal levels; `+` and `#` have their own fields, so that matching looks a wildcard child up
        /// without hashing.
        var children: [Substring: Node] = [:]
        var plus: Node?
        var hash: Node?
        /// Client id → granted QoS of the subscriptions whose filter ends at this node.
        var subscribers: [String: MQTTQoS] = [:]

        var isEmpty: Bool { children.isEmpty && plus == nil && hash == nil && subscribers.isEmpty }

        func child(_ level: Substring) -> Node? {
            level == "+" ? plus : level == "#" ? hash : children[level]
        }

        func setChild(_ level: Substring, _ node: Node?) {
            if level == "+" {
                plus = node
            } else if level == "#" {
                hash = node
            } else {
                children[level] = node
            }
        }
    }

    private let root = Node()
    public private(set) var count = 0

    public init() {}

    /// The levels of a topic or filter: split at the byte `/` (U+002F is never part of another UTF-8
    /// sequence), which is much cheaper than splitting the `String` by `Character`.
    /// One allocation: the levels are counted first.
    static func levels(_ text: String) -> [Substring] {
        let slash = UInt8(ascii: "/")
        let utf8 = text.utf8
        var count = 1
        for byte in utf8 where byte == slash { count += 1 }
        var levels: [Substring] = []
        levels.reserveCapacity(count)
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == slash {
                levels.append(text[start..<index])
                start = utf8.index(after: index)
            }
            utf8.formIndex(after: &index)
        }
        levels.append(text[start...])
        return levels
    }

    /// Adds or replaces a subscription. Returns true if it is new.
    @discardableResult
    public func insert(filter: String, clientId: String, qos: MQTTQoS) -> Bool {
        var node = root
        for level in Self.levels(filter) {
            if let child = node.child(level) {
                node = child
            } else {
                let child = Node()
                // Own the key: a Substring of the caller's filter would keep that whole string alive.
                node.setChild(Substring(String(level)), child)
                node = child
            }
        }
        let isNew = node.subscribers.updateValue(qos, forKey: clientId) == nil
        if isNew { count += 1 }
        return isNew
    }

    /// Removes a subscription. Returns true if it existed.
    @discardableResult
    public func remove(filter: String, clientId: String) -> Bool {
        let levels = Self.levels(filter)
        var path: [Node] = [root]
        for level in levels {
            guard let child = path[path.count - 1].child(level) else { return false }
            path.append(child)
        }
        guard path[path.count - 1].subscribers.removeValue(forKey: clientId) != nil else { return false }
        count -= 1
        // Prune empty nodes bottom-up.
        for index in stride(from: levels.count, to: 0, by: -1) where path[index].isEmpty {
            path[index - 1].setChild(levels[index - 1], nil)
        }
        return true
    }

    /// Every client whose subscriptions match the topic, with the highest granted QoS among its matching
    /// filters (one delivery per client).
    public func subscribers(matching topic: String) -> [String: MQTTQoS] {
        var result = Matches()
        let levels = Self.levels(topic)
        let dollar = topic.utf8.first == UInt8(ascii: "$")
        collect(root, levels[...], isFirst: true, dollar: dollar, into: &result)
        return result.subscribers
    }

    /// The subscribers of the matching nodes. Usually one node matches: its dictionary is returned as it is
    /// (shared, not copied); only a second non-empty node starts a merged dictionary.
    struct Matches {
        private var single: [String: MQTTQoS]?
        private var merged: [String: MQTTQoS]?

        var subscribers: [String: MQTTQoS] { merged ?? single ?? [:] }

        mutating func add(_ subscribers: [String: MQTTQoS]) {
            guard !subscribers.isEmpty else { return }
            if merged != nil {
                Self.merge(subscribers, into: &merged!)
            } else if let first = single {
                var combined = first
                Self.merge(subscribers, into: &combined)
                merged = combined
                single = nil
            } else {
                single = subscribers
            }
        }

        /// The higher QoS wins for a client matched through several filters.
        static func merge(_ subscribers: [String: MQTTQoS], into result: inout [String: MQTTQoS]) {
            for (clientId, qos) in subscribers {
                if let existing = result[clientId] {
                    if qos > existing { result[clientId] = qos }
                } else {
                    result[clientId] = qos
                }
            }
        }
    }

    private func collect(_ node: Node, _ levels: ArraySlice<Substring>, isFirst: Bool, dollar: Bool, into result: inout Matches) {
        let wildcardsAllowed = !(isFirst && dollar)
        if wildcardsAllowed, let hash = node.hash {
            result.add(hash.subscribers)
        }
        guard let level = levels.first else {
            result.add(node.subscribers)
            return
        }
        let rest = levels.dropFirst()
        if wildcardsAllowed, let plus = node.plus {
            collect(plus, rest, isFirst: false, dollar: dollar, into: &result)
        }
        if let child = node.children[level] {
            collect(child, rest, isFirst: false, dollar: dollar, into: &result)
        }
    }
}
