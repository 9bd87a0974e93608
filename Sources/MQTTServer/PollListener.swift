#if os(Linux)
import BrokerCore
import CPollShims
import Glibc
import Logging
import NIOCore
import Synchronization

/// A listening plain-TCP socket of the poll transport. Every loop of the group waits on it (EPOLLEXCLUSIVE);
/// the loop that accepts hands the connections out round-robin over all loops. (EPOLLEXCLUSIVE wakes the
/// first idle loop in registration order, so the loop that accepts is mostly the first one: without the
/// hand-out, one loop would hold most connections.)
final class PollListener: @unchecked Sendable {
    let fd: Int32
    let port: Int
    let context: MQTTListenerContext
    /// Set before the loops forget the socket: a paused loop must not take it up again.
    let closed = Atomic<Bool>(false)
    static let acceptPauseMilliseconds: Int64 = 250
    private let loops: [PollLoop]
    private let nextLoop = Atomic<Int>(0)
    private let nextID: @Sendable () -> ConnectionID

    /// Binds and listens (backlog 1024, SO_REUSEADDR, non-blocking).
    init(
        host: String, port: Int, context: MQTTListenerContext, loops: [PollLoop],
        nextID: @escaping @Sendable () -> ConnectionID
    ) throws {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let family: Int32 = address.protocol == .inet6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw PollError.system("socket", errno) }
        do {
            var one: Int32 = 1
            guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw PollError.system("setsockopt", errno)
            }
            // Accepted sockets inherit TCP_NODELAY from the listening socket on Linux: one system call less
            // per connection (the balance test checks the accepted sockets have it).
            guard setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw PollError.system("setsockopt", errno)
            }
            let bound = address.withSockAddr { pointer, length in bind(fd, pointer, socklen_t(length)) }
            guard bound == 0 else { throw PollError.system("bind \(host):\(port)", errno) }
            guard listen(fd, 1024) == 0 else { throw PollError.system("listen", errno) }
            guard let local = SocketAddress(socket: fd, peer: false), let localPort = local.port else {
                throw PollError.system("getsockname", errno)
            }
            self.port = localPort
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.fd = fd
        self.context = context
        self.loops = loops
        self.nextID = nextID
    }

    /// Accepts waiting connections onto `loop` (a bounded number per wake-up, so that other loops and this
    /// loop's connections get their turn during a storm).
    func acceptReady(on loop: PollLoop) {
        for _ in 0..<64 {
            let client = cpoll_accept(fd)
            if client < 0 {
                let error = errno
                if error == EINTR || error == ECONNABORTED { continue }
                if error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM {
                    // The listening socket stays readable while connections wait, so a loop that kept waiting
                    // on it would spin; it stops accepting for a moment instead (as NIO's accept backoff).
                    context.metrics.acceptFailed(error == ENOBUFS || error == ENOMEM ? "out_of_memory" : "out_of_descriptors")
                    context.logger.warning(
                        "MQTT accept failed; pausing accepts for \(Self.acceptPauseMilliseconds) ms",
                        metadata: ["error": "\(String(cString: strerror(error)))"]
                    )
                    loop.pauseAccepting(self, for: .milliseconds(Self.acceptPauseMilliseconds))
                }
                return
            }
            // A refused (banned) source: CONNACK 5 into the empty send buffer, and closed, its CONNECT unread.
            if let refused = context.refusedAtAccept, let address = SocketAddress.peerHost(of: client), refused(address) {
                _ = MQTTListenerContext.refusedConnack.withUnsafeBytes { Glibc.write(client, $0.baseAddress, $0.count) }
                Glibc.close(client)
                context.metrics.connectionClosed("refused_at_accept")
                continue
            }
            // Sockets that have not sent CONNECT are bounded (nothing to answer yet: closed); the connection
            // limit itself is checked at CONNECT, which is answered with CONNACK 3.
            guard context.limits.acceptPending() else {
                context.metrics.connectionClosed("max_pending_connections")
                Glibc.close(client)
                continue
            }
            let id = nextID()
            let target = loops[nextLoop.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
            if target === loop {
                adopt(client, id: id, on: loop)
            } else {
                target.execute { self.adopt(client, id: id, on: target) }
            }
        }
    }

    /// Makes an accepted socket a connection of `loop` (on that loop).
    private func adopt(_ client: Int32, id: ConnectionID, on loop: PollLoop) {
        let connection = PollConnection(fd: client, id: id, listener: context, loop: loop)
        do {
            try loop.register(connection)
        } catch {
            // The connection is freed here and gives its pending place back.
            Glibc.close(client)
            return
        }
        loop.awaitConnect(connection, timeoutSeconds: context.connectTimeoutSeconds)
    }

    func close() {
        precondition(closed.load(ordering: .relaxed), "every loop forgets a listener before it is closed")
        Glibc.close(fd)
    }
}
#endif
