#if os(Linux)
import BrokerCore
import CPollShims
import Dispatch
import Glibc
import DequeModule
import HeapModule
import Logging
import NIOCore
import Synchronization

/// One thread with an epoll instance: the event loop of the hub's own plain-TCP MQTT transport.
///
/// Why not a SwiftNIO channel per connection: a NIO channel with its pipeline is about 2,500 bytes of every
/// idle connection (measured with a bare NIO server, BENCHMARKS.md), three times what mosquitto needs for a
/// whole connection. Here a connection is one object (`PollConnection`) and a slot in the loop's table; the
/// loop owns one read buffer and one write buffer that all its connections share.
///
/// It is a full `EventLoop` (tasks, scheduled tasks, promises), so everything written against NIO (the
/// authenticator's futures, `NIOLoopBound`) runs on it unchanged. Level-triggered epoll; tasks from other
/// threads are queued under a lock and wake the loop through an eventfd only when the queue was empty.
final class PollLoop: EventLoop, @unchecked Sendable {
    /// Size of the shared read buffer: the most one `read` takes.
    static let readSize = 64 * 1024

    private let epoll: Int32
    private let wakeFD: Int32
    private let index: Int
    private let threadID = Atomic<UInt>(0)
    private let started = DispatchSemaphore(value: 0)

    private struct Inbox {
        var tasks: [@Sendable () -> Void] = []
        var stopping = false
        var onStopped: [(DispatchQueue, @Sendable ((any Error)?) -> Void)] = []
    }

    private let inbox = Mutex(Inbox())
    // Loop-confined state.
    private var spareTasks: [@Sendable () -> Void] = []
    private var timers = Heap<TimerEntry>()
    private var timerSequence: UInt64 = 0
    /// Connections by file descriptor.
    private var connections: [PollConnection?] = []
    private var listeners: [Int32: PollListener] = [:]
    /// Connections that have not sent CONNECT yet, oldest first, with their deadlines (one timer for all of
    /// them instead of one per connection).
    /// Entries name the connection by descriptor and id rather than holding it, so that a connection that
    /// closed early is freed at once.
    private var awaitingConnect = Deque<(fd: Int32, id: ConnectionID, deadline: UInt64)>()
    private var connectSweepScheduled = false
    /// Where every read of this loop lands before it is copied into a buffer of the exact size read (so that
    /// messages kept by the broker pin a buffer of their own size, not this one).
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Where connections of this loop encode outgoing packets before writing them.
    var writeBuffer: ByteBuffer

    private enum Kind: UInt64 {
        case connection = 0
        case listener = 1
        case wake = 2
    }

    init(index: Int) throws {
        self.index = index
        epoll = cpoll_create()
        guard epoll >= 0 else { throw PollError.system("epoll_create1", errno) }
        wakeFD = cpoll_eventfd()
        guard wakeFD >= 0 else {
            Glibc.close(epoll)
            throw PollError.system("eventfd", errno)
        }
        readBuffer = .allocate(byteCount: Self.readSize, alignment: 16)
        writeBuffer = ByteBufferAllocator().buffer(capacity: 16 * 1024)
        try control(Int32(CPOLL_ADD), wakeFD, events: PollEvents.input, kind: .wake)
    }

    deinit {
        readBuffer.deallocate()
        Glibc.close(epoll)
        Glibc.close(wakeFD)
    }

