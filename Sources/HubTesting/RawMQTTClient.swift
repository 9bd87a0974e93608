import Foundation
import NIOCore
import NIOPosix

/// A byte-level MQTT peer for conformance tests: sends hand-built bytes over a plain TCP connection and
/// asserts the exact bytes the server answers with, or that it closes the connection.
///
/// Every received byte lands in one inbox; `expect` consumes exactly the bytes it compares, so a test reads
/// the server's output as one stream. Failures throw ``Failure`` with both sides in hex (XCTest reports a
/// thrown error as a failure of the test).
public final class RawMQTTClient: Sendable {
    /// An expectation that did not hold.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    private let channel: any Channel
    private let inbox: Inbox
    /// For messages: `name` as given to ``connect(port:host:name:)``.
    public let name: String

    private init(channel: any Channel, inbox: Inbox, name: String) {
        self.channel = channel
        self.inbox = inbox
        self.name = name
    }

    /// Opens a TCP connection to a loopback port.
    /// With `reading: false` nothing is read from the socket until `resumeReading()` (a client that stopped
    /// reading: the server's writes back up); `receiveBuffer` sets SO_RCVBUF (small: they back up sooner).
    /// `from`: a loopback address the socket binds to first (127.0.0.2, …), to act as another source.
    public static func connect(
        port: Int, host: String = "127.0.0.1", from source: String? = nil, name: String = "client", reading: Bool = true, receiveBuffer: Int? = nil
    ) async throws -> RawMQTTClient {
        let inbox = Inbox()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.autoRead, value: reading)
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let channel = try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(inbox: inbox))
                }
            }
            .connect(host: host, port: port)
            .get()
        return RawMQTTClient(channel: channel, inbox: inbox, name: name)
    }

    /// Starts reading again (after `connect(reading: false)`).
    public func resumeReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: true).get()
        channel.read()
    }

    // MARK: sending

    /// Writes bytes as they are. A write to a connection the server already closed is not an error (tests
    /// of protocol violations send into closing connections); the following `expect…` tells what happened.
    public func send(_ bytes: [UInt8]) async throws {
        do {
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        } catch {
            guard !channel.isActive else { throw error }
        }
    }

    /// Closes the connection without DISCONNECT (an abrupt network close, as far as the server knows).
    public func drop() async {
        try? await channel.close()
    }

    // MARK: expectations

    /// Waits for exactly `bytes` as the next bytes from the server.
    public func expect(_ bytes: [UInt8], timeout: Duration = .seconds(5), _ what: String = "") async throws {
        let received = try await read(count: bytes.count, timeout: timeout, what)
        guard received == bytes else {
            throw Failure(description: "\(name): \(label(what))expected \(hex(bytes)), received \(hex(received))")
        }
    }

    /// The next `count` bytes from the server.
    public func read(count: Int, timeout: Duration = .seconds(5), _ what: String = "") async throws -> [UInt8] {
        let satisfied = await inbox.wait(timeout: timeout, on: channel.eventLoop) { $0.bytes.count >= count || $0.closed }
        return try inbox.withState { state in
            guard state.bytes.count >= count else {
                let reason = state.closed ? "the server closed the connection" : "timed out after \(timeout)"
                throw Failure(description: "\(name): \(label(what))wanted \(count) bytes, \(reason) having sent \(hex(state.bytes))")
            }
            _ = satisfied
            let result = Array(state.bytes.prefix(count))
            state.bytes.removeFirst(count)
            return result
        }
    }

    /// The next complete control packet (fixed header, remaining length and body).
    public func readPacket(timeout: Duration = .seconds(5), _ what: String = "") async throws -> [UInt8] {
        let satisfied = await inbox.wait(timeout: timeout, on: channel.eventLoop) { Self.packetLength($0.bytes) != nil || $0.closed }
        return try inbox.withState { state in
            guard let length = Self.packetLength(state.bytes) else {
                let reason = state.closed ? "the server closed the connection" : "timed out after \(timeout)"
                throw Failure(description: "\(name): \(label(what))wanted a packet, \(reason) having sent \(hex(state.bytes))")
            }
            _ = satisfied
            let result = Array(state.bytes.prefix(length))
            state.bytes.removeFirst(length)
            return result
        }
    }

    /// Waits until the server closes the connection; fails if it sends anything first (unless `allowing`
    /// those exact bytes) or keeps the connection open past the timeout.
    public func expectClose(timeout: Duration = .seconds(5), allowing: [UInt8] = [], _ what: String = "") async throws {
        if !allowing.isEmpty { try await expect(allowing, timeout: timeout, what) }
        _ = await inbox.wait(timeout: timeout, on: channel.eventLoop) { $0.closed || !$0.bytes.isEmpty }
        try inbox.withState { state in
            guard state.bytes.isEmpty else {
                throw Failure(description: "\(name): \(label(what))expected the server to close, received \(hex(state.bytes))")
            }
            guard state.closed else {
                throw Failure(description: "\(name): \(label(what))the server kept the connection open for \(timeout)")
            }
        }
    }

    /// Fails if the server sends anything or closes within `duration`.
    public func expectSilence(for duration: Duration, _ what: String = "") async throws {
        _ = await inbox.wait(timeout: duration, on: channel.eventLoop) { $0.closed || !$0.bytes.isEmpty }
        try inbox.withState { state in
            guard state.bytes.isEmpty else {
                throw Failure(description: "\(name): \(label(what))expected silence, received \(hex(state.bytes))")
            }
            guard !state.closed else {
                throw Failure(description: "\(name): \(label(what))expected silence, the server closed the connection")
            }
        }
    }

    /// PINGREQ → PINGRESP: proves the server has processed everything this client sent before, and that
    /// nothing else was queued for this client ahead of the PINGRESP.
    public func ping(_ what: String = "") async throws {
        try await send([0xC0, 0x00])
        try await expect([0xD0, 0x00], what.isEmpty ? "PINGRESP" : what)
    }

    /// Whether the server has closed the connection (without waiting).
    public var isClosed: Bool { inbox.withState { $0.closed } }

    /// Bytes received and not yet consumed.
    public var pending: [UInt8] { inbox.withState { $0.bytes } }

    /// Closes the connection (if still open) and releases it.
    public func close() async {
        try? await channel.close()
    }

    // MARK: helpers

    /// The length of the first complete packet in `bytes`, if there is one.
    static func packetLength(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        var value = 0
        var multiplier = 1
        var index = 1
        while true {
            guard index < bytes.count, index <= 4 else { return nil }
            let byte = bytes[index]
            value += Int(byte & 0x7F) * multiplier
            multiplier *= 128
            index += 1
            if byte & 0x80 == 0 { break }
        }
        let total = index + value
        return bytes.count >= total ? total : nil
    }

    private func label(_ what: String) -> String { what.isEmpty ? "" : "\(what): " }
}

