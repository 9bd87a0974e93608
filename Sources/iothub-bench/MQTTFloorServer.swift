import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// The least a SwiftNIO-based broker keeps and spends per connection: a server with the hub's channel setup
/// (two event loops, TCP_NODELAY, the 256-byte first receive buffer) and one handler that answers the first
/// read with a CONNACK and then only holds the connection. `scripts/bench` runs the connect storm against it
/// beside IoTHub and mosquitto, as a reference row (what NIO alone costs).
struct MQTTFloorServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mqtt-floor-server",
        abstract: "A bare SwiftNIO server answering CONNECT with CONNACK (reference for the connect storm and idle memory)."
    )

    @Option(help: "Loopback address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: chosen at bind time; printed).") var port = 0

    func run() async throws {
        guard host == "localhost" || host == "::1" || host.hasPrefix("127.") else {
            throw ValidationError("--host must be a loopback address (127.x.x.x, ::1, localhost)")
        }
        _ = ProcessResources.raiseFileLimit()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                // As the hub does it: options set synchronously, not through NIO's per-option future chain.
                channel.eventLoop.makeCompletedFuture {
                    let options = channel.syncOptions
                    try options?.setOption(.socketOption(.tcp_nodelay), value: 1)
                    try options?.setOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65_536))
                    try channel.pipeline.syncOperations.addHandler(ConnAckOnce())
                }
            }
            .bind(host: host, port: port).get()
        FileHandle.standardOutput.write(Data("listening on port \(channel.localAddress?.port ?? port)\n".utf8))
        try await channel.closeFuture.get()
    }
}

/// Answers the first read with CONNACK (accepted) and ignores everything after it.
private final class ConnAckOnce: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        var buffer = context.channel.allocator.buffer(capacity: 4)
        buffer.writeBytes([0x20, 0x02, 0x00, 0x00])
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}
