import DequeModule
import Logging
import NATSCore
import NIOCore
import NIOPosix

/// A client connection to a NATS server (or a cluster of them), over SwiftNIO.
///
/// The actor runs on one NIO event loop (its executor is the loop), so its state, its channel and its channel
/// handler share one thread and the handler can hand parsed operations over synchronously, in order.
///
/// Lifecycle: ``connect()`` tries each configured server once and completes when the server confirmed CONNECT
/// (INFO → CONNECT + PING → PONG). If the connection later drops it is re-established with back-off, rotating
/// through the servers; subscriptions are re-sent and publishes made meanwhile are buffered up to a byte budget.
/// ``drain()`` ends subscriptions gracefully, ``close()`` at once. ``run()`` does connect-then-wait for use as a
/// swift-service-lifecycle `Service` (graceful shutdown drains).
public actor NATSConnection {
    public nonisolated let configuration: NATSConfiguration
    nonisolated let eventLoop: any EventLoop
    nonisolated let logger: Logger

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        self.eventLoop.executor.asUnownedSerialExecutor()
    }

    var stateMachine: ConnectionStateMachine
    /// The open channel, from TCP connect until it closes.
    var channel: (any Channel)?
    /// Incremented for every channel, so that events of a previous channel are recognised and ignored.
    var generation: UInt64 = 0
    /// The latest INFO of the current (or last) server.
    var info: NATSServerInfo?
    /// What went wrong last; the cause reported when connecting fails or reconnecting gives up.
    var lastError: NATSClientError?
    /// Set when the connection closed for good because of an error; ``run()`` throws it.
    var finalError: NATSClientError?
    var isDraining = false
    var stats = NATSConnectionStatistics()

    var connectPromise: EventLoopPromise<Void>?
    var closeWaiters: [EventLoopPromise<Void>] = []
    /// One entry per PING in flight, in order: a flush's promise, or `nil` for a keep-alive PING.
    var pongWaiters: Deque<EventLoopPromise<Void>?> = []
    /// Publishes waiting for the channel to become writable again.
    var writabilityWaiters: Deque<EventLoopPromise<Void>> = []
    var flushScheduled = false

    var subscriptions = SubscriptionTable()
    var reconnectBuffer: ReconnectBuffer
    var requests: RequestMux

    var pingTimer: RepeatedTask?
    var handshakeTimer: Scheduled<Void>?
    var reconnectTimer: Scheduled<Void>?

    /// - Parameters:
    ///   - configuration: servers, credentials, limits and timers.
    ///   - eventLoopGroup: where the connection's event loop comes from. It must be a NIOPosix group (its loops
    ///     serve as actor executors).
    ///   - logger: the logger for this connection; a `nats.connection_id` is added to its metadata.
    public init(
        configuration: NATSConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        precondition(!configuration.servers.isEmpty, "NATSConfiguration.servers must not be empty")
        let eventLoop = eventLoopGroup.next()
        precondition(
            eventLoop is any NIOSerialEventLoopExecutor,
            "NATSConnection needs an event loop that is a serial executor (NIOPosix)"
        )
        self.configuration = configuration
        self.eventLoop = eventLoop
        var logger = logger
        logger[metadataKey: NATSLogKey.connectionID] = "\(RandomID.make(length: 8))"
        self.logger = logger
        self.stateMachine = ConnectionStateMachine(
            configuration: .init(
                serverCount: configuration.servers.count,
                reconnectEnabled: configuration.reconnect.isEnabled,
                maxReconnectAttempts: configuration.reconnect.maxAttempts,
                initialReconnectDelay: configuration.reconnect.initialDelay,
                maxReconnectDelay: configuration.reconnect.maxDelay,
                maxOutstandingPings: configuration.keepAlive.maxOutstandingPings
            )
        )
        self.reconnectBuffer = ReconnectBuffer(capacity: configuration.reconnect.bufferBytes)
        self.requests = RequestMux(prefix: "\(configuration.inboxPrefix).\(RandomID.make(length: 22))")
    }

    // MARK: Public state

    public var status: NATSConnectionStatus {
        switch self.stateMachine.state {
        case .idle: return .idle
        case .connecting(let attempt), .awaitingInfo(let attempt), .awaitingPong(let attempt):
            return attempt.isInitial ? .connecting : .reconnecting
        case .waitingToReconnect: return .reconnecting
        case .connected: return .connected
        case .closing: return .closing
        case .closed: return .closed
        }
    }

    /// The INFO of the server this connection talks to (or last talked to).
    public var serverInfo: NATSServerInfo? { self.info }

    public var statistics: NATSConnectionStatistics { self.stats }

    // MARK: Connect and close

    /// Connects to the first server that accepts, trying each configured server once.
    ///
    /// Returns once the server confirmed CONNECT. Throws ``NATSClientError/Code/connectionFailed`` if no server
    /// did (the connection is idle again and `connect()` may be retried), or ``NATSClientError/Code/alreadyConnected``.
    public func connect() async throws {
        guard let action = self.stateMachine.connectRequested() else {
            throw NATSClientError(.alreadyConnected, "connect() called in status \(self.status)")
        }
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.connectPromise = promise
        self.execute(action)
        try await promise.futureResult.get()
    }

    /// Closes the connection now: pending requests and flushes fail with ``NATSClientError/Code/connectionClosed``,
    /// subscriptions end after their buffered messages, buffered publishes are discarded.
    public func close() async {
        self.execute(self.stateMachine.closeRequested())
        await self.waitUntilClosed()
    }

    /// Returns once the connection is closed, for whatever reason.
    func waitUntilClosed() async {
        if case .closed = self.stateMachine.state { return }
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.closeWaiters.append(promise)
        try? await promise.futureResult.get()
    }

    /// Gracefully closes: unsubscribes every subscription, waits until the server has processed that (so every
    /// message it delivered is buffered), ends the subscriptions (consumers still read what is buffered), then
    /// closes. New subscriptions and requests are refused meanwhile; publishes go on until the close.
    public func drain() async throws {
        if self.isDraining {
            await self.waitUntilClosed()
            return
        }
        guard case .connected = self.stateMachine.state else {
            await self.close()
            return
        }
        self.isDraining = true
        var unsubscribes: [UInt8] = []
        for (sid, entry) in self.subscriptions.sorted {
            if case .subscription = entry.sink {
                NATSClientEncoder.writeUnsubscribe(sid: sid, maxMessages: nil, into: &unsubscribes)
            }
        }
        self.write(unsubscribes)
        do {
            try await self.flush()
        } catch {
            self.logger.debug("flush during drain failed", metadata: [NATSLogKey.error: "\(error)"])
        }
        for (sid, entry) in self.subscriptions.sorted {
            if case .subscription(let buffer) = entry.sink {
                self.subscriptions.remove(sid)
                buffer.finish()
            }
        }
        await self.close()
    }
}

/// Random identifiers from the system's CSPRNG, in base 62.
enum RandomID {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func make(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<length).map { _ in Self.alphabet[Int.random(in: 0..<Self.alphabet.count, using: &generator)] }
        return String(decoding: bytes, as: UTF8.self)
    }
}
