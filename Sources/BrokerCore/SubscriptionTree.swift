public import MQTTCore

/// Subscriptions indexed by topic level, for matching a topic against every filter at once.
///
/// `+` and `#` are children like any other level; matching walks the literal child, the `+` child and
/// the `#` child of each level. Topics starting with `$` are not matched by a leading wildcard
/// (MQTT-4.7.2-1).
public final class SubscriptionTree {
    final class Node {
        var children: [Substring: Node] = [:]
        /// Client id → granted QoS of the subscriptions whose filter ends at this node.
        var subscribers: [String: MQTTQoS] = [:]

        var isEmpty: Bool { children.isEmpty && subscribers.isEmpty }
    }

    private let root = Node()
    public private(set) var count = 0

    public init() {}

    /// Adds or replaces a subscription. Returns true if it is new.
    @discardableResult
    public func insert(filter: String, clientId: String, qos: MQTTQoS) -> Bool {
        var node = root
        for level in filter.split(separator: "/", omittingEmptySubsequences: false) {
            if let child = node.children[level] {
                node = child
            } else {
                let child = Node()
                // Own the key: a Substring of the caller's filter would keep that whole string alive.
                node.children[Substring(String(level))] = child
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
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        var path: [Node] = [root]
        for level in levels {
            guard let child = path[path.count - 1].children[level] else { return false }
            path.append(child)
        }
        guard path[path.count - 1].subscribers.removeValue(forKey: clientId) != nil else { return false }
        count -= 1
        // Prune empty nodes bottom-up.
        for index in stride(from: levels.count, to: 0, by: -1) where path[index].isEmpty {
            path[index - 1].children[levels[index - 1]] = nil
        }
        return true
    }

    /// Every client whose subscriptions match the topic, with the highest granted QoS among its matching
    /// filters (one delivery per client).
    public func subscribers(matching topic: String) -> [String: MQTTQoS] {
        var result: [String: MQTTQoS] = [:]
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        let dollar = topic.utf8.first == UInt8(ascii: "$")
        collect(root, levels[...], isFirst: true, dollar: dollar, into: &result)
        return result
    }

    private func collect(_ node: Node, _ levels: ArraySlice<Substring>, isFirst: Bool, dollar: Bool, into result: inout [String: MQTTQoS]) {
        let wildcardsAllowed = !(isFirst && dollar)
        if wildcardsAllowed, let hash = node.children["#"] {
            merge(hash.subscribers, into: &result)
        }
        guard let level = levels.first else {
            merge(node.subscribers, into: &result)
            return
        }
        let rest = levels.dropFirst()
        if wildcardsAllowed, let plus = node.children["+"] {
            collect(plus, rest, isFirst: false, dollar: dollar, into: &result)
        }
        if let child = node.children[level] {
            collect(child, rest, isFirst: false, dollar: dollar, into: &result)
        }
    }

    private func merge(_ subscribers: [String: MQTTQoS], into result: inout [String: MQTTQoS]) {
        for (clientId, qos) in subscribers {
            if let existing = result[clientId] {
                if qos > existing { result[clientId] = qos }
            } else {
                result[clientId] = qos
            }
        }
    }
}
