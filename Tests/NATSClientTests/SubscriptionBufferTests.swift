import NIOCore
import Testing

@testable import NATSClient

@Suite struct SubscriptionBufferTests {
    private func message(_ text: String) -> NATSMessage {
        NATSMessage(subject: "s", payload: ByteBuffer(string: text))
    }

    @Test func dropsAndCountsBeyondTheMessageLimit() async throws {
        let buffer = SubscriptionBuffer(limits: .init(maxMessages: 2, maxBytes: 1000))
        #expect(buffer.yield(self.message("a")))
        #expect(buffer.yield(self.message("b")))
        #expect(!buffer.yield(self.message("c")))
        #expect(buffer.droppedCount == 1)
        #expect(try await buffer.next()?.string == "a")
        #expect(buffer.yield(self.message("d")), "consuming makes room")
        #expect(try await buffer.next()?.string == "b")
        #expect(try await buffer.next()?.string == "d")
        #expect(buffer.deliveredCount == 3)
    }

    @Test func dropsAndCountsBeyondTheByteLimit() {
        let buffer = SubscriptionBuffer(limits: .init(maxMessages: 100, maxBytes: 10))
        #expect(buffer.yield(self.message("12345")))
        #expect(buffer.yield(self.message("12345")))
        #expect(!buffer.yield(self.message("1")))
        #expect(buffer.queuedCount == 2)
        #expect(buffer.droppedCount == 1)
    }

    @Test func aWaitingConsumerGetsTheMessageDirectly() async throws {
        let buffer = SubscriptionBuffer(limits: .init(maxMessages: 1, maxBytes: 1))
        async let received = buffer.next()
        // Yield until the consumer is waiting: then even a message over the byte limit is handed over.
        var handedOver = false
        while !handedOver {
            handedOver = buffer.yield(self.message("larger than the limit")) && buffer.queuedCount == 0
            await Task.yield()
        }
        #expect(try await received?.string == "larger than the limit")
    }

    @Test func finishEndsAfterTheQueuedMessages() async throws {
        let buffer = SubscriptionBuffer(limits: .init())
        buffer.yield(self.message("a"))
        buffer.finish()
        #expect(!buffer.yield(self.message("late")), "nothing is queued after the end")
        #expect(try await buffer.next()?.string == "a")
        #expect(try await buffer.next() == nil)
        #expect(try await buffer.next() == nil)
    }

    @Test func finishWithAnErrorThrowsAfterTheQueuedMessages() async throws {
        let buffer = SubscriptionBuffer(limits: .init())
        buffer.yield(self.message("a"))
        buffer.finish(NATSClientError(.reconnectFailed, "gone"))
        #expect(try await buffer.next()?.string == "a")
        await #expect(throws: NATSClientError.self) { try await buffer.next() }
    }

    @Test func cancellingTheConsumerEndsItsIteration() async throws {
        let buffer = SubscriptionBuffer(limits: .init())
        let consumer = Task { try await buffer.next() }
        consumer.cancel()
        #expect(try await consumer.value == nil)
    }
}
