/// A packet the codec refuses. The receiver closes the connection (MQTT-4.8.0-1; in MQTT 5 after a DISCONNECT with
/// the reason code the connection layer picks for ``code``).
public struct MQTTCodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong; stable, compare with the static members. New codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: UInt8, Sendable, Hashable {
            case malformedPacket, packetTooLarge, protocolViolation, unsupportedProtocolVersion
            case invalidUTF8, invalidTopic, invalidFixedHeaderFlags, invalidPacketIdentifier, invalidQoS
            case invalidProperty
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// Bytes that do not form the packet (wrong lengths, bad remaining length, unknown packet type, …).
        public static let malformedPacket = Code(.malformedPacket)
        /// The packet is larger than the decoder's maximum packet size.
        public static let packetTooLarge = Code(.packetTooLarge)
        /// Well-formed bytes that break a protocol rule (e.g. a password without a user name in 3.1.1).
        public static let protocolViolation = Code(.protocolViolation)
        /// Not thrown by the decoder (a CONNECT with an unknown protocol level decodes, so the server can answer
        /// CONNACK 1); for the connection layer to report such a CONNECT with the same error type.
        public static let unsupportedProtocolVersion = Code(.unsupportedProtocolVersion)
        /// A string that is not well-formed UTF-8 or contains U+0000 (MQTT-1.5.3-1, MQTT-1.5.3-2).
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// A topic name with wildcards or an invalid topic filter (MQTT-3.3.2-2, MQTT-4.7.1-*, MQTT-4.7.3-*).
        public static let invalidTopic = Code(.invalidTopic)
        /// Reserved fixed-header flags with the wrong value (MQTT-2.2.2-1, MQTT-2.2.2-2).
        public static let invalidFixedHeaderFlags = Code(.invalidFixedHeaderFlags)
        /// A packet identifier of 0 (MQTT-2.3.1-1).
        public static let invalidPacketIdentifier = Code(.invalidPacketIdentifier)
        /// A QoS of 3 (MQTT-3.3.1-4, MQTT-3.1.2-14, MQTT-3-8.3-4).
        public static let invalidQoS = Code(.invalidQoS)
        /// An MQTT 5 property that is unknown, not allowed in the packet, repeated, or out of range.
        public static let invalidProperty = Code(.invalidProperty)

        public var description: String {
            switch base {
            case .malformedPacket: "malformedPacket"
            case .packetTooLarge: "packetTooLarge"
            case .protocolViolation: "protocolViolation"
            case .unsupportedProtocolVersion: "unsupportedProtocolVersion"
            case .invalidUTF8: "invalidUTF8"
            case .invalidTopic: "invalidTopic"
            case .invalidFixedHeaderFlags: "invalidFixedHeaderFlags"
            case .invalidPacketIdentifier: "invalidPacketIdentifier"
            case .invalidQoS: "invalidQoS"
            case .invalidProperty: "invalidProperty"
            }
        }
    }

    public var code: Code
    /// What was wrong, for logs (never contains packet contents).
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "MQTTCodecError.\(code): \(message)" }

    static func malformed(_ message: String) -> MQTTCodecError { MQTTCodecError(.malformedPacket, message) }
    static func protocolViolation(_ message: String) -> MQTTCodecError { MQTTCodecError(.protocolViolation, message) }
}
