public import NIOCore

/// One framed control packet: the first fixed-header byte and the bytes the remaining length covers.
public struct MQTTFrame: Sendable, Equatable {
    /// Packet type (high nibble) and flags (low nibble).
    public var typeAndFlags: UInt8
    /// Variable header and payload (a slice of the received bytes).
    public var body: ByteBuffer

    public init(typeAndFlags: UInt8, body: ByteBuffer) {
        self.typeAndFlags = typeAndFlags
        self.body = body
    }

    /// The packet type nibble, `nil` for 0 (forbidden).
    public var packetType: MQTTPacketType? { MQTTPacketType(rawValue: typeAndFlags >> 4) }

    /// The low nibble of the first byte.
    public var flags: UInt8 { typeAndFlags & 0x0F }

    /// Size of the whole packet on the wire (fixed header included).
    public var packetSize: Int {
        1 + VariableByteInteger.size(of: UInt32(body.readableBytes)) + body.readableBytes
    }
}
