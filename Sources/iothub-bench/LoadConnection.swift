import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection of a load run: sends the request its driver hands it, collects
/// the response and hands it back. One request in flight at a time.
final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let driver: LoadDriver
    private var context: ChannelHandlerContext?
    private(set) var isOpen = false

    private var busy = false
    private var index = 0
    private var startedAt: UInt64 = 0
    private var measured = false
    private var status = HTTPResponseStatus.ok
    private var body: ByteBuffer?

    init(driver: LoadDriver) {
        self.driver = driver
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        isOpen = context.channel.isActive
        driver.register(self)
    }

    func channelActive(context: ChannelHandlerContext) {
        isOpen = true
        context.fireChannelActive()
    }

    func send(_ request: PreparedRequest, index: Int, startedAt: UInt64, measured: Bool) {
        guard let context else { return }
        busy = true
        self.index = index
        self.startedAt = startedAt
        self.measured = measured
        // The head only tells the response decoder the method; PreparedRequestWriter sends the bytes.
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.bytes))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
            body = nil
        case .body(var part):
            if body == nil {
                body = part
            } else {
                body!.writeBuffer(&part)
            }
        case .end:
            guard busy else { return }
            busy = false
            let body = self.body
            self.body = nil
            driver.completed(on: self, index: index, startedAt: startedAt, measured: measured, status: status, body: body)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        let lost = busy
        busy = false
        driver.closed(self, hadRequestInFlight: lost)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func close() {
        guard isOpen, let context else { return }
        context.close(promise: nil)
    }
}
