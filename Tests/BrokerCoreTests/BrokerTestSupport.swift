import BrokerCore
import MQTTCore
import NIOCore
import XCTest

/// Builds packets and reads actions for broker state-machine tests.
enum P {
    static func connect(_ clientId: String, clean: Bool = true, keepAlive: UInt16 = 60, will: MQTTWill? = nil, level: UInt8 = 4) -> MQTTConnect {
        MQTTConnect(
            protocolName: level == 3 ? "MQIsdp" : "MQTT", protocolLevel: level, cleanSession: clean, keepAlive: keepAlive, clientId: clientId,
            will: will, username: nil, password: nil, properties: MQTTProperties()
        )
    }

    static func publish(_ topic: String, _ text: String, qos: MQTTQoS = .atMostOnce, retain: Bool = false, id: UInt16? = nil, dup: Bool = false) -> MQTTPacket {
        .publish(message(topic, text, qos: qos, retain: retain, id: id, dup: dup))
    }

    static func message(_ topic: String, _ text: String, qos: MQTTQoS = .atMostOnce, retain: Bool = false, id: UInt16? = nil, dup: Bool = false) -> MQTTPublish {
        MQTTPublish(topic: topic, payload: ByteBuffer(string: text), qos: qos, retain: retain, dup: dup, packetId: id, properties: MQTTProperties())
    }

    static func subscribe(_ id: UInt16, _ filters: [(String, MQTTQoS)]) -> MQTTPacket {
        .subscribe(MQTTSubscribe(packetId: id, subscriptions: filters.map { MQTTSubscription(filter: $0.0, qos: $0.1) }, properties: MQTTProperties()))
    }

    static func ack(_ id: UInt16) -> MQTTAck { MQTTAck(packetId: id, reasonCode: 0, properties: MQTTProperties()) }

    static func will(_ topic: String, _ text: String, qos: MQTTQoS = .atMostOnce, retain: Bool = false) -> MQTTWill {
        MQTTWill(topic: topic, payload: ByteBuffer(string: text), qos: qos, retain: retain, properties: MQTTProperties())
    }
}

extension [BrokerAction] {
    /// Packets sent to one connection, in order.
    func sent(to connection: ConnectionID) -> [MQTTPacket] {
        compactMap { if case .send(connection, let packet) = $0 { packet } else { nil } }
    }

    /// PUBLISH packets sent to one connection.
    func publishes(to connection: ConnectionID) -> [MQTTPublish] {
        sent(to: connection).compactMap { if case .publish(let p) = $0 { p } else { nil } }
    }

    func closes() -> [(ConnectionID, BrokerCloseReason)] {
        compactMap { if case .close(let c, let r) = $0 { (c, r) } else { nil } }
    }
}

extension MQTTPublish {
    var text: String { String(buffer: payload) }
}

/// Denies publish to and subscription on anything under `secret/`.
struct SecretDenyingAuthorizer: BrokerAuthorizer {
    func maySubscribe(_ identity: ClientIdentity, filter: String) -> Bool { !filter.hasPrefix("secret") && filter != "#" }
    func mayPublish(_ identity: ClientIdentity, topic: String) -> Bool { !topic.hasPrefix("secret/") }
    func mayReceive(_ identity: ClientIdentity, topic: String) -> Bool { !topic.hasPrefix("secret/") }
}
