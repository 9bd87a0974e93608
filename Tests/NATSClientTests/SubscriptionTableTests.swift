import NIOCore
import Testing

@testable import NATSClient

@Suite struct SubscriptionTableTests {
    @Test func sidsAreNeverReused() {
        var table = SubscriptionTable()
        let first = table.add(subject: "a", queue: nil, sink: .inbox)
        table.remove(first)
        let second = table.add(subject: "a", queue: nil, sink: .inbox)
        #expect(first == 1)
        #expect(second == 2)
        #expect(table[first] == nil)
    }

    @Test func maxMessagesRemovesTheEntryOnTheLastOne() {
        var table = SubscriptionTable()
        let sid = table.add(subject: "a", queue: "q", sink: .inbox)
        let first = table.recordMessage(for: sid)
        #expect(first?.isLast == false)
        let reached = table.setMaxMessages(3, for: sid)
        #expect(!reached)
        #expect(table[sid]?.remaining == 2, "re-sent as UNSUB <sid> 2 after a reconnect")
        let second = table.recordMessage(for: sid)
        let third = table.recordMessage(for: sid)
        #expect(second?.isLast == false)
        #expect(third?.isLast == true)
        #expect(table[sid] == nil)
        let late = table.recordMessage(for: sid)
        #expect(late == nil, "late messages are ignored")
    }

    @Test func maxAlreadyReached() {
        var table = SubscriptionTable()
        let sid = table.add(subject: "a", queue: nil, sink: .inbox)
        _ = table.recordMessage(for: sid)
        _ = table.recordMessage(for: sid)
        let reached = table.setMaxMessages(2, for: sid)
        #expect(reached)
    }
}
