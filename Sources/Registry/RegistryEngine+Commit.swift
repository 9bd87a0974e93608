import Logging
extension RegistryEngine {
    /// Queues mutations and returns once they are durable (group commit).
    func commit(_ mutations: [RegistryMutation]) async throws {
        try await enqueueCommit(mutations).wait()
    }

    /// Queues mutations and returns the ticket to wait on for their durability. Synchronous, so that a
    /// caller can take a decision and queue its consequences in one turn of the actor, then wait elsewhere.
    func enqueueCommit(_ mutations: [RegistryMutation]) throws -> CommitTicket {
        try requireAvailable()
        let ticket = CommitTicket()
        if committer.enqueue(mutations, ticket: ticket) { startFlush() }
        return ticket
    }

    /// Queues mutations without waiting for them (audit entries of refused requests).
    func enqueue(_ mutations: [RegistryMutation]) {
        guard available, !mutations.isEmpty else { return }
        if committer.enqueue(mutations, ticket: nil) { startFlush() }
    }

    /// Waits until everything queued so far is durable.
    func flushPending() async throws {
        guard !committer.isIdle else { return }
        try await commit([])
    }

    private func startFlush() {
        // Not on the actor (see GroupCommitter), and at high priority: the writing loop is the one serial
        // stage every accepted registration waits for, so it must not queue behind the requests it serves.
        Task(priority: .high) { [committer, store, logger] in
            await committer.run(store: store, logger: logger, recover: { await self.recoverFromCommitFailure() })
        }
    }

    /// After a failed write: memory may hold changes the store refused; make it equal to the store again.
    /// While the store cannot be read (a database that is down), the reload is tried again, every 0.5 s at first
    /// and every 5 s at most; changes are refused until it succeeds.
    private func recoverFromCommitFailure() async {
        available = false
        var delay: Duration = .milliseconds(500)
        while !closed {
            do {
                try await reload(keepingPresence: true)
                available = true
                return
            } catch {
                logger.critical("registry reload failed; refusing changes until it succeeds", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }
}
