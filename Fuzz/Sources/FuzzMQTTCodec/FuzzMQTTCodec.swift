import MQTTCore
import NIOCore

/// libFuzzer entry point. The first byte picks the protocol version; the rest is a byte stream fed through both
/// decoder stages. Every decoded packet must re-encode to bytes that decode to the same packet; a crash, a trap or a
/// failed precondition is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMQTTCodec(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    guard let selector = input.first else {
        return 0
    }
    let versions: [MQTTProtocolVersion] = [.v3_1, .v3_1_1, .v5]
    let version = versions[Int(selector) % versions.count]
    var stream = ByteBuffer(bytes: input.dropFirst())
    let decoder = MQTTFrameDecoder(maxPacketSize: 1 << 16)
    while true {
        let frame: MQTTFrame
        do {
            guard let next = try decoder.decodeFrame(&stream) else {
                break
            }
            frame = next
        } catch {
            break
        }
        guard let packet = try? MQTTPacketDecoder.decode(frame, version: version) else {
            continue
        }
        var wire = ByteBuffer()
        MQTTPacketEncoder.encode(packet, version: version, into: &wire)
        precondition(wire.readableBytes == MQTTPacketEncoder.encodedSize(packet, version: version), "encodedSize")
        let reframed = try! MQTTFrameDecoder(maxPacketSize: .max).decodeFrame(&wire)!
        let again = try! MQTTPacketDecoder.decode(reframed, version: version)
        precondition(again == packet, "round trip changed the packet")
    }
    return 0
}
