/// Hand-built MQTT 3.1 / 3.1.1 packets for conformance tests (mosquitto's `test/mqtt_packets.py` in
/// Swift). Written independently of MQTTCore on purpose, so the tests check the hub's codec against a
/// second reading of the specification rather than against itself.
public enum MQTTBytes {
    /// The protocol a conformance test runs with.
    public enum Version: Sendable, CaseIterable, CustomStringConvertible {
        /// MQTT 3.1.1: protocol name `MQTT`, level 4.
        case v3_1_1
        /// MQTT 3.1: protocol name `MQIsdp`, level 3.
        case v3_1

        public var protocolName: String { self == .v3_1_1 ? "MQTT" : "MQIsdp" }
        public var level: UInt8 { self == .v3_1_1 ? 4 : 3 }
        public var description: String { self == .v3_1_1 ? "MQTT 3.1.1" : "MQTT 3.1" }
        /// The CONNACK "session present" flag exists from 3.1.1 on; in 3.1 the byte is reserved (0).
        public var hasSessionPresent: Bool { self == .v3_1_1 }
    }

    public struct Will: Sendable {
        public var topic: String
        public var payload: [UInt8]
        public var qos: UInt8
        public var retain: Bool

        public init(topic: String, payload: [UInt8], qos: UInt8 = 0, retain: Bool = false) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    // MARK: building blocks

    /// The remaining-length encoding (1–4 bytes, 7 bits each, least significant first).
    public static func remainingLength(_ value: Int) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value % 128)
            value /= 128
            if value > 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value > 0
        return bytes
    }

    /// A two-byte length and the UTF-8 bytes of `text`.
    public static func string(_ text: String) -> [UInt8] { binary(Array(text.utf8)) }

    /// A two-byte length and the bytes.
    public static func binary(_ bytes: [UInt8]) -> [UInt8] { uint16(UInt16(bytes.count)) + bytes }

    public static func uint16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    /// First byte, remaining length, body.
    public static func packet(_ first: UInt8, _ body: [UInt8]) -> [UInt8] { [first] + remainingLength(body.count) + body }

    // MARK: client → server

    public static func connect(
        _ version: Version,
        clientId: String,
        clean: Bool = true,
        keepAlive: UInt16 = 60,
        will: Will? = nil,
        username: String? = nil,
        password: [UInt8]? = nil
    ) -> [UInt8] {
        connect(
            protocolName: version.protocolName, level: version.level, clientId: clientId, clean: clean, keepAlive: keepAlive,
            will: will, username: username, password: password
        )
    }

    /// A CONNECT with any protocol name and level (for the CONNACK 1 cases).
    public static func connect(
        protocolName: String,
        level: UInt8,
        clientId: String,
        clean: Bool = true,
        keepAlive: UInt16 = 60,
        will: Will? = nil,
        username: String? = nil,
        password: [UInt8]? = nil,
        extraFlags: UInt8 = 0
    ) -> [UInt8] {
        var flags: UInt8 = extraFlags
        if clean { flags |= 0x02 }
        if let will {
            flags |= 0x04 | will.qos << 3
            if will.retain { flags |= 0x20 }
        }
        if username != nil { flags |= 0x80 }
        if password != nil { flags |= 0x40 }
        var body = string(protocolName) + [level, flags] + uint16(keepAlive) + string(clientId)
        if let will { body += string(will.topic) + binary(will.payload) }
        if let username { body += string(username) }
        if let password { body += binary(password) }
        return packet(0x10, body)
    }

    public static func publish(
        _ topic: String, _ payload: [UInt8], qos: UInt8 = 0, retain: Bool = false, dup: Bool = false, packetId: UInt16? = nil
    ) -> [UInt8] {
        var first: UInt8 = 0x30 | qos << 1
        if retain { first |= 0x01 }
        if dup { first |= 0x08 }
        var body = string(topic)
        if qos > 0 { body += uint16(packetId ?? 1) }
        return packet(first, body + payload)
    }

    public static func publish(_ topic: String, _ payload: String, qos: UInt8 = 0, retain: Bool = false, dup: Bool = false, packetId: UInt16? = nil) -> [UInt8] {
        publish(topic, Array(payload.utf8), qos: qos, retain: retain, dup: dup, packetId: packetId)
    }

    public static func puback(_ packetId: UInt16) -> [UInt8] { [0x40, 0x02] + uint16(packetId) }
    public static func pubrec(_ packetId: UInt16) -> [UInt8] { [0x50, 0x02] + uint16(packetId) }
    public static func pubrel(_ packetId: UInt16) -> [UInt8] { [0x62, 0x02] + uint16(packetId) }
    public static func pubcomp(_ packetId: UInt16) -> [UInt8] { [0x70, 0x02] + uint16(packetId) }

    /// SUBSCRIBE with (filter, requested QoS) pairs.
    public static func subscribe(_ packetId: UInt16, _ filters: [(String, UInt8)]) -> [UInt8] {
        var body = uint16(packetId)
        for (filter, qos) in filters { body += string(filter) + [qos] }
        return packet(0x82, body)
    }

    public static func subscribe(_ packetId: UInt16, _ filter: String, qos: UInt8 = 0) -> [UInt8] {
        subscribe(packetId, [(filter, qos)])
    }

    public static func unsubscribe(_ packetId: UInt16, _ filters: [String]) -> [UInt8] {
        packet(0xA2, uint16(packetId) + filters.flatMap(string))
    }

    public static let pingreq: [UInt8] = [0xC0, 0x00]
    public static let disconnect: [UInt8] = [0xE0, 0x00]

    // MARK: server → client

    public static func connack(_ version: Version, sessionPresent: Bool = false, returnCode: UInt8 = 0) -> [UInt8] {
        [0x20, 0x02, sessionPresent && version.hasSessionPresent ? 0x01 : 0x00, returnCode]
    }

    public static func suback(_ packetId: UInt16, _ returnCodes: [UInt8]) -> [UInt8] {
        packet(0x90, uint16(packetId) + returnCodes)
    }

    public static func unsuback(_ packetId: UInt16) -> [UInt8] { [0xB0, 0x02] + uint16(packetId) }
    public static let pingresp: [UInt8] = [0xD0, 0x00]
}
