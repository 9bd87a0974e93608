import BrokerCore
import HubHTTP
import MQTTCore
import MQTTServer
import NIOCore
import Registry

/// The management API's messaging over the broker engine (in-process, no socket).
struct BrokerMessaging: DeviceMessaging {
    let host: BrokerHost
    let services: HubServices

    func isOnline(clientId: String) -> Bool {
        host.inspect { $0.isConnected(clientId: clientId) }
    }

    func isSubscribed(clientId: String, topic: String) -> Bool {
        host.inspect { $0.isSubscribed(clientId: clientId, topic: topic) }
    }

    func publish(topic: String, payload: [UInt8], qos: Int) {
        services.publish(topic, payload, qos: qos == 0 ? .atMostOnce : .atLeastOnce)
    }

    func onlineDevices(productId: String) -> [String] {
        host.inspect { broker in
            broker.connectedClients {
                if case .device(let p, _) = $0 { return p == productId }
                return false
            }.map(\.clientId)
        }
    }

    func rrpc(productId: String, deviceName: String, payload: [UInt8], timeout: Duration) async -> (messageId: Int64, reply: [UInt8]?) {
        let messageId = await services.rrpc.newMessageId()
        let key = DeviceKey(productId: productId, name: deviceName)
        let reply = await services.rrpc.wait(key: key, processId: String(messageId), timeout: timeout) {
            services.publish("$rrpc/rxd/\(productId)/\(deviceName)/\(messageId)", payload, qos: .atMostOnce)
        }
        return (messageId, reply)
    }
}
