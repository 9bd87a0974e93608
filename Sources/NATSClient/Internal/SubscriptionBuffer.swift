import DequeModule
import Synchronization

/// The bounded queue between the connection (producer, on the event loop) and one consumer task.
///
/// When the queue is full, in messages or in bytes, a new message is dropped and counted rather than queued:
/// a slow consumer loses messages instead of growing memory without bound (the NATS "slow consumer" model).
final class SubscriptionBuffer: Sendable {
    private struct State {
        var queue: Deque<NATSMessage> = []
        var queuedBytes = 0
        var delivered: UInt64 = 0
        var dropped: UInt64 = 0
        /// Set once no more messages will be queued: `nil` error for a normal end.
        var end: Result<Void, NATSClientError>?
        var waiter: CheckedContinuation<NATSMessage?, any Error>?
    }

    let limits: NATSSubscription.Limits
    private let state = Mutex(State())

    init(limits: NATSSubscription.Limits) {
        self.limits = limits
    }

    /// Queues `message` or hands it straight to a waiting consumer.
    /// - Returns: `false` if it was dropped because the queue is full (or the buffer has ended).
    @discardableResult
    func yield(_ message: NATSMessage) -> Bool {
        let size = message.bufferedSize
        enum Outcome {
            case resume(CheckedContinuation<NATSMessage?, any Error>)
            case queued
            case dropped
        }
        let outcome: Outcome = self.state.withLock { state in
            guard state.end == nil else { return .dropped }
            if let waiter = state.waiter {
                state.waiter = nil
                state.delivered += 1
                return .resume(waiter)
            }
            guard state.queue.count < self.limits.maxMessages, state.queuedBytes + size <= self.limits.maxBytes else {
                state.dropped += 1
                return .dropped
            }
            state.queue.append(message)
            state.queuedBytes += size
            return .queued
        }
        switch outcome {
        case .resume(let waiter):
            waiter.resume(returning: message)
            return true
        case .queued:
            return true
        case .dropped:
            return false
        }
    }

    /// Ends the sequence after the queued messages: with `nil`, iteration finishes normally; with an error, it
    /// throws once the queue is empty. Later calls are ignored.
    func finish(_ error: NATSClientError? = nil) {
        let waiter: CheckedContinuation<NATSMessage?, any Error>? = self.state.withLock { state in
            guard state.end == nil else { return nil }
            state.end = error.map { .failure($0) } ?? .success(())
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error {
            waiter?.resume(throwing: error)
        } else {
            waiter?.resume(returning: nil)
        }
    }

    /// The next message; `nil` at the end or when the consuming task is cancelled.
    func next() async throws -> NATSMessage? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<NATSMessage?, any Error>) in
                let result: Result<NATSMessage?, any Error>? = self.state.withLock { state in
                    if let message = state.queue.popFirst() {
                        state.queuedBytes -= message.bufferedSize
                        state.delivered += 1
                        return .success(message)
                    }
                    switch state.end {
                    case .success: return .success(nil)
                    case .failure(let error): return .failure(error)
                    case nil: break
                    }
                    if Task.isCancelled { return .success(nil) }
                    guard state.waiter == nil else {
                        return .failure(NATSClientError(.invalidArgument, "a subscription supports one consumer at a time"))
                    }
                    state.waiter = continuation
                    return nil
                }
                if let result {
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            let waiter = self.state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Messages dropped because the queue was full.
    var droppedCount: UInt64 { self.state.withLock { $0.dropped } }
    /// Messages handed to the consumer.
    var deliveredCount: UInt64 { self.state.withLock { $0.delivered } }
    /// Messages waiting in the queue.
    var queuedCount: Int { self.state.withLock { $0.queue.count } }
}
