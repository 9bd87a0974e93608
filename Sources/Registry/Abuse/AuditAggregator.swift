/// Folds floods of refused registrations into counted audit rows.
///
/// Refused attempts are grouped by (source address, reason, endpoint). Within a window of `windowMillis`
/// from a group's first attempt, the first `individualRows` are written as they come; the rest are counted
/// into one row, written when the window ends (`expired`), when the table must make room, or at `drain`;
/// a query of the audit (`flushCounted`, about once a second by the webhook tail) writes the count so far and
/// starts another counted row.
/// So a source refused for the same reason 1,000 times in a window costs `individualRows + 1` rows, whose
/// counts add up to 1,000. The counted row carries the source's address without a port (the ports of a
/// flood differ), the product and device if all its attempts named the same, else "", and no nonce.
///
/// At most `capacity` groups are open; when full, expired groups are written out first, and an attempt
/// that still finds no room is written as its own row.
struct AuditAggregator {
    private struct Key: Hashable {
        var address: String
        var reason: String
        var endpoint: RegistrationEndpoint
    }

    private struct Group {
        var start: Int64
        var seen: Int
        var folded: RegistrationAttempt?
    }

    var windowMillis: Int64 = 10_000
    var individualRows = 5
    var capacity = 10_000
    private var groups: [Key: Group] = [:]
    /// No open group started before this: a full table whose groups cannot have expired yet is not scanned.
    private var oldestStart = Int64.max

    /// The rows to write for a refused attempt now (none while it is counted into a group's row).
    mutating func add(_ attempt: RegistrationAttempt) -> [RegistrationAttempt] {
        guard windowMillis > 0 else { return [attempt] }
        let key = Key(address: AbuseGuard.address(fromSource: attempt.sourceAddress), reason: attempt.reason, endpoint: attempt.endpoint)
        var rows: [RegistrationAttempt] = []
        if let group = groups[key], attempt.time - group.start >= windowMillis {
            groups[key] = nil
            if let folded = group.folded { rows.append(folded) }
        }
        if groups[key] == nil, groups.count >= capacity {
            if attempt.time - oldestStart >= windowMillis { rows += expired(now: attempt.time) }
            guard groups.count < capacity else { return rows + [attempt] }
        }
        if groups[key] == nil { oldestStart = min(oldestStart, attempt.time) }
        var group = groups[key] ?? Group(start: attempt.time, seen: 0, folded: nil)
        group.seen += 1
        if group.seen <= individualRows {
            rows.append(attempt)
        } else if var folded = group.folded {
            folded.count += attempt.count
            folded.time = attempt.time
            if folded.productId != attempt.productId { folded.productId = "" }
            if folded.deviceName != attempt.deviceName { folded.deviceName = "" }
            group.folded = folded
        } else {
            var folded = attempt
            folded.sourceAddress = key.address
            folded.nonce = ""
            folded.timestamp = ""
            folded.detail = "refused attempts from one source, counted"
            group.folded = folded
        }
        groups[key] = group
        return rows
    }

    /// Closes the groups whose window has ended; returns their counted rows.
    mutating func expired(now: Int64) -> [RegistrationAttempt] {
        var rows: [RegistrationAttempt] = []
        var oldest = Int64.max
        for (key, group) in groups {
            if now - group.start >= windowMillis {
                groups[key] = nil
                if let folded = group.folded { rows.append(folded) }
            } else {
                oldest = min(oldest, group.start)
            }
        }
        oldestStart = oldest
        return rows
    }

    /// Writes the counted rows so far without closing their groups (the audit is queried: the answer must
    /// hold every attempt). Later attempts of a group are counted into a new row.
    mutating func flushCounted() -> [RegistrationAttempt] {
        var rows: [RegistrationAttempt] = []
        for (key, group) in groups {
            guard let folded = group.folded else { continue }
            rows.append(folded)
            groups[key]?.folded = nil
        }
        return rows
    }

    /// Closes every group (the hub stops).
    mutating func drain() -> [RegistrationAttempt] {
        let rows = groups.values.compactMap(\.folded)
        groups.removeAll()
        oldestStart = .max
        return rows
    }

    var openGroups: Int { groups.count }
}
