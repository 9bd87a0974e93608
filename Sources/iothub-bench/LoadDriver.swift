import NIOCore
import NIOHTTP1
import NIOPosix

/// Limits of one load run: a warm-up, then a measured window that ends after `count` completions or
/// `duration`, whichever comes first; then the requests still in flight are awaited (at most
/// `drainTimeout`).
struct LoadLimits: Sendable {
    var connections: Int
    var warmup: Int
    var count: Int
    var duration: TimeAmount
    var drainTimeout: TimeAmount = .seconds(10)
}

/// What one driver (one event loop) measured.
struct DriverResult: Sendable {
    /// Completions inside the measured window, and its length.
    var completedInWindow = 0
    var windowNanos: UInt64 = 0
    /// Latencies of the requests started inside the window, in ns.
    var latencies: [UInt64] = []
    /// Failures by code, over the whole run (warm-up included).
    var failures: [String: Int] = [:]
    var totalRequests = 0
    /// Why the window closed: "count", "duration", "pool exhausted" or "connections lost".
    var endedBy = ""
}

/// Drives `limits.connections` keep-alive connections on one event loop, one request in flight on each.
///
/// Confined to its event loop: every method runs there, so the state needs no locks. Request sequence
/// numbers are `offset, offset + stride, …`, so several drivers can share one scenario.
final class LoadDriver {
    private enum Phase { case connecting, warmup, measuring, draining, finished }

    let loop: any EventLoop
    let scenario: any Scenario
    let limits: LoadLimits
    private let offset: Int
    private let stride: Int

    private var phase = Phase.connecting
    private var nextLocal = 0
    private var warmupCompleted = 0
    private var windowStart: UInt64 = 0
    private var windowDeadline: UInt64 = 0
    private var inFlight = 0
    private var connections: [LoadConnection] = []
    private var result = DriverResult()
    private let done: EventLoopPromise<DriverResult>

    init(loop: any EventLoop, scenario: any Scenario, limits: LoadLimits, offset: Int, stride: Int) {
        self.loop = loop
        self.scenario = scenario
        self.limits = limits
        self.offset = offset
        self.stride = stride
        self.done = loop.makePromise()
        result.latencies.reserveCapacity(min(limits.count + limits.connections, 4_000_000))
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// Connects, runs and closes; the future completes on `loop`.
    func run(host: String, port: Int) -> EventLoopFuture<DriverResult> {
        loop.preconditionInEventLoop()
        let bound = NIOLoopBound(self, eventLoop: loop)
        let connects = (0..<limits.connections).map { _ in
            ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(PreparedRequestWriter())
                        try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
                        try sync.addHandler(LoadConnection(driver: bound.value))
                    }
                }
                .connect(host: host, port: port)
        }
        EventLoopFuture.andAllSucceed(connects, on: loop).assumeIsolated().whenComplete { outcome in
            switch outcome {
            case .success: self.start()
            case .failure(let error):
                for connection in self.connections { connection.close() }
                self.done.fail(error)
            }
        }
        return done.futureResult
    }

    func register(_ connection: LoadConnection) {
        connections.append(connection)
    }

    private func start() {
        phase = .warmup
        if limits.warmup == 0 { beginWindow(at: Self.now()) }
        for connection in connections { sendNext(on: connection) }
    }

    private func sendNext(on connection: LoadConnection) {
        guard phase == .warmup || phase == .measuring, connection.isOpen else { return }
        let index = offset + nextLocal * stride
        guard let request = scenario.request(index) else {
            if phase == .measuring { endWindow(at: Self.now(), reason: "pool exhausted") }
            else { endWindow(at: Self.now(), reason: "pool exhausted during warm-up") }
            return
        }
        nextLocal += 1
        inFlight += 1
        result.totalRequests += 1
        connection.send(request, index: index, startedAt: Self.now(), measured: phase == .measuring)
    }

    /// A full response arrived on `connection`.
    func completed(
        on connection: LoadConnection,
        index: Int,
        startedAt: UInt64,
        measured: Bool,
        status: HTTPResponseStatus,
        body: ByteBuffer?
    ) {
        let now = Self.now()
        inFlight -= 1
        if let failure = scenario.check(index: index, status: status, body: body) {
            result.failures[failure, default: 0] += 1
        }
        if measured { result.latencies.append(now &- startedAt) }
        switch phase {
        case .warmup:
            warmupCompleted += 1
            if warmupCompleted >= limits.warmup { beginWindow(at: now) }
        case .measuring:
            result.completedInWindow += 1
            if result.completedInWindow >= limits.count { endWindow(at: now, reason: "count") }
            else if now >= windowDeadline { endWindow(at: now, reason: "duration") }
        case .draining:
            if inFlight == 0 { finish() }
        case .connecting, .finished:
            break
        }
        sendNext(on: connection)
    }

    /// `connection` closed; a request in flight on it is lost.
    func closed(_ connection: LoadConnection, hadRequestInFlight: Bool) {
        if hadRequestInFlight {
            inFlight -= 1
            result.failures["connection closed", default: 0] += 1
        }
        guard phase != .finished else { return }
        if !connections.contains(where: { $0.isOpen }) {
            if phase == .warmup || phase == .measuring { endWindow(at: Self.now(), reason: "connections lost") }
            finish()
        } else if phase == .draining, inFlight == 0 {
            finish()
        }
    }

    private func beginWindow(at now: UInt64) {
        phase = .measuring
        windowStart = now
        windowDeadline = now + UInt64(limits.duration.nanoseconds)
        loop.assumeIsolated().scheduleTask(in: limits.duration) {
            if self.phase == .measuring { self.endWindow(at: Self.now(), reason: "duration") }
        }
    }

    private func endWindow(at now: UInt64, reason: String) {
        guard phase == .warmup || phase == .measuring else { return }
        result.windowNanos = phase == .measuring ? now - windowStart : 0
        result.endedBy = reason
        phase = .draining
        if inFlight == 0 { return finish() }
        loop.assumeIsolated().scheduleTask(in: limits.drainTimeout) {
            guard self.phase == .draining else { return }
            self.result.failures["no response", default: 0] += self.inFlight
            self.inFlight = 0
            self.finish()
        }
    }

    private func finish() {
        guard phase != .finished else { return }
        phase = .finished
        for connection in connections { connection.close() }
        done.succeed(result)
    }
}
