import Synchronization

/// Runs what is submitted in batches: while one batch runs, what arrives waits and goes into the next, up to
/// `maxBatch` at a time. Every submitter gets its own outcome, or the batch's error.
final class RequestBatcher<Item: Sendable, Outcome: Sendable>: Sendable {
    private struct Waiting {
        var item: Item
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var running = false
    }

    private let state = Mutex(State())
    let maxBatch: Int

    init(maxBatch: Int) {
        self.maxBatch = maxBatch
    }

    /// Submits `item`; `run` decides a batch and returns one outcome per item, in order.
    func submit(_ item: Item, run: @escaping @Sendable ([Item]) async throws -> [Outcome]) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLock { state in
                state.waiting.append(Waiting(item: item, continuation: continuation))
                guard !state.running else { return false }
                state.running = true
                return true
            }
            if start { Task { await self.drain(run) } }
        }
    }

    private func drain(_ run: @Sendable ([Item]) async throws -> [Outcome]) async {
        while true {
            let batch: [Waiting] = state.withLock { state in
                guard !state.waiting.isEmpty else {
                    state.running = false
                    return []
                }
                let taken = Array(state.waiting.prefix(maxBatch))
                state.waiting.removeFirst(taken.count)
                return taken
            }
            if batch.isEmpty { return }
            do {
                let outcomes = try await run(batch.map(\.item))
                precondition(outcomes.count == batch.count, "one outcome per item")
                for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(returning: outcome) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
