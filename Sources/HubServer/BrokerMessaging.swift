import BrokerCore
import HubHTTP
import MQTTCore
import MQTTServer
import NIOCore

/// The management API's messaging over the broker engine (in-process, no socket).
struct BrokerMessaging: DeviceMessaging {
    let host: BrokerHost

    func isOnline(clientId: String) -> Bool {
        host.inspect { $0.isConnected(clientId: clientId) }
    }

    func isSubscribed(clientId: String, topic: String) -> Bool {
        host.inspect { $0.isSubscribed(clientId: clientId, topic: topic) }
    }

    func publish(topic: String, payload: [UInt8], qos: Int) {
        let message = MQTTPublish(
            topic: topic, payload: ByteBuffer(bytes: payload), qos: qos == 1 ? .atLeastOnce : .atMostOnce, retain: false, dup: false,
            packetId: nil, properties: MQTTProperties()
        )
        host.perform { broker, _ in broker.publish(message) }
    }
}
