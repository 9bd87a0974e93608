#if os(Linux)
import BrokerCore
import CPollShims
import Glibc
import Logging
import NIOCore
import Synchronization

/// A plain-TCP MQTT connection of the hub's own transport (`PollLoop`): a non-blocking socket and the MQTT
/// state of `MQTTConnectionCore`, confined to its loop.
///
/// Reads land in the loop's shared buffer and are copied into a buffer of the size read. Writes are encoded
/// into the loop's shared write buffer and written at once; only what the socket does not take is kept
/// (`outbound`), and the loop then also waits for the socket to become writable.
final class PollConnection: MQTTConnectionCore, @unchecked Sendable {
    /// Beyond this many unwritten bytes the connection counts as not writable (the broker holds further
    /// packets in the connection's handle), as NIO's default high watermark.
    static let highWatermark = 64 * 1024

    let fd: Int32
    unowned let loop: PollLoop
    /// Bytes the socket did not take yet.
    private var outbound: ByteBuffer?
    private var readingEnabled = true
    private var closeWhenWritten = false
    private var closed = false

    #if DEBUG
    /// Connections alive (debug builds, for the tests that check connections are freed).
    static let alive = Atomic<Int>(0)
    #endif

    init(fd: Int32, id: ConnectionID, listener: MQTTListenerContext, loop: PollLoop) {
        self.fd = fd
        self.loop = loop
        super.init(id: id, listener: listener)
        #if DEBUG
        Self.alive.add(1, ordering: .relaxed)
        #endif
    }

    #if DEBUG
    deinit {
        Self.alive.subtract(1, ordering: .relaxed)
    }
    #endif

    var isWritable: Bool { (outbound?.readableBytes ?? 0) < Self.highWatermark }
    /// Bytes the socket did not take yet.
    var unwrittenBytes: Int { outbound?.readableBytes ?? 0 }

    // MARK: transport operations

    override var eventLoop: any EventLoop { loop }

    override var remoteAddress: SocketAddress? { SocketAddress(socket: fd, peer: true) }

    override func setReading(_ enabled: Bool) {
        guard !closed, enabled != readingEnabled else { return }
        readingEnabled = enabled
        updateInterest()
    }

    override func sendThenClose(_ buffer: ByteBuffer) {
        guard !closed else { return }
        var buffer = buffer
        if outbound != nil {
            // Behind bytes still waiting: in order, then close.
            outbound!.writeBuffer(&buffer)
            closeWhenWritten = true
            return
        }
        switch writeSome(&buffer) {
        case .done, .failed:
            closeTransport()
        case .blocked:
            outbound = buffer
            closeWhenWritten = true
            updateInterest()
        }
    }

    override func closeTransport() {
        guard !closed else { return }
        closed = true
        outbound = nil
        loop.unregister(self)
        Glibc.close(fd)
        transportClosed()
    }

    override func makeOutput() -> ConnectionOutput {
        .poll(self)
    }

    // MARK: writing

    /// Encodes and writes (the handle's flush, on the loop).
    func send(_ encode: (inout ByteBuffer) -> Void) {
        guard !closed else { return }
        if outbound != nil {
            // Behind bytes still waiting: append, in order.
            encode(&outbound!)
            return
        }
        loop.writeBuffer.clear()
        encode(&loop.writeBuffer)
        defer { loop.trimWriteBuffer() }
        switch writeSome(&loop.writeBuffer) {
        case .done:
            break
        case .blocked:
            // Keep only what the socket did not take; the loop's buffer stays the loop's.
            var rest = ByteBufferAllocator().buffer(capacity: max(loop.writeBuffer.readableBytes, 1024))
            rest.writeBuffer(&loop.writeBuffer)
            outbound = rest
            updateInterest()
        case .failed:
            closeTransport()
        }
    }

    private enum WriteResult {
        case done
        /// The socket's buffer is full; the unwritten bytes are still in the buffer.
        case blocked
        /// The peer is gone (EPIPE, ECONNRESET, …).
        case failed
    }

