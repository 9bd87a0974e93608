/// Event counts by label in fixed-width time buckets over a rolling window: `bucketCount` buckets of
/// `bucketMillis` each, the newest being the one the reading time falls in (e.g. 60 one-minute buckets =
/// the last hour, per minute).
///
/// A ring buffer: bucket number `n` (time ÷ width, rounded down) lives in slot `n mod bucketCount`, and a
/// slot remembers the number it holds, so a slot left from an earlier lap is recognised and cleared when it
/// is reused or read. Memory is bounded whatever is recorded: `bucketCount` slots of at most `maxLabels`
/// labels each plus `overflowLabel` (a label that finds its bucket full is counted under that one). A count
/// older than the window it would land in is ignored.
public struct RollingCounts: Sendable, Equatable {
    /// One bucket as read: its start (Unix milliseconds, a multiple of the width), the counts by label
    /// (labels with no count are absent), and their total.
    public struct Bucket: Sendable, Equatable {
        public var start: Int64
        public var counts: [String: Int]

        public init(start: Int64, counts: [String: Int] = [:]) {
            self.start = start
            self.counts = counts
        }

        public var total: Int { counts.values.reduce(0, +) }
        public subscript(label: String) -> Int { counts[label] ?? 0 }
    }

    private struct Slot: Sendable, Equatable {
        /// The bucket number the counts belong to (`Int64.min`: never used).
        var number = Int64.min
        var counts: [String: Int] = [:]
    }

    public let bucketMillis: Int64
    public let bucketCount: Int
    public let maxLabels: Int
    public let overflowLabel: String
    private var slots: [Slot]

    public init(bucketMillis: Int64, bucketCount: Int, maxLabels: Int = 32, overflowLabel: String = "other") {
        precondition(bucketMillis > 0 && bucketCount > 0 && maxLabels > 0, "RollingCounts needs a positive width, count and label limit")
        self.bucketMillis = bucketMillis
        self.bucketCount = bucketCount
        self.maxLabels = maxLabels
        self.overflowLabel = overflowLabel
        self.slots = Array(repeating: Slot(), count: bucketCount)
    }

    /// The bucket number of a time (rounded down, also before 1970).
    func number(of millis: Int64) -> Int64 {
        let (quotient, remainder) = millis.quotientAndRemainder(dividingBy: bucketMillis)
        return remainder < 0 ? quotient - 1 : quotient
    }

    private func slotIndex(_ number: Int64) -> Int {
        let index = number % Int64(bucketCount)
        return Int(index < 0 ? index + Int64(bucketCount) : index)
    }

    /// Adds `count` events of `label` at `millis`. Ignored when the slot already holds a later bucket (the
    /// time is a whole window or more behind what was recorded since) or when `count` is not positive.
    public mutating func add(_ count: Int = 1, label: String, at millis: Int64) {
        guard count > 0 else { return }
        let number = number(of: millis)
        let index = slotIndex(number)
        if slots[index].number > number { return }
        if slots[index].number < number { slots[index] = Slot(number: number, counts: [:]) }
        let key = slots[index].counts[label] != nil || slots[index].counts.count < maxLabels ? label : overflowLabel
        slots[index].counts[key, default: 0] += count
    }

    /// The window ending with the bucket `now` falls in: exactly `bucketCount` buckets, oldest first, a
    /// bucket with nothing recorded (or recorded a lap ago) empty.
    public func buckets(now millis: Int64) -> [Bucket] {
        let newest = number(of: millis)
        return (0..<Int64(bucketCount)).map { offset in
            let number = newest - Int64(bucketCount) + 1 + offset
            let slot = slots[slotIndex(number)]
            return Bucket(start: number * bucketMillis, counts: slot.number == number ? slot.counts : [:])
        }
    }

    /// Totals by label over the window ending at `now`.
    public func totals(now millis: Int64) -> [String: Int] {
        buckets(now: millis).reduce(into: [:]) { totals, bucket in
            for (label, count) in bucket.counts { totals[label, default: 0] += count }
        }
    }
}
