/// The connection's active subscriptions by sid, including the request/reply inbox.
///
/// It survives reconnects: after a new handshake every entry is sent again (with the remaining count of an
/// `UNSUB <sid> <max>`), so the server sees the same sids as before.
struct SubscriptionTable {
    enum Sink {
        /// A user subscription.
        case subscription(SubscriptionBuffer)
        /// The wildcard inbox that receives all request replies.
        case inbox
    }

    struct Entry {
        var subject: String
        var queue: String?
        var sink: Sink
        /// Messages received from the server for this sid (dropped ones included).
        var received: UInt64 = 0
        /// Set by `UNSUB <sid> <max>`: the entry is removed when `received` reaches it.
        var maxMessages: UInt64?

        /// How many messages the server should still deliver, for re-sending `UNSUB <sid> <max>`.
        var remaining: UInt64? {
            self.maxMessages.map { $0 > self.received ? $0 - self.received : 0 }
        }
    }

    private(set) var entries: [UInt64: Entry] = [:]
    private var lastSID: UInt64 = 0

    /// Adds an entry under a new sid (sids are never reused within a connection).
    mutating func add(subject: String, queue: String?, sink: Sink) -> UInt64 {
        self.lastSID += 1
        self.entries[self.lastSID] = Entry(subject: subject, queue: queue, sink: sink)
        return self.lastSID
    }

    @discardableResult
    mutating func remove(_ sid: UInt64) -> Entry? {
        self.entries.removeValue(forKey: sid)
    }

    subscript(sid: UInt64) -> Entry? {
        self.entries[sid]
    }

    /// Sets the auto-unsubscribe limit.
    /// - Returns: `true` if the limit is already reached (the caller removes the entry).
    mutating func setMaxMessages(_ max: UInt64, for sid: UInt64) -> Bool {
        guard var entry = self.entries[sid] else { return false }
        entry.maxMessages = max
        self.entries[sid] = entry
        return entry.received >= max
    }

    /// Counts a message for `sid`.
    /// - Returns: the entry's sink and whether this message was the last one allowed (the entry is then removed),
    ///   or `nil` for an unknown sid (a message that was in flight when the subscription ended).
    mutating func recordMessage(for sid: UInt64) -> (sink: Sink, isLast: Bool)? {
        guard var entry = self.entries[sid] else { return nil }
        entry.received += 1
        if let max = entry.maxMessages, entry.received >= max {
            self.entries.removeValue(forKey: sid)
            return (entry.sink, true)
        }
        self.entries[sid] = entry
        return (entry.sink, false)
    }

    /// Removes and returns every entry, in sid order.
    mutating func removeAll() -> [(sid: UInt64, entry: Entry)] {
        defer { self.entries.removeAll() }
        return self.sorted
    }

    /// Every entry in sid order (the order they were created, which is the order they are re-sent).
    var sorted: [(sid: UInt64, entry: Entry)] {
        self.entries.sorted { $0.key < $1.key }.map { (sid: $0.key, entry: $0.value) }
    }
}
