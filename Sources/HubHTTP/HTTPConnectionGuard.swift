import Logging
import NIOCore
import NIOHTTP1

/// One HTTP connection's limits (`HTTPListenerLimits`), between NIO's HTTP/1 decoder and Hummingbird:
///
/// - admission: over the listener's connection limit a new connection is closed at once;
/// - timeouts, one timer per connection: the request head must be complete within the header timeout of
///   its first byte (of the accept for the first request), a body must make progress within the body
///   timeout while the hub waits for it, a keep-alive connection without a request closes after the idle
///   timeout. Time when the hub itself is not reading (its handler has not taken what was read) does not
///   count against the client;
/// - the end of a connection (nginx's lingering close): a response that starts before its request's body
///   was read (the body is refused or ignored), or that answers `Connection: close`, HTTP/1.0 without
///   keep-alive, a parse error or a client that half-closed, gets `Connection: close`; after it the hub
///   half-closes, reads and discards what the client still sends (as raw bytes, in front of the HTTP
///   decoder and TLS, by `LingerDrain`), and closes when the client does, after the linger timeout, or
///   once more than the linger byte budget arrived. Hummingbird alone half-closes after `Connection: close` and then never reads
///   again, and drains an unread body to its end whatever its size; a client that does not close holds the
///   socket (FIN-WAIT-2) forever.
final class HTTPConnectionGuard: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let listener: HTTPListener
    private var started = false

    // The read side.
    /// A request head was read and its end not yet.
    private var requestOpen = false
    /// When the head being read began; nil between requests.
    private var headStartedAt: NIODeadline?
    /// The last read of the open request (its head or a body part).
    private var lastRead = NIODeadline.uptimeNanoseconds(0)
    /// Since the last response, when no request is open or unanswered.
    private var idleSince: NIODeadline?
    /// Whether the current socket read produced a request part.
    private var partsInRead = false
    /// The handler above asked for data and none has come yet.
    private var readPending = false
    private var inputClosed = false
    private var decodingFailed = false
    /// The keep-alive flag of each request read and not yet answered, oldest first.
    private var unanswered: [Bool] = []

    // The write side.
    private var closeAfterResponse = false
    /// Set once the last response is written: the hub discards input until the client closes or this passes.
    private var lingerUntil: NIODeadline?
    /// A half-close was asked for (by the guard or by Hummingbird).
    private var outputClosed = false
    /// The guard's half-close is done (the pending writes are on the wire).
    private var outputShut = false

    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    init(listener: HTTPListener) {
        self.listener = listener
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard listener.admit(source: Self.source(context)) else {
            context.close(promise: nil)
            return
        }
        context.channel.closeFuture.whenComplete { [listener] _ in listener.release() }
        headStartedAt = .now()
        updateTimer(context)
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if lingerUntil != nil { return }  // discarded
        readPending = false
        partsInRead = true
        switch unwrapInboundIn(data) {
        case .head(let head):
            headStartedAt = nil
            idleSince = nil
            requestOpen = true
            lastRead = .now()
            unanswered.append(head.isKeepAlive)
        case .body:
            lastRead = .now()
        case .end:
            requestOpen = false
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if lingerUntil != nil {
            // Keep reading whatever the handler above wants: what arrives now is discarded.
            context.read()
        } else {
            // Bytes that made no part between requests are the start of the next request's head.
            if !partsInRead, !requestOpen, headStartedAt == nil { headStartedAt = .now() }
            partsInRead = false
            updateTimer(context)
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event as? ChannelEvent == .inputClosed {
            inputClosed = true
            if lingerUntil != nil {
                // Both directions are done once the half-close is; else its completion closes.
                if outputShut { context.close(promise: nil) }
                return
            }
            // The client is gone and nothing is left to answer.
            if unanswered.isEmpty, !requestOpen { context.close(promise: nil) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if lingerUntil != nil { return }  // the decoder on bytes that are discarded anyway
        decodingFailed = true
        context.fireErrorCaught(error)
    }

    // MARK: outbound

    func read(context: ChannelHandlerContext) {
        readPending = true
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard lingerUntil == nil else { return context.write(data, promise: promise) }
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            let keepAlive = unanswered.first ?? false
            let bodyUnread = requestOpen && unanswered.count == 1
            if bodyUnread { listener.bodyRefused(source: Self.source(context)) }
            // A route may end its connection itself by answering `Connection: close` (registration replies,
            // for firmware that reads until the server closes).
            let routeCloses = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
            closeAfterResponse = !keepAlive || bodyUnread || inputClosed || decodingFailed || routeCloses
            guard closeAfterResponse else { return context.write(data, promise: promise) }
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            if !unanswered.isEmpty { unanswered.removeFirst() }
            context.write(data, promise: promise)
            if closeAfterResponse {
                linger(context)
            } else if unanswered.isEmpty, !requestOpen {
                idleSince = .now()
                updateTimer(context)
            }
        case .head, .body:
            context.write(data, promise: promise)
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .output {
            // Hummingbird half-closes after a `Connection: close` request; the guard did already.
            if outputClosed { promise?.succeed(()); return }
            outputClosed = true
        }
        context.close(mode: mode, promise: promise)
    }

    /// After the connection's last response: half-close once it is written, discard input until the client
    /// closes (then NIO closes the socket, both halves being shut) or the linger timeout passes.
    private func linger(_ context: ChannelHandlerContext) {
        closeAfterResponse = false
        lingerUntil = .now() + listener.limits.lingerTimeout
        // What arrives from now on is dropped before it is decrypted or parsed.
        try? context.pipeline.syncOperations.addHandler(LingerDrain(budget: listener.limits.lingerBytes, listener: listener), position: .first)
        context.flush()
        if !outputClosed {
            outputClosed = true
            let halfClosed = context.eventLoop.makePromise(of: Void.self)
            // Done once the pending writes are on the wire.
            context.close(mode: .output, promise: halfClosed)
            halfClosed.futureResult.assumeIsolated().whenComplete { result in
                self.outputShut = true
                // Nothing to half-close, or the client has closed its side already: close now. (A TCP
                // channel closes by itself once both directions are shut; this also covers TLS.)
                if case .failure = result { return context.close(promise: nil) }
                if self.inputClosed { context.close(promise: nil) }
            }
        } else {
            outputShut = true
        }
        context.read()
        updateTimer(context)
    }

    // MARK: timer

    /// The deadline of what the connection is waiting for, and the timeout that closes it then; nil while a
    /// request is being answered.
    private func currentDeadline() -> (NIODeadline, HTTPListener.CloseReason)? {
        let limits = listener.limits
        if let lingerUntil { return (lingerUntil, .lingerTimeout) }
        if requestOpen { return (lastRead + limits.bodyTimeout, .bodyTimeout) }
        if let headStartedAt { return (headStartedAt + limits.headerTimeout, .headerTimeout) }
        if unanswered.isEmpty, let idleSince { return (idleSince + limits.idleTimeout, .idleTimeout) }
        return nil
    }

    /// Makes the timer fire no later than the current deadline. A later deadline keeps the timer: it fires,
    /// finds the deadline moved and schedules itself again, so a busy connection costs about one timer per
    /// timeout period instead of one per request.
    private func updateTimer(_ context: ChannelHandlerContext) {
        guard let (deadline, _) = currentDeadline() else { return }
        if let timerDeadline, timerDeadline <= deadline { return }
        cancelTimer()
        schedule(context, at: deadline)
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { self.timerFired(context) }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    private func timerFired(_ context: ChannelHandlerContext) {
        timer = nil
        timerDeadline = nil
        guard context.channel.isActive, let (deadline, reason) = currentDeadline() else { return }
        let now = NIODeadline.now()
        guard deadline <= now else { return schedule(context, at: deadline) }
        if reason != .lingerTimeout, !readPending {
            // The handler above has not taken what was read: the hub is the one not reading. Start again.
            switch reason {
            case .bodyTimeout: lastRead = now
            case .headerTimeout: headStartedAt = now
            case .idleTimeout: idleSince = now
            case .lingerTimeout: break
            }
            return updateTimer(context)
        }
        listener.closed(reason, source: Self.source(context))
        context.close(promise: nil)
    }

    /// `ip:port` of the peer, for logs.
    private static func source(_ context: ChannelHandlerContext) -> String {
        guard let address = context.channel.remoteAddress, let ip = address.ipAddress else { return "unknown" }
        let port = address.port.map(String.init) ?? "?"
        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}

/// Discards a lingering connection's input as raw bytes (installed first in the pipeline when the guard
/// starts lingering), and closes the connection once more than `budget` bytes arrived.
final class LingerDrain: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var remaining: Int
    private let listener: HTTPListener

    init(budget: Int, listener: HTTPListener) {
        remaining = budget
        self.listener = listener
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard remaining >= 0 else { return }
        remaining -= unwrapInboundIn(data).readableBytes
        if remaining < 0 {
            listener.lingerOverflowed()
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.read()
    }
}
