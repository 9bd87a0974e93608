/// The MQTT protocol level carried in CONNECT.
///
/// The version only matters to the encoder and decoder; the packet model is the same for every version
/// (an MQTT 5 superset whose v5-only fields are ignored for 3.x).
public enum MQTTProtocolVersion: UInt8, Sendable, Hashable, CaseIterable {
    /// MQTT 3.1: protocol name `MQIsdp`, level 3.
    case v3_1 = 3
    /// MQTT 3.1.1: protocol name `MQTT`, level 4.
    case v3_1_1 = 4
    /// MQTT 5.0: protocol name `MQTT`, level 5.
    case v5 = 5

    /// The protocol name this level is sent with in CONNECT.
    public var protocolName: String {
        switch self {
        case .v3_1: "MQIsdp"
        case .v3_1_1, .v5: "MQTT"
        }
    }

    /// The version a CONNECT's protocol name and level name, or `nil` for any other combination
    /// (the server answers those with CONNACK 1, MQTT-3.1.2-2).
    public init?(protocolName: String, protocolLevel: UInt8) {
        guard let version = MQTTProtocolVersion(rawValue: protocolLevel), version.protocolName == protocolName else {
            return nil
        }
        self = version
    }
}
