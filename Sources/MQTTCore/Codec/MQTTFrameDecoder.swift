public import NIOCore

/// Stage 1 of decoding: splits the byte stream into ``MQTTFrame``s.
///
/// Reads the fixed header and the remaining length, checks the whole packet against `maxPacketSize` as soon as the
/// remaining length is known (before any of the body is buffered), then returns the body as a slice. This is the only
/// place where "need more data" happens; stage 2 (``MQTTPacketDecoder``) sees complete packets only.
/// Drive it with `ByteToMessageHandler` or `NIOSingleStepByteToMessageProcessor`.
public struct MQTTFrameDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    public typealias InboundOut = MQTTFrame

    /// Largest packet accepted, fixed header included (MQTT 5 "Maximum Packet Size" semantics).
    public let maxPacketSize: Int

    /// - Parameter maxPacketSize: largest packet accepted, fixed header included; at most 268,435,460
    ///   (1 + 4 + 268,435,455), larger values change nothing.
    public init(maxPacketSize: Int) {
        precondition(maxPacketSize >= 2, "maxPacketSize must allow at least a 2-byte packet")
        self.maxPacketSize = maxPacketSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> MQTTFrame? {
        try decodeFrame(&buffer)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> MQTTFrame? {
        // A partial packet at EOF is left in the buffer: the connection is gone either way.
        try decodeFrame(&buffer)
    }

    /// One frame, `nil` if `buffer` does not hold a complete packet yet.
    public func decodeFrame(_ buffer: inout ByteBuffer) throws(MQTTCodecError) -> MQTTFrame? {
        let start = buffer.readerIndex
        guard let typeAndFlags = buffer.getInteger(at: start, as: UInt8.self) else {
            return nil
        }
        let remainingLength: Int
        let headerLength: Int
        switch VariableByteInteger.peek(buffer, at: start + 1) {
        case .needMoreData:
            return nil
        case .malformed:
            // 3.1.1 §2.2.3: "The maximum number of bytes in the Remaining Length field is four."
            throw .malformed("remaining length longer than 4 bytes")
        case .value(let value, let length):
            remainingLength = Int(value)
            headerLength = 1 + length
        }
        guard headerLength + remainingLength <= maxPacketSize else {
            throw MQTTCodecError(
                .packetTooLarge,
                "packet of \(headerLength + remainingLength) bytes exceeds the maximum of \(maxPacketSize)"
            )
        }
        guard buffer.readableBytes >= headerLength + remainingLength else {
            return nil
        }
        buffer.moveReaderIndex(forwardBy: headerLength)
        let body = buffer.readSlice(length: remainingLength)!
        return MQTTFrame(typeAndFlags: typeAndFlags, body: body)
    }
}
