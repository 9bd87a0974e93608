import Synchronization

/// The registry's events for the broker (`RegistryEngine.events`): lossless and bounded without a size limit
/// to pick.
///
/// Pending events are a set in arrival order: an event already pending is not added again. Every event
/// names a device, a product or an application, so what is pending is bounded by the registry's size, and
/// nothing is ever dropped: a consumer that lags (or a flood of revocations) still sees every affected
/// device once. Coalescing is sound because the consumer's reaction (close the sessions of whom the event
/// names) is idempotent and reads the current state: one close after two disables of a device covers both.
///
/// One consumer: iterating twice at the same time is a programming error.
public final class RegistryEventQueue: AsyncSequence, Sendable {
    public typealias Element = RegistryEvent

    private struct State {
        var order: [RegistryEvent] = []
        var head = 0
        var pending: Set<RegistryEvent> = []
        var waiter: CheckedContinuation<RegistryEvent?, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    init() {}

    /// Adds an event unless the same event is still pending. Never blocks.
    func post(_ event: RegistryEvent) {
        let waiter: CheckedContinuation<RegistryEvent?, Never>? = state.withLock { state in
            guard !state.finished, !state.pending.contains(event) else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending.insert(event)
            state.order.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// Ends the sequence once the pending events are taken.
    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Takes every pending event without waiting (the consumer handles a burst in one pass).
    public func takePending() -> [RegistryEvent] {
        state.withLock { state in
            var taken: [RegistryEvent] = []
            while let event = Self.take(&state) { taken.append(event) }
            return taken
        }
    }

    /// Events waiting for the consumer.
    public var pendingCount: Int { state.withLock { $0.pending.count } }

    /// The next event; nil when finished or when the waiting task is cancelled.
    func next() async -> RegistryEvent? {
        if let event = state.withLock({ Self.take(&$0) }) { return event }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: RegistryEvent?? = state.withLock { state in
                    if let event = Self.take(&state) { return .some(event) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    private static func take(_ state: inout State) -> RegistryEvent? {
        guard state.head < state.order.count else { return nil }
        let event = state.order[state.head]
        state.head += 1
        state.pending.remove(event)
        if state.head == state.order.count {
            state.order.removeAll(keepingCapacity: state.order.count <= 1024)
            state.head = 0
        } else if state.head >= 1024, state.head * 2 >= state.order.count {
            state.order.removeFirst(state.head)
            state.head = 0
        }
        return event
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: RegistryEventQueue

        public mutating func next() async -> RegistryEvent? {
            await queue.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: self) }
}
