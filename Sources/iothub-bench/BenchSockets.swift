import NIOCore
import NIOPosix

/// Client sockets bound to a chosen loopback source address before they connect (the flood scenario
/// keeps the legit load and the flood on different addresses, as a hub with per-source limits sees them).
enum BenchSockets {
    /// A bootstrap whose sockets bind to `source` (port chosen at connect, `IP_BIND_ADDRESS_NO_PORT`).
    static func bootstrap(on loop: any EventLoop, source: String, connectTimeout: TimeAmount = .seconds(10)) throws -> ClientBootstrap {
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(ChannelOptions.Types.SocketOption(level: .ip, name: NIOBSDSocket.Option(rawValue: 24)), value: 1)
            .connectTimeout(connectTimeout)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
    }

    /// `prefix.2`, `prefix.3`, … for `count` addresses (at most 253 per prefix).
    static func addresses(prefix: String, count: Int) -> [String] {
        (0..<min(max(count, 1), 253)).map { "\(prefix).\(2 + $0)" }
    }

    /// A short, stable name for a failed connect (the counts are grouped by it).
    static func failureName(_ error: any Error) -> String {
        if let error = error as? IOError { return "connect failed (errno \(error.errnoCode))" }
        if let error = error as? ChannelError, case .connectTimeout = error { return "connect timed out" }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first?.error as? IOError { return "connect failed (errno \(first.errnoCode))" }
            return "connect failed"
        }
        let text = String(describing: error)
        return "connect failed (" + String(text.prefix(60)) + ")"
    }
}
