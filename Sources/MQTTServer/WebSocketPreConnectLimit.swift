import NIOCore

/// Bounds what the WebSocket frame decoder may hold before the MQTT login is decided.
///
/// The frame decoder buffers a whole frame before passing it on, up to its maximum frame size (large
/// enough for the biggest MQTT packet), so a client could otherwise make the hub hold that much per socket
/// before it has even sent CONNECT. This handler sits in front of the decoder and reads the frame headers
/// as they pass: until the login is decided, the payloads the frames declare may add up to the pre-CONNECT
/// budget (`MQTTServerConfiguration.preConnectBytes`), and a frame declaring more closes the connection at
/// once, before its payload is buffered. Once the client is connected it takes itself out of the pipeline.
final class WebSocketPreConnectLimit: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let budget: Int
    /// Whether the MQTT login is decided (the connection is past CONNACK, or closing).
    private let decided: () -> Bool
    private var declared = 0
    /// The bytes of a frame header read so far (at most 14: 2, an extended length of 2 or 8, a mask of 4).
    private var header: [UInt8] = []
    /// Payload bytes of the current frame still to pass.
    private var payloadLeft: UInt64 = 0

    init(budget: Int, decided: @escaping () -> Bool) {
        self.budget = budget
        self.decided = decided
        header.reserveCapacity(14)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if decided() {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        let bytes = unwrapInboundIn(data)
        let view = bytes.readableBytesView
        var index = view.startIndex
        while index < view.endIndex {
            if payloadLeft > 0 {
                let skip = min(payloadLeft, UInt64(view.endIndex - index))
                payloadLeft -= skip
                index += Int(skip)
                continue
            }
            header.append(view[index])
            index += 1
            guard let length = Self.headerLength(header), header.count == length else { continue }
            let payload = Self.payloadLength(header)
            header.removeAll(keepingCapacity: true)
            guard payload <= UInt64(budget - declared) else {
                context.close(promise: nil)
                return
            }
            declared += Int(payload)
            payloadLeft = payload
        }
        context.fireChannelRead(data)
    }

    /// The length of a frame header once its first two bytes are known (RFC 6455 §5.2).
    private static func headerLength(_ header: [UInt8]) -> Int? {
        guard header.count >= 2 else { return nil }
        let length7 = header[1] & 0x7F
        let extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0
        return 2 + extended + (header[1] & 0x80 != 0 ? 4 : 0)
    }

    private static func payloadLength(_ header: [UInt8]) -> UInt64 {
        let length7 = header[1] & 0x7F
        switch length7 {
        case 126: return UInt64(header[2]) << 8 | UInt64(header[3])
        case 127: return header[2..<10].reduce(0) { $0 << 8 | UInt64($1) }
        default: return UInt64(length7)
        }
    }
}
