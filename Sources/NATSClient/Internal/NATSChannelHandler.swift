import NATSCore
import NIOCore

/// The only handler in a NATS channel's pipeline: it parses inbound bytes into operations and hands them, and
/// the channel's lifecycle events, to the owning ``NATSConnection``. It makes no decisions of its own.
///
/// The connection actor runs on this channel's event loop, so events are delivered synchronously with
/// `assumeIsolated`. Events that NIO may raise re-entrantly from inside a connection call (the channel closing or
/// changing writability while the connection writes or closes) are deferred to the next loop tick instead, so
/// the connection never observes them half-way through one of its own operations.
final class NATSChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let connection: NATSConnection
    /// Which channel of the connection this is; events of an old channel are ignored by the connection.
    private let generation: UInt64
    private var parser: NATSServerOperationParser
    private var failed = false

    init(connection: NATSConnection, generation: UInt64, parserLimits: NATSServerOperationParser.Limits) {
        self.connection = connection
        self.generation = generation
        self.parser = NATSServerOperationParser(limits: parserLimits)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else { return }
        let buffer = Self.unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { self.parser.append($0) }
        let connection = self.connection
        let generation = self.generation
        do {
            while let operation = try self.parser.next() {
                connection.assumeIsolated { $0.received(operation, generation: generation) }
            }
        } catch {
            self.failed = true
            connection.assumeIsolated { $0.protocolViolation(error, generation: generation) }
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let connection = self.connection
        let generation = self.generation
        context.eventLoop.execute {
            connection.assumeIsolated { $0.channelClosed(generation: generation) }
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let connection = self.connection
        let generation = self.generation
        context.eventLoop.execute {
            connection.assumeIsolated { $0.writabilityChanged(generation: generation) }
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let connection = self.connection
        let generation = self.generation
        connection.assumeIsolated { $0.channelError(error, generation: generation) }
        context.close(promise: nil)
    }
}
