/// Entries filed by the second (broker clock) at which something about them may be due, so that a tick looks
/// only at the entries due, not at every entry. The broker keeps two: connections by the second their
/// keep-alive may expire (`KeepAliveSchedule`), and disconnected persistent sessions by the second they may
/// expire (`Broker.expirySchedule`).
///
/// A tick once a second that checked every connection held the broker's lock for a time proportional to
/// the number of connections (about 1.5 ms at 19,000), every second. Here each connection is looked at about
/// once per keep-alive period: when its bucket is due the broker checks the exact deadline from the
/// session's last activity and either closes the connection or files it under its new deadline.
///
/// Entries are ids only; the broker checks the exact deadline when an entry's bucket comes up and drops an
/// entry that no longer applies (a connection closed or taken over, a session resumed or discarded).
struct DeadlineSchedule<Entry> {
    private var buckets: [UInt64: [Entry]] = [:]
    /// Seconds before this one have been taken out; the current second's bucket stays open (entries due
    /// later in the same second are filed there again and looked at by the next tick).
    private var open: UInt64 = 0

    /// Entries filed.
    var count: Int { buckets.values.reduce(0) { $0 + $1.count } }

    /// Files an entry to be looked at once `deadline` (milliseconds) has passed.
    mutating func schedule(_ entry: Entry, after deadline: UInt64) {
        let second = max((deadline &+ 1) / 1000, open)
        buckets[second, default: []].append(entry)
    }

    /// Takes out the entries filed up to the second of `now` (milliseconds).
    mutating func takeDue(now: UInt64) -> [Entry] {
        let current = now / 1000
        defer { open = max(open, current) }
        guard !buckets.isEmpty, current >= open else { return [] }
        var due: [Entry] = []
        if current - open < UInt64(buckets.count) {
            for second in open...current {
                if let entries = buckets.removeValue(forKey: second) { due += entries }
            }
        } else {
            // A long pause between ticks (or the first one): fewer buckets than seconds to step through.
            for second in buckets.keys where second <= current {
                due += buckets.removeValue(forKey: second) ?? []
            }
        }
        return due
    }
}

/// Connections by the second their keep-alive may expire.
typealias KeepAliveSchedule = DeadlineSchedule<ConnectionID>
