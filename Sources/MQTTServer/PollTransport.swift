import NIOConcurrencyHelpers
import NIOCore
import Synchronization
#if os(Linux)
import Glibc
#endif

/// The poll engine's loops and listening sockets of one `MQTTServer` (plain-TCP listeners when
/// `MQTTServerConfiguration.tcpEngine` is `.poll`). Loops start with the first listener.
final class PollTransport: Sendable {
    #if os(Linux)
    private let state = NIOLockedValueBox<(loops: [PollLoop], listeners: [PollListener])>(([], []))
    #endif

    /// Binds a listener and has every loop accept on it; returns the bound port.
    func bind(_ listener: MQTTServerConfiguration.Listener, server: MQTTServer) async throws -> Int {
        #if os(Linux)
        var loops = state.withLockedValue { $0.loops }
        if loops.isEmpty {
            loops = try (0..<max(1, server.configuration.pollThreads)).map { try PollLoop(index: $0) }
            for loop in loops { loop.start() }
            state.withLockedValue { $0.loops = loops }
        }
        let socket = try PollListener(
            host: listener.host, port: listener.port, context: server.listenerContext(webSocket: false, tls: false), loops: loops,
            maxConnections: server.configuration.maxConnections, nextID: { [unowned server] in server.nextConnectionID() }
        )
        state.withLockedValue { $0.listeners.append(socket) }
        for loop in loops {
            try await loop.submit { try loop.register(socket) }.get()
        }
        return socket.port
        #else
        throw MQTTServerError.pollEngineUnavailable
        #endif
    }

    /// Stops accepting: every loop forgets the listening sockets, then they are closed.
    func closeListeners() async {
        #if os(Linux)
        let (loops, listeners) = state.withLockedValue { state in
            defer { state.listeners = [] }
            return (state.loops, state.listeners)
        }
        for listener in listeners { listener.closed.store(true, ordering: .relaxed) }
        for loop in loops {
            try? await loop.submit { for listener in listeners { loop.unregister(listener) } }.get()
        }
        for listener in listeners { listener.close() }
        #endif
    }

    /// Whether every connection's socket has TCP_NODELAY set (for tests).
    func allConnectionsHaveNoDelay() async throws -> Bool {
        #if os(Linux)
        for loop in state.withLockedValue({ $0.loops }) {
            let ok = try await loop.submit {
                loop.allConnections.allSatisfy { connection in
                    var value: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    return getsockopt(connection.fd, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length) == 0 && value != 0
                }
            }.get()
            if !ok { return false }
        }
        return true
        #else
        return false
        #endif
    }

    /// The number of connections on each loop (for tests).
    func connectionsPerLoop() async throws -> [Int] {
        #if os(Linux)
        var counts: [Int] = []
        for loop in state.withLockedValue({ $0.loops }) {
            counts.append(try await loop.submit { loop.allConnections.count }.get())
        }
        return counts
        #else
        return []
        #endif
    }

    /// Closes the listeners and every connection, and stops the loops.
    func shutdown() async {
        await closeListeners()
        #if os(Linux)
        let loops = state.withLockedValue { state in
            defer { state.loops = [] }
            return state.loops
        }
        for loop in loops { try? await loop.shutdownGracefully() }
        #endif
    }
}

/// Errors of the MQTT server.
enum MQTTServerError: Error, CustomStringConvertible {
    case pollEngineUnavailable

    var description: String {
        switch self {
        case .pollEngineUnavailable: "the poll engine for plain-TCP listeners needs Linux; use tcpEngine = .nio"
        }
    }
}