    /// Writes until the buffer is empty or the socket would block.
    private func writeSome(_ buffer: inout ByteBuffer) -> WriteResult {
        while buffer.readableBytes > 0 {
            let written = buffer.withUnsafeReadableBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                buffer.moveReaderIndex(forwardBy: written)
                continue
            }
            let error = errno
            if written < 0 && error == EINTR { continue }
            if written < 0 && (error == EAGAIN || error == EWOULDBLOCK) { return .blocked }
            return .failed
        }
        return .done
    }

    private func writeOutbound() {
        guard var pending = outbound else { return updateInterest() }
        outbound = nil
        switch writeSome(&pending) {
        case .blocked:
            // Reclaim written bytes only once there are many of them: moving the rest on every partial write
            // would copy a large backlog over and over.
            if pending.readerIndex >= Self.highWatermark { pending.discardReadBytes() }
            outbound = pending
        case .failed:
            closeTransport()
        case .done:
            updateInterest()
            if closeWhenWritten { return closeTransport() }
            writable()
        }
    }

    private func updateInterest() {
        var events: UInt32 = 0
        if readingEnabled { events |= PollEvents.input }
        if outbound != nil { events |= PollEvents.output }
        if !loop.update(self, events: events) {
            // Not waiting for what it needs, the connection would stall for good.
            logger.warning("closing connection: epoll_ctl failed", metadata: metadata([:]))
            closeTransport()
        }
    }

    // MARK: readiness

    /// The socket is readable, writable or failed (on the loop).
    func ready(_ events: UInt32) {
        if events & PollEvents.output != 0 { writeOutbound() }
        if closed { return }
        if events & (PollEvents.error | PollEvents.hangUp) != 0 && !readingEnabled {
            // epoll reports errors and hang-ups whatever the connection waits for: with reading paused they
            // would be reported again at once, forever. The connection is gone; what was read is processed.
            readComplete()
            return closeTransport()
        }
        if events & (PollEvents.input | PollEvents.error | PollEvents.hangUp) != 0 { readAvailable() }
    }

    private func readAvailable() {
        // A few reads per wake-up, then other connections get their turn (level-triggered: the loop comes back).
        for _ in 0..<4 {
            guard readingEnabled, !closed else { break }
            // Before CONNACK no more than the pre-CONNECT budget is read (one byte more shows a client over it).
            let wanted = min(loop.readBuffer.count, max(1, preConnackReadLimit ?? loop.readBuffer.count))
            let count = Glibc.read(fd, loop.readBuffer.baseAddress, wanted)
            if count > 0 {
                var bytes = ByteBufferAllocator().buffer(capacity: count)
                bytes.writeBytes(UnsafeRawBufferPointer(rebasing: loop.readBuffer[..<count]))
                bytesReceived(bytes)
                if count < wanted { break }
                continue
            }
            if count == 0 {
                // The client closed its side: process what came before, then close.
                readComplete()
                return closeTransport()
            }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { break }
            readComplete()
            return closeTransport()
        }
        if !closed { readComplete() }
    }
}

extension SocketAddress {
    /// The numeric host of a socket's peer.
    static func peerHost(of fd: Int32) -> String? {
        var host = [CChar](repeating: 0, count: 64)
        var port: Int32 = 0
        guard cpoll_address(fd, 1, &host, host.count, &port) == 0 else { return nil }
        return host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// The peer (`peer`) or local address of a socket.
    init?(socket fd: Int32, peer: Bool) {
        var host = [CChar](repeating: 0, count: 64)
        var port: Int32 = 0
        guard cpoll_address(fd, peer ? 1 : 0, &host, host.count, &port) == 0 else { return nil }
        let text = host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard let address = try? SocketAddress(ipAddress: text, port: Int(port)) else { return nil }
        self = address
    }
}
#endif
