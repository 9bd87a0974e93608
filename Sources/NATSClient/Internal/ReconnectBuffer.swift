import DequeModule
import NIOCore

/// Encoded publishes kept while disconnected, up to a byte budget, and sent in order after reconnecting.
struct ReconnectBuffer {
    let capacity: Int
    private(set) var bytes = 0
    private var pending: Deque<ByteBuffer> = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Keeps `buffer` if it fits in the remaining budget.
    /// - Returns: `false` (keeping nothing) if it does not.
    mutating func append(_ buffer: ByteBuffer) -> Bool {
        guard self.bytes + buffer.readableBytes <= self.capacity else { return false }
        self.bytes += buffer.readableBytes
        self.pending.append(buffer)
        return true
    }

    /// Removes and returns everything kept, oldest first.
    mutating func removeAll() -> Deque<ByteBuffer> {
        defer {
            self.pending.removeAll()
            self.bytes = 0
        }
        return self.pending
    }

    var count: Int { self.pending.count }
}
