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
            nextID: { [unowned server] in server.nextConnectionID() }
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

    /// The descriptors of each loop's connections (for tests).
    func connectionDescriptors() async throws -> [[Int32]] {
        #if os(Linux)
        var result: [[Int32]] = []
        for loop in state.withLockedValue({ $0.loops }) {
            result.append(try await loop.submit { loop.allConnections.map(\.fd) }.get())
        }
        return result
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
