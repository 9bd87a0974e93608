extension MQTTProperties {
    /// Wire types of property values (MQTT 5 §2.2.2.2).
    public enum ValueKind: Sendable, Hashable {
        case byte, twoByteInt, fourByteInt, varInt, string, binary, stringPair
    }

    /// Property identifiers of MQTT 5 (§2.2.2.2, Table 2-4).
    public enum Identifier {
        public static let payloadFormatIndicator: UInt8 = 0x01
        public static let messageExpiryInterval: UInt8 = 0x02
        public static let contentType: UInt8 = 0x03
        public static let responseTopic: UInt8 = 0x08
        public static let correlationData: UInt8 = 0x09
        public static let subscriptionIdentifier: UInt8 = 0x0B
        public static let sessionExpiryInterval: UInt8 = 0x11
        public static let assignedClientIdentifier: UInt8 = 0x12
        public static let serverKeepAlive: UInt8 = 0x13
        public static let authenticationMethod: UInt8 = 0x15
        public static let authenticationData: UInt8 = 0x16
        public static let requestProblemInformation: UInt8 = 0x17
        public static let willDelayInterval: UInt8 = 0x18
        public static let requestResponseInformation: UInt8 = 0x19
        public static let responseInformation: UInt8 = 0x1A
        public static let serverReference: UInt8 = 0x1C
        public static let reasonString: UInt8 = 0x1F
        public static let receiveMaximum: UInt8 = 0x21
        public static let topicAliasMaximum: UInt8 = 0x22
        public static let topicAlias: UInt8 = 0x23
        public static let maximumQoS: UInt8 = 0x24
        public static let retainAvailable: UInt8 = 0x25
        public static let userProperty: UInt8 = 0x26
        public static let maximumPacketSize: UInt8 = 0x27
        public static let wildcardSubscriptionAvailable: UInt8 = 0x28
        public static let subscriptionIdentifierAvailable: UInt8 = 0x29
        public static let sharedSubscriptionAvailable: UInt8 = 0x2A

        /// The wire type of `identifier`, or `nil` for an identifier MQTT 5 does not define.
        public static func valueKind(of identifier: UInt8) -> ValueKind? {
            switch identifier {
            case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A: .byte
            case 0x13, 0x21, 0x22, 0x23: .twoByteInt
            case 0x02, 0x11, 0x18, 0x27: .fourByteInt
            case 0x0B: .varInt
            case 0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F: .string
            case 0x09, 0x16: .binary
            case 0x26: .stringPair
            default: nil
            }
        }
    }
}
