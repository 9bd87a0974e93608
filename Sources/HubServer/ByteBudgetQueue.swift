import DequeModule
import Synchronization

/// A FIFO from producers to one consumer task, budgeted in bytes: what it holds never passes `budget`
/// (except for `force`d elements and a single element larger than the budget, admitted into an empty queue).
///
/// Producers choose what happens when an element does not fit: `offer` drops it and counts the drop (for
/// producers that must not wait, like the broker under its lock), `send` waits until it fits, in order
/// with the other waiting producers (backpressure: nothing is lost), `force` admits it over the budget
/// (small elements from callers that cannot wait, whose number something else bounds).
final class ByteBudgetQueue<Element: Sendable>: Sendable {
    private struct Waiter {
        var id: UInt64
        var element: Element
        var size: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var items: Deque<(Element, Int)> = []
        var bytes = 0
        var peakBytes = 0
        var dropped = 0
        var consumer: CheckedContinuation<Element?, Never>?
        var waiters: Deque<Waiter> = []
        var nextWaiterId: UInt64 = 0
        var finished = false

        func fits(_ size: Int) -> Bool { items.isEmpty || bytes + size <= budget }
        let budget: Int

        mutating func admit(_ element: Element, size: Int) -> CheckedContinuation<Element?, Never>? {
            if let consumer {
                self.consumer = nil
                return consumer
            }
            items.append((element, size))
            bytes += size
            peakBytes = max(peakBytes, bytes)
            return nil
        }
    }

    let budget: Int
    private let state: Mutex<State>

    init(budget: Int) {
        self.budget = budget
        self.state = Mutex(State(budget: budget))
    }

    /// Bytes held now, the most ever held, and the elements dropped by `offer`.
    var bytes: Int { state.withLock { $0.bytes } }
    var peakBytes: Int { state.withLock { $0.peakBytes } }
    var dropped: Int { state.withLock { $0.dropped } }
    var count: Int { state.withLock { $0.items.count } }

    /// Adds the element if it fits; otherwise (or after `finish`) drops it, counts it and returns false.
    /// Never waits.
    @discardableResult
    func offer(_ element: Element, size: Int) -> Bool {
        let outcome: (admitted: Bool, consumer: CheckedContinuation<Element?, Never>?) = state.withLock { state in
            guard !state.finished, state.waiters.isEmpty, state.fits(size) else {
                state.dropped += 1
                return (false, nil)
            }
            return (true, state.admit(element, size: size))
        }
        outcome.consumer?.resume(returning: element)
        return outcome.admitted
    }

    /// Adds the element whatever the budget (dropped only after `finish`).
    func force(_ element: Element, size: Int) {
        let consumer: CheckedContinuation<Element?, Never>? = state.withLock { state in
            guard !state.finished else {
                state.dropped += 1
                return nil
            }
            return state.admit(element, size: size)
        }
        consumer?.resume(returning: element)
    }

    /// Adds the element, waiting while it does not fit (after the producers already waiting). A cancelled
    /// wait admits the element over the budget rather than lose it; after `finish` the element is dropped
    /// and counted.
    func send(_ element: Element, size: Int) async {
        let immediate: (done: Bool, consumer: CheckedContinuation<Element?, Never>?) = state.withLock { state in
            if state.finished {
                state.dropped += 1
                return (true, nil)
            }
            guard state.waiters.isEmpty, state.fits(size) else { return (false, nil) }
            return (true, state.admit(element, size: size))
        }
        if immediate.done {
            immediate.consumer?.resume(returning: element)
            return
        }
        let id = state.withLock { state in
            state.nextWaiterId += 1
            return state.nextWaiterId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let (resumeNow, consumer): (Bool, CheckedContinuation<Element?, Never>?) = state.withLock { state in
                    if state.finished || Task.isCancelled {
                        // Shut down meanwhile: admitted for the consumer's final drain.
                        return (true, state.admit(element, size: size))
                    }
                    if state.waiters.isEmpty && state.fits(size) { return (true, state.admit(element, size: size)) }
                    state.waiters.append(Waiter(id: id, element: element, size: size, continuation: continuation))
                    return (false, nil)
                }
                consumer?.resume(returning: element)
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let (waiter, consumer): (Waiter?, CheckedContinuation<Element?, Never>?) = state.withLock { state in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return (nil, nil) }
                let waiter = state.waiters.remove(at: index)
                return (waiter, state.admit(waiter.element, size: waiter.size))
            }
            if let waiter {
                consumer?.resume(returning: waiter.element)
                waiter.continuation.resume()
            }
        }
    }

    /// The next element; nil once finished and empty, or when the waiting consumer is cancelled.
    func next() async -> Element? {
        if let element = take() { return element }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let ready: Element?? = state.withLock { state in
                    if let element = Self.take(&state) { return .some(element.0) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.consumer = continuation
                    return nil
                }
                if let ready {
                    wakeWaiters()
                    continuation.resume(returning: ready)
                }
            }
        } onCancel: {
            let consumer = state.withLock { state in
                defer { state.consumer = nil }
                return state.consumer
            }
            consumer?.resume(returning: nil)
        }
    }

    /// Takes the next element if there is one, without waiting.
    func take() -> Element? {
        let element = state.withLock { Self.take(&$0) }
        if element != nil { wakeWaiters() }
        return element?.0
    }

    /// Whether `finish` was called.
    var isFinished: Bool { state.withLock { $0.finished } }

    /// No more elements are accepted; waiting producers' elements are admitted for the consumer to drain,
    /// then `next` returns nil.
    func finish() {
        let (waiters, consumer): ([Waiter], CheckedContinuation<Element?, Never>?) = state.withLock { state in
            state.finished = true
            let waiters = Array(state.waiters)
            state.waiters = []
            for waiter in waiters {
                state.items.append((waiter.element, waiter.size))
                state.bytes += waiter.size
            }
            let consumer = state.items.isEmpty ? state.consumer : nil
            if consumer != nil { state.consumer = nil }
            return (waiters, consumer)
        }
        for waiter in waiters { waiter.continuation.resume() }
        consumer?.resume(returning: nil)
    }

    private static func take(_ state: inout State) -> (Element, Int)? {
        guard let (element, size) = state.items.popFirst() else { return nil }
        state.bytes -= size
        return (element, size)
    }

    /// Moves waiting producers' elements in while they fit, in order, and lets those producers go on.
    private func wakeWaiters() {
        let (woken, consumer): ([Waiter], (CheckedContinuation<Element?, Never>, Element)?) = state.withLock { state in
            var woken: [Waiter] = []
            var handed: (CheckedContinuation<Element?, Never>, Element)?
            while let first = state.waiters.first, state.fits(first.size) {
                state.waiters.removeFirst()
                if let consumer = state.admit(first.element, size: first.size) { handed = (consumer, first.element) }
                woken.append(first)
            }
            return (woken, handed)
        }
        if let (continuation, element) = consumer { continuation.resume(returning: element) }
        for waiter in woken { waiter.continuation.resume() }
    }
}
