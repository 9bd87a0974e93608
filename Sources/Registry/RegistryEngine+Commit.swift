import Logging
extension RegistryEngine {
    /// Queues mutations and returns once they are durable (group commit).
    func commit(_ mutations: [RegistryMutation]) async throws {
        try requireAvailable()
        pending.append(contentsOf: mutations)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waiters.append(continuation)
            startFlushIfNeeded()
        }
    }

    /// Queues mutations without waiting for them (audit entries of refused requests).
    func enqueue(_ mutations: [RegistryMutation]) {
        guard available else { return }
        pending.append(contentsOf: mutations)
        startFlushIfNeeded()
    }

    /// Waits until everything queued so far is durable.
    func flushPending() async throws {
        guard !pending.isEmpty || flushing else { return }
        try await commit([])
    }

    private func startFlushIfNeeded() {
        guard !flushing, !pending.isEmpty || !waiters.isEmpty else { return }
        flushing = true
        Task { await self.flushLoop() }
    }

    private func flushLoop() async {
        while !pending.isEmpty || !waiters.isEmpty {
            let batch = pending
            let batchWaiters = waiters
            pending = []
            waiters = []
            do {
                if !batch.isEmpty { try await store.apply(batch) }
                for waiter in batchWaiters { waiter.resume() }
            } catch {
                logger.error(
                    "registry commit failed; reloading state from the store",
                    metadata: ["error": "\(error)", "hub.batch_size": "\(batch.count)"]
                )
                let failure = RegistryError(.storageFailure, "storage failure")
                for waiter in batchWaiters { waiter.resume(throwing: failure) }
                // Later mutations were applied in memory on top of the failed ones: drop them too and
                // make memory equal to the store again.
                for waiter in waiters { waiter.resume(throwing: failure) }
                pending = []
                waiters = []
                available = false
                do {
                    try await reload()
                    available = true
                } catch {
                    logger.critical("registry reload failed; refusing changes", metadata: ["error": "\(error)"])
                }
            }
        }
        flushing = false
    }
}
