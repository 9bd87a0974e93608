/// Room-making for the abuse tables (token buckets, failure windows, automatic bans), which are keyed by
/// source address and must stay bounded however many sources a flood brings (also the console's sign-in
/// throttle).
///
/// When a table is full, entries that no longer matter are dropped first; if it is still above three
/// quarters of its capacity, the oldest entries are dropped down to that mark. A full table is therefore
/// scanned at most once per capacity / 4 new keys, not once per new key.
public enum BoundedTable {
    /// Makes room in `table`; returns how many entries that still mattered were dropped.
    @discardableResult
    public static func makeRoom<Value>(
        in table: inout [String: Value], capacity: Int, isStale: (Value) -> Bool, age: (Value) -> Double
    ) -> Int {
        table = table.filter { !isStale($0.value) }
        let mark = capacity * 3 / 4
        guard table.count > mark else { return 0 }
        let excess = table.count - mark
        let oldest = table.sorted { age($0.value) < age($1.value) }.prefix(excess)
        for (key, _) in oldest { table[key] = nil }
        return excess
    }
}
