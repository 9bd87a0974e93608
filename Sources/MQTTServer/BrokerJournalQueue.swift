public import BrokerCore
import Synchronization

/// The broker's changes on their way to durable storage (`BrokerChange`): appended under the broker lock
/// without waiting, each append numbered (a ticket); a writer takes everything pending at once, writes it
/// in one transaction and reports the last ticket it covers (`BrokerHost.journalCommitted`), which releases
/// the acknowledgements held for those changes. Batches grow with load: while one is written, the next
/// gathers (group commit).
///
/// Not bounded by a byte budget of its own: what gates an acknowledgement holds the client that sent it
/// (its PUBACK waits, so a QoS 1/2 publisher's in-flight window fills), and what does not (a subscriber's
/// acknowledgements) is small and bounded by the in-flight windows.
public final class BrokerJournalQueue: Sendable {
    private struct State {
        var pending: [BrokerChange] = []
        var lastTicket: UInt64 = 0
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Appends changes; returns the ticket that covers them.
    func submit(_ changes: [BrokerChange]) -> UInt64 {
        let (ticket, waiter): (UInt64, CheckedContinuation<Void, Never>?) = state.withLock { state in
            state.pending += changes
            state.lastTicket += 1
            let waiter = state.waiter
            state.waiter = nil
            return (state.lastTicket, waiter)
        }
        waiter?.resume()
        return ticket
    }

    /// Everything pending and the ticket it covers; waits while nothing is pending. Nil once finished and
    /// empty.
    public func next() async -> (changes: [BrokerChange], through: UInt64)? {
        while true {
            let taken: (changes: [BrokerChange], through: UInt64)?? = state.withLock { state in
                if !state.pending.isEmpty {
                    defer { state.pending = [] }
                    return .some((state.pending, state.lastTicket))
                }
                return state.finished ? .some(nil) : nil
            }
            if let taken { return taken }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.pending.isEmpty || state.finished { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// No more changes come (the broker stopped); `next` returns what is pending, then nil.
    public func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Changes not yet taken by the writer.
    public var pendingCount: Int { state.withLock { $0.pending.count } }
}
