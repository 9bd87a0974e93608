/// The messages of one subscription, as an `AsyncSequence`.
///
/// Messages wait in a bounded buffer (``Limits``) until the consumer asks for them; when it is full, new messages
/// are dropped and counted in ``droppedCount`` (a slow consumer). The sequence ends after
/// ``unsubscribe(after:)`` (once the buffered messages are consumed), after ``NATSConnection/drain()`` or
/// ``NATSConnection/close()``, and throws if the connection gives up reconnecting. One task at a time may iterate.
/// A cancelled consumer's iteration ends (`nil`) without unsubscribing.
public struct NATSSubscription: AsyncSequence, Sendable {
    public typealias Element = NATSMessage

    /// The per-subscription buffer bounds.
    public struct Limits: Hashable, Sendable {
        /// Messages held before new ones are dropped. Default: 65 536.
        public var maxMessages: Int
        /// Payload (plus header) bytes held before new messages are dropped. Default: 64 MiB.
        public var maxBytes: Int

        public init(maxMessages: Int = 65_536, maxBytes: Int = 64 * 1024 * 1024) {
            self.maxMessages = maxMessages
            self.maxBytes = maxBytes
        }
    }

    /// The subscription id on the wire.
    public let sid: UInt64
    /// The subject filter, possibly with wildcards.
    public let subject: String
    /// The queue group, if any.
    public let queue: String?
    let buffer: SubscriptionBuffer
    let connection: NATSConnection

    /// Messages dropped so far because the consumer did not keep up.
    public var droppedCount: UInt64 { self.buffer.droppedCount }
    /// Messages handed to the consumer so far.
    public var deliveredCount: UInt64 { self.buffer.deliveredCount }
    /// Messages currently waiting in the buffer.
    public var pendingCount: Int { self.buffer.queuedCount }

    /// Unsubscribes now (`nil`), or once `after` messages in total have been received. Buffered messages stay
    /// readable; then the sequence ends.
    public func unsubscribe(after maxMessages: Int? = nil) async throws {
        try await self.connection.unsubscribe(self, after: maxMessages)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: SubscriptionBuffer

        public mutating func next() async throws -> NATSMessage? {
            try await self.buffer.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(buffer: self.buffer)
    }
}