/// Bytes as `10 0c 00 04 …`.
public func hex(_ bytes: [UInt8]) -> String {
    if bytes.isEmpty { return "(nothing)" }
    let shown = bytes.prefix(96).map { String(format: "%02x", $0) }.joined(separator: " ")
    return bytes.count > 96 ? shown + " … (\(bytes.count) bytes)" : shown
}

// MARK: - inbox

private final class Inbox: @unchecked Sendable {
    struct State {
        var bytes: [UInt8] = []
        var closed = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let lock = NSLock()
    private var current = State()

    func withState<T>(_ body: (inout State) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&current)
    }

    func append(_ bytes: [UInt8]) {
        let waiters = withState { state in
            state.bytes += bytes
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    func markClosed() {
        let waiters = withState { state in
            state.closed = true
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until `predicate` holds or `timeout` passed; returns whether it holds.
    func wait(timeout: Duration, on eventLoop: any EventLoop, until predicate: @escaping @Sendable (State) -> Bool) async -> Bool {
        let deadline = NIODeadline.now() + TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        while true {
            if withState({ predicate($0) }) { return true }
            if NIODeadline.now() >= deadline { return false }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let id: UInt64? = withState { state in
                    if predicate(state) { return nil }
                    let id = state.nextWaiter
                    state.nextWaiter += 1
                    state.waiters[id] = continuation
                    return id
                }
                guard let id else { return continuation.resume() }
                eventLoop.scheduleTask(deadline: deadline) { [self] in
                    let waiter = withState { $0.waiters.removeValue(forKey: id) }
                    waiter?.resume()
                }
            }
        }
    }
}

extension Inbox.State {
    fileprivate mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
        let all = Array(waiters.values)
        waiters.removeAll()
        return all
    }
}

private final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let inbox: Inbox

    init(inbox: Inbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        inbox.append(buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.markClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Connection reset by the server counts as closed.
        context.close(promise: nil)
    }
}
