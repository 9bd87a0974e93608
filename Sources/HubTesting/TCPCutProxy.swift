import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy on a loopback port to a target port, which a test can cut (every connection closed, new ones closed
/// at once: the target looks unreachable) and restore: a server's outage without stopping the server, which other
/// tests may share.
public final class TCPCutProxy: Sendable {
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let server: any Channel
    private let state: NIOLockedValueBox<State>

    struct State {
        var cut = false
        var open: [ObjectIdentifier: any Channel] = [:]
    }

    public static func start(targetPort: Int) async throws -> TCPCutProxy {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = NIOLockedValueBox(State())
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                let cut = state.withLockedValue { state in
                    if !state.cut { state.open[ObjectIdentifier(inbound)] = inbound }
                    return state.cut
                }
                guard !cut else { return inbound.close() }
                inbound.closeFuture.whenComplete { _ in _ = state.withLockedValue { $0.open.removeValue(forKey: ObjectIdentifier(inbound)) } }
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMap { outbound in
                        state.withLockedValue { $0.open[ObjectIdentifier(outbound)] = outbound }
                        outbound.closeFuture.whenComplete { _ in
                            _ = state.withLockedValue { $0.open.removeValue(forKey: ObjectIdentifier(outbound)) }
                            inbound.close(promise: nil)
                        }
                        inbound.closeFuture.whenComplete { _ in outbound.close(promise: nil) }
                        return outbound.pipeline.addHandler(Relay(to: inbound)).flatMap {
                            inbound.pipeline.addHandler(Relay(to: outbound))
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TCPCutProxy(port: server.localAddress?.port ?? 0, group: group, server: server, state: state)
    }

    private init(port: Int, group: MultiThreadedEventLoopGroup, server: any Channel, state: NIOLockedValueBox<State>) {
        self.port = port
        self.group = group
        self.server = server
        self.state = state
    }

    /// Closes every connection through the proxy, and every new one as it comes.
    public func cut() {
        let open = state.withLockedValue { state in
            state.cut = true
            defer { state.open.removeAll() }
            return Array(state.open.values)
        }
        for channel in open { channel.close(promise: nil) }
    }

    /// Forwards new connections again.
    public func restore() {
        state.withLockedValue { $0.cut = false }
    }

    public func stop() async {
        cut()
        try? await server.close()
        try? await group.shutdownGracefully()
    }

    /// Writes what one side reads to the other.
    final class Relay: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let peer: any Channel

        init(to peer: any Channel) { self.peer = peer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }
    }
}