    /// Starts the loop's thread.
    func start() {
        let unmanaged = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let loop = Unmanaged<PollLoop>.fromOpaque(argument!).takeRetainedValue()
            loop.run()
            return nil
        }, unmanaged.toOpaque())
        precondition(result == 0, "pthread_create failed: \(result)")
        pthread_detach(thread)
        started.wait()
    }

    // MARK: EventLoop

    var inEventLoop: Bool { threadID.load(ordering: .relaxed) == UInt(pthread_self()) }

    func execute(_ task: @escaping @Sendable () -> Void) {
        let wake = inbox.withLock { inbox in
            inbox.tasks.append(task)
            return inbox.tasks.count == 1
        }
        if wake && !inEventLoop { wakeUp() }
    }

    func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise = makePromise(of: T.self)
        let timer = Timer {
            // Runs on the loop.
            do { promise.assumeIsolatedUnsafeUnchecked().succeed(try task()) } catch { promise.fail(error) }
        }
        let schedule: @Sendable () -> Void = { [unowned self] in
            timerSequence &+= 1
            timers.insert(TimerEntry(deadline: deadline.uptimeNanoseconds, sequence: timerSequence, timer: timer))
        }
        if inEventLoop { schedule() } else { execute(schedule) }
        return Scheduled(promise: promise, cancellationTask: { timer.cancelled.store(true, ordering: .relaxed) })
    }

    func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    func preconditionInEventLoop(file: StaticString, line: UInt) {
        precondition(inEventLoop, "not on the event loop", file: file, line: line)
    }

    func preconditionNotInEventLoop(file: StaticString, line: UInt) {
        precondition(!inEventLoop, "on the event loop", file: file, line: line)
    }

    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        inbox.withLock { inbox in
            inbox.stopping = true
            inbox.onStopped.append((queue, callback))
        }
        wakeUp()
    }

    var description: String { "PollLoop(\(index))" }

    // MARK: sockets

    func register(_ connection: PollConnection) throws {
        let fd = Int(connection.fd)
        if connections.count <= fd {
            connections.append(contentsOf: repeatElement(nil, count: max(fd + 1 - connections.count, connections.count / 2)))
        }
        connections[fd] = connection
        do {
            try control(Int32(CPOLL_ADD), connection.fd, events: PollEvents.input, kind: .connection)
        } catch {
            connections[fd] = nil
            throw error
        }
    }

    /// Changes what the loop waits for on a connection; false if epoll refused.
    func update(_ connection: PollConnection, events: UInt32) -> Bool {
        (try? control(Int32(CPOLL_MOD), connection.fd, events: events, kind: .connection)) != nil
    }

    /// Replaces the shared write buffer after a flush that grew it beyond 1 MiB (one large flush would
    /// otherwise keep its size for the loop's lifetime).
    func trimWriteBuffer() {
        if writeBuffer.capacity > 1 << 20 { writeBuffer = ByteBufferAllocator().buffer(capacity: 16 * 1024) }
    }

    /// Forgets a connection (before its descriptor is closed). No EPOLL_CTL_DEL: closing the descriptor removes
    /// it from the epoll set, since it is never duplicated (SOCK_CLOEXEC; the hub does not dup sockets).
    func unregister(_ connection: PollConnection) {
        let fd = Int(connection.fd)
        if fd < connections.count, connections[fd] === connection { connections[fd] = nil }
    }

    func register(_ listener: PollListener) throws {
        // Every loop waits on the listening socket; EPOLLEXCLUSIVE wakes one of them per connection.
        try control(Int32(CPOLL_ADD), listener.fd, events: PollEvents.input | PollEvents.exclusive, kind: .listener)
        listeners[listener.fd] = listener
    }

    /// Stops accepting on a listener for a while (it failed for lack of descriptors or memory).
    func pauseAccepting(_ listener: PollListener, for delay: TimeAmount) {
        guard listeners[listener.fd] === listener else { return }
        unregister(listener)
        _ = scheduleTask(in: delay) { [unowned self] in
            guard !listener.closed.load(ordering: .relaxed), listeners[listener.fd] == nil else { return }
            try? register(listener)
        }
    }

    func unregister(_ listener: PollListener) {
        _ = cpoll_ctl(epoll, Int32(CPOLL_DEL), listener.fd, 0, 0)
        listeners[listener.fd] = nil
    }

    /// Closes the connection unless it sent CONNECT within the timeout.
    func awaitConnect(_ connection: PollConnection, timeoutSeconds: Int) {
        let deadline = NIODeadline.now().uptimeNanoseconds + UInt64(timeoutSeconds) * 1_000_000_000
        awaitingConnect.append((connection.fd, connection.id, deadline))
        if !connectSweepScheduled {
            connectSweepScheduled = true
            scheduleConnectSweep(at: deadline)
        }
    }

    private func scheduleConnectSweep(at deadline: UInt64) {
        // Timeouts within 100 ms of each other expire in one sweep.
        _ = scheduleTask(deadline: .uptimeNanoseconds(deadline + 100_000_000)) { [unowned self] in sweepConnectTimeouts() }
    }

    private func sweepConnectTimeouts() {
        let now = NIODeadline.now().uptimeNanoseconds
        while let first = awaitingConnect.first, first.deadline <= now {
            awaitingConnect.removeFirst()
            let slot = Int(first.fd)
            guard slot < connections.count, let connection = connections[slot], connection.id == first.id else { continue }
            if case .awaitingConnect = connection.state {
                connection.logger.debug("closing connection", metadata: connection.metadata(["hub.reason": "no CONNECT in time"]))
                connection.closeTransport()
            }
        }
        if let first = awaitingConnect.first {
            scheduleConnectSweep(at: first.deadline)
        } else {
            connectSweepScheduled = false
            // Free the storage a storm of connects left behind.
            awaitingConnect = Deque()
        }
    }

    /// Every connection of the loop (for shutdown).
    var allConnections: [PollConnection] { connections.compactMap { $0 } }

    private func control(_ operation: Int32, _ fd: Int32, events: UInt32, kind: Kind) throws {
        let data = kind.rawValue << 32 | UInt64(UInt32(bitPattern: fd))
        guard cpoll_ctl(epoll, operation, fd, events, data) == 0 else { throw PollError.system("epoll_ctl", errno) }
    }

    private func wakeUp() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(wakeFD, $0.baseAddress, 8) }
    }

    // MARK: the loop

    private func run() {
        threadID.store(UInt(pthread_self()), ordering: .relaxed)
        "iothub-mqtt-\(index)".withCString { cpoll_name_thread($0) }
        started.signal()
        let capacity = 256
        let events = UnsafeMutablePointer<cpoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while true {
            let count = cpoll_wait(epoll, events, Int32(capacity), waitTimeout())
            if count < 0 && errno != EINTR { fatalError("epoll_wait failed: \(errno)") }
            for i in 0..<max(0, Int(count)) {
                let event = events[i]
                let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: event.data))
                switch Kind(rawValue: event.data >> 32) {
                case .connection:
                    let slot = Int(fd)
                    if slot < connections.count, let connection = connections[slot] { connection.ready(event.events) }
                case .listener:
                    listeners[fd]?.acceptReady(on: self)
                case .wake:
                    var value: UInt64 = 0
                    _ = withUnsafeMutableBytes(of: &value) { Glibc.read(wakeFD, $0.baseAddress, 8) }
                case nil:
                    break
                }
            }
            runExpiredTimers()
            if runTasks() { break }
        }
        // Stopped: close what is left.
        for connection in allConnections { connection.closeTransport() }
        for listener in listeners.values { unregister(listener) }
        // pthread_t values are reused: an exited loop's must not make another thread count as this loop.
        threadID.store(0, ordering: .relaxed)
        let callbacks = inbox.withLock { $0.onStopped }
        for (queue, callback) in callbacks { queue.async { callback(nil) } }
    }

    /// Milliseconds until the next timer, 0 if tasks wait, -1 (forever) if neither.
    private func waitTimeout() -> Int32 {
        if inbox.withLock({ !$0.tasks.isEmpty || $0.stopping }) { return 0 }
        guard let next = timers.min else { return -1 }
        let now = NIODeadline.now().uptimeNanoseconds
        if next.deadline <= now { return 0 }
        // Rounded up, so that a timer is not woken for early.
        return Int32(clamping: (next.deadline - now + 999_999) / 1_000_000)
    }

    private func runExpiredTimers() {
        guard !timers.isEmpty else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        while let next = timers.min, next.deadline <= now {
            _ = timers.removeMin()
            if !next.timer.cancelled.load(ordering: .relaxed) { next.timer.run() }
        }
    }

    /// Runs the queued tasks; true if the loop should stop.
    private func runTasks() -> Bool {
        var batch = spareTasks
        let stopping = inbox.withLock { inbox in
            swap(&inbox.tasks, &batch)
            return inbox.stopping
        }
        for task in batch { task() }
        batch.removeAll(keepingCapacity: batch.count <= 1024)
        spareTasks = batch
        return stopping && inbox.withLock { $0.tasks.isEmpty }
    }
}

/// A scheduled task. Cancellation may come from any thread.
private final class Timer: Sendable {
    let run: @Sendable () -> Void
    let cancelled = Atomic<Bool>(false)

    init(_ run: @escaping @Sendable () -> Void) {
        self.run = run
    }
}

private struct TimerEntry: Comparable {
    var deadline: UInt64
    var sequence: UInt64
    var timer: Timer

    static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.deadline == rhs.deadline && lhs.sequence == rhs.sequence
    }
}

/// epoll event bits (Linux ABI).
enum PollEvents {
    static let input: UInt32 = 0x001
    static let output: UInt32 = 0x004
    static let error: UInt32 = 0x008
    static let hangUp: UInt32 = 0x010
    static let exclusive: UInt32 = 1 << 28
}

/// A failed system call of the poll transport.
enum PollError: Error, CustomStringConvertible {
    case system(String, Int32)

    var description: String {
        switch self {
        case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
        }
    }
}
#endif
