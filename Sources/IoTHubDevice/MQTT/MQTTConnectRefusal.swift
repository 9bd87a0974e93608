/// A CONNACK return code other than 0 (MQTT 3.1.1 §3.2.2.3), with what it means for a Tencent-style hub
/// (device-protocol.md §5.8).
public struct MQTTConnectRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var returnCode: UInt8

    public init(returnCode: UInt8) {
        self.returnCode = returnCode
    }

    public static let unacceptableProtocolVersion = Self(returnCode: 1)
    public static let identifierRejected = Self(returnCode: 2)
    public static let serverUnavailable = Self(returnCode: 3)
    public static let badUsernameOrPassword = Self(returnCode: 4)
    public static let notAuthorized = Self(returnCode: 5)

    /// A stable snake_case name (fleet summaries, logs).
    public var reasonCode: String {
        switch returnCode {
        case 1: "unacceptable_protocol_version"
        case 2: "identifier_rejected"
        case 3: "server_unavailable"
        case 4: "bad_username_or_password"
        case 5: "not_authorized"
        default: "connack_\(returnCode)"
        }
    }

    public var description: String {
        switch returnCode {
        case 1: "CONNACK 1: unacceptable protocol version"
        case 2: "CONNACK 2: client identifier rejected"
        case 3: "CONNACK 3: server unavailable"
        case 4: "CONNACK 4: bad username or password (wrong or outdated device credential)"
        case 5: "CONNACK 5: not authorized (device or product disabled, deleted, or certificate refused)"
        default: "CONNACK \(returnCode)"
        }
    }
}
