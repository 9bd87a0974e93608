import OrderedCollections

/// A JSON object whose members keep their insertion order.
///
/// Equality ignores member order (JSON semantics); compare `serialized()` bytes to check order.
public struct JSONObject: Sendable, Equatable {
    private var storage: OrderedDictionary<String, JSONValue>

    public init() {
        storage = [:]
    }

    /// Members from ordered pairs. A repeated key keeps its first position and takes the last value.
    public init(_ pairs: [(String, JSONValue)]) {
        storage = OrderedDictionary(minimumCapacity: pairs.count)
        for (key, value) in pairs { storage[key] = value }
    }

    /// Member names in insertion order.
    public var keys: [String] { storage.keys.elements }
    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// Members in insertion order.
    public var entries: [(key: String, value: JSONValue)] {
        storage.map { ($0.key, $0.value) }
    }

    /// Reading returns the member; assigning replaces the value in place or appends a new member;
    /// assigning `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get { storage[key] }
        set { storage[key] = newValue }
    }

    public func contains(_ key: String) -> Bool { storage.index(forKey: key) != nil }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        storage.removeValue(forKey: key)
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.storage.count == rhs.storage.count else { return false }
        return lhs.storage.allSatisfy { rhs.storage[$0.key] == $0.value }
    }
}

extension JSONObject: Sequence {
    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        entries.makeIterator()
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}
