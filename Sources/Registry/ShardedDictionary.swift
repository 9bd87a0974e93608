/// A dictionary split into 64 dictionaries by the key's hash, so that it grows in small steps.
///
/// A Swift `Dictionary` grows by doubling and rehashing every entry at once. For the registry's maps that
/// was a pause of 60–140 ms inside the actor whenever the device count passed a power of two (65,536,
/// 131,072, …), during which every registration waited. Here each part doubles on its own, so a growth step
/// moves about 1/64 of the entries; the total work is the same, spread out. The price is one more hash of
/// the key per access.
struct ShardedDictionary<Key: Hashable, Value>: ExpressibleByDictionaryLiteral {
    private static var shardCount: Int { 64 }  // 2^6: see shard(of:)
    private var shards: [[Key: Value]]

    init() {
        shards = Array(repeating: [:], count: Self.shardCount)
    }

    init(dictionaryLiteral elements: (Key, Value)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }

    @inline(__always)
    private static func shard(of key: Key) -> Int {
        // The top bits of the hash pick the part; a part's table picks buckets by the low bits of its own
        // (per-table seeded) hash, so the keys of one part still spread over all its buckets.
        Int(truncatingIfNeeded: UInt(bitPattern: key.hashValue) >> (UInt.bitWidth - 6))
    }

    subscript(key: Key) -> Value? {
        get { shards[Self.shard(of: key)][key] }
        set { shards[Self.shard(of: key)][key] = newValue }
    }

    @discardableResult
    mutating func removeValue(forKey key: Key) -> Value? {
        shards[Self.shard(of: key)].removeValue(forKey: key)
    }

    mutating func removeAll() {
        for index in shards.indices { shards[index].removeAll() }
    }

    var count: Int { shards.reduce(0) { $0 + $1.count } }

    var isEmpty: Bool { shards.allSatisfy(\.isEmpty) }

    /// Every value, shard by shard (no particular order).
    var values: some Sequence<Value> { shards.lazy.flatMap(\.values) }
}

extension ShardedDictionary: Sendable where Key: Sendable, Value: Sendable {}
