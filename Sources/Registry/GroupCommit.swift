import Logging
import Synchronization

/// The group commit of the registry: mutations queued by the engine are written in batches, one batch at a
/// time, in queue order; whoever needs a mutation durable waits on its ticket.
///
/// The queue lives outside the engine's actor, behind a lock, and the writing loop runs outside the actor
/// too: after each write it takes the next batch and starts writing it straight away, without first
/// queueing for the actor behind every request that wants it. Callers wait on tickets from wherever they
/// run, so an accepted registration goes back to its caller without passing through the actor again.
final class GroupCommitter: Sendable {
    private struct State {
        var pending: [RegistryMutation] = []
        var tickets: [CommitTicket] = []
        var flushing = false
        /// A write failed and the engine has not reloaded yet: nothing is accepted.
        var failed = false
    }

    private let state = Mutex(State())

    /// Queues `mutations`; with `ticket`, the ticket completes once they (and everything queued before) are
    /// durable, or fails. Returns whether the caller must start the writing loop (``run(store:logger:recover:)``).
    /// While a failure is being recovered from, nothing is queued and the ticket fails at once.
    func enqueue(_ mutations: [RegistryMutation], ticket: CommitTicket?) -> Bool {
        let outcome: (start: Bool, refused: Bool) = state.withLock { state in
            guard !state.failed else { return (false, true) }
            state.pending.append(contentsOf: mutations)
            if let ticket { state.tickets.append(ticket) }
            guard !state.flushing, !state.pending.isEmpty || !state.tickets.isEmpty else { return (false, false) }
            state.flushing = true
            return (true, false)
        }
        if outcome.refused { ticket?.complete(RegistryError(.storageFailure, "storage failure")) }
        return outcome.start
    }

    /// Whether anything is queued or being written.
    var isIdle: Bool {
        state.withLock { !$0.flushing && $0.pending.isEmpty }
    }

    /// Writes batches until the queue is empty. On a failed write every waiting ticket fails, the queue is
    /// dropped (later mutations were applied in memory on top of the failed ones) and `recover` runs before
    /// anything is accepted again.
    func run(store: any RegistryStore, logger: Logger, recover: @Sendable () async -> Void) async {
        while true {
            let next: (batch: [RegistryMutation], tickets: [CommitTicket])? = state.withLock { state in
                guard !state.pending.isEmpty || !state.tickets.isEmpty else {
                    state.flushing = false
                    return nil
                }
                defer {
                    state.pending = []
                    state.tickets = []
                }
                return (state.pending, state.tickets)
            }
            guard let next else { return }
            do {
                if !next.batch.isEmpty { try await store.apply(next.batch) }
                for ticket in next.tickets { ticket.complete(nil) }
            } catch {
                let (later, laterBatch) = state.withLock { state in
                    state.failed = true
                    defer {
                        state.pending = []
                        state.tickets = []
                    }
                    return (state.tickets, state.pending)
                }
                let failure = RegistryError(.storageFailure, "storage failure")
                for ticket in next.tickets + later { ticket.complete(failure) }
                // Audit rows are all memory does not hold: losing them leaves memory equal to the store, so
                // the registry stays available (a full disk and a flood of refused requests would otherwise
                // keep it reloading).
                let auditOnly = (next.batch + laterBatch).allSatisfy { if case .appendAudit = $0 { true } else { false } }
                if auditOnly {
                    logger.error(
                        "registry commit failed; audit rows lost",
                        metadata: ["error": "\(error)", "hub.batch_size": "\(next.batch.count + laterBatch.count)"]
                    )
                } else {
                    logger.error(
                        "registry commit failed; reloading state from the store",
                        metadata: ["error": "\(error)", "hub.batch_size": "\(next.batch.count)"]
                    )
                    await recover()
                }
                state.withLock { $0.failed = false }
            }
        }
    }
}

/// Completes once a queued mutation is durable (or its batch failed). Waited on at most once.
final class CommitTicket: Sendable {
    private enum State {
        case pending
        case waiting(@Sendable ((any Error)?) -> Void)
        case done((any Error)?)
    }

    private let state = Mutex(State.pending)

    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            onComplete { error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
            }
        }
    }

    /// Calls `body` with the outcome once the commit is done (on the committing thread, or at once if it is
    /// done already): waiters that are not tasks need no task switch.
    func onComplete(_ body: @escaping @Sendable ((any Error)?) -> Void) {
        let finished: (any Error)?? = state.withLock { state in
            switch state {
            case .pending:
                state = .waiting(body)
                return nil
            case .done(let error):
                return .some(error)
            case .waiting:
                preconditionFailure("a commit ticket is waited on once")
            }
        }
        if let finished { body(finished) }
    }

    func complete(_ error: (any Error)?) {
        let waiter: (@Sendable ((any Error)?) -> Void)? = state.withLock { state in
            defer { state = .done(error) }
            if case .waiting(let body) = state { return body }
            return nil
        }
        waiter?(error)
    }
}
