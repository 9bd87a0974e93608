/// Where a property list appears; decides which identifiers are allowed (MQTT 5 §2.2.2.2, Table 2-4).
struct MQTTPropertyContext: OptionSet, Sendable {
    let rawValue: UInt16

    static let connect = MQTTPropertyContext(rawValue: 1 << 0)
    static let connack = MQTTPropertyContext(rawValue: 1 << 1)
    static let publish = MQTTPropertyContext(rawValue: 1 << 2)
    static let will = MQTTPropertyContext(rawValue: 1 << 3)
    /// PUBACK, PUBREC, PUBREL, PUBCOMP.
    static let ack = MQTTPropertyContext(rawValue: 1 << 4)
    static let subscribe = MQTTPropertyContext(rawValue: 1 << 5)
    static let suback = MQTTPropertyContext(rawValue: 1 << 6)
    static let unsubscribe = MQTTPropertyContext(rawValue: 1 << 7)
    static let unsuback = MQTTPropertyContext(rawValue: 1 << 8)
    static let disconnect = MQTTPropertyContext(rawValue: 1 << 9)
    static let auth = MQTTPropertyContext(rawValue: 1 << 10)

    static let all: MQTTPropertyContext = [
        .connect, .connack, .publish, .will, .ack, .subscribe, .suback, .unsubscribe, .unsuback, .disconnect, .auth,
    ]

    /// Contexts in which `identifier` may appear (empty for unknown identifiers).
    static func allowing(_ identifier: UInt8) -> MQTTPropertyContext {
        switch identifier {
        case 0x01, 0x02, 0x03, 0x08, 0x09: [.publish, .will]
        case 0x0B: [.publish, .subscribe]
        case 0x11: [.connect, .connack, .disconnect]
        case 0x12, 0x13, 0x1A, 0x24, 0x25, 0x28, 0x29, 0x2A: .connack
        case 0x15, 0x16: [.connect, .connack, .auth]
        case 0x17, 0x19: .connect
        case 0x18: .will
        case 0x1C: [.connack, .disconnect]
        case 0x1F: [.connack, .ack, .suback, .unsuback, .disconnect, .auth]
        case 0x21, 0x22, 0x27: [.connect, .connack]
        case 0x23: .publish
        case 0x26: .all
        default: []
        }
    }
}
