/// The control packet type: the high nibble of the first fixed-header byte.
public enum MQTTPacketType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case connect = 1
    case connack = 2
    case publish = 3
    case puback = 4
    case pubrec = 5
    case pubrel = 6
    case pubcomp = 7
    case subscribe = 8
    case suback = 9
    case unsubscribe = 10
    case unsuback = 11
    case pingreq = 12
    case pingresp = 13
    case disconnect = 14
    /// MQTT 5 only; reserved (forbidden) in 3.1.1.
    case auth = 15

    /// The low nibble every packet of this type must carry (MQTT-2.2.2-1; MQTT 5: MQTT-2.1.3-1).
    /// PUBLISH has no fixed value (DUP, QoS, RETAIN); this returns 0 for it.
    public var requiredFlags: UInt8 {
        switch self {
        case .pubrel, .subscribe, .unsubscribe: 0b0010
        default: 0
        }
    }

    /// A lowercase name for logs and metrics (`publish`, `puback`, …).
    public var description: String {
        switch self {
        case .connect: "connect"
        case .connack: "connack"
        case .publish: "publish"
        case .puback: "puback"
        case .pubrec: "pubrec"
        case .pubrel: "pubrel"
        case .pubcomp: "pubcomp"
        case .subscribe: "subscribe"
        case .suback: "suback"
        case .unsubscribe: "unsubscribe"
        case .unsuback: "unsuback"
        case .pingreq: "pingreq"
        case .pingresp: "pingresp"
        case .disconnect: "disconnect"
        case .auth: "auth"
        }
    }
}
