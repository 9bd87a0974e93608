import BrokerCore
import DeviceAuth
import HubHTTP
import MQTTCore
import MQTTServer
import NIOCore
import Registry

/// The management API's messaging over the broker engine (in-process, no socket).
struct BrokerMessaging: DeviceMessaging {
    let host: BrokerHost
    let services: HubServices

    /// A sub-device attached to its gateway is reached through the gateway's connection.
    private func connectionClientId(_ clientId: String) -> String {
        guard let gateway = services.registry.attachments.gateway(ofClientId: clientId) else { return clientId }
        return DeviceIdentifiers.clientId(productId: gateway.productId, deviceName: gateway.name)
    }

    /// Connected to this node, or (in a cluster) to another: a message published here reaches it there.
    func isOnline(clientId: String) -> Bool {
        let connection = connectionClientId(clientId)
        return host.inspect { $0.isConnected(clientId: connection) } || services.registry.clusterPresence.contains(clientId: connection)
    }

    /// A device connected to another node of a cluster counts as subscribed: its node delivers the message if it is.
    func isSubscribed(clientId: String, topic: String) -> Bool {
        let connection = connectionClientId(clientId)
        let (connected, subscribed) = host.inspect { ($0.isConnected(clientId: connection), $0.isSubscribed(clientId: connection, topic: topic)) }
        return subscribed || (!connected && services.registry.clusterPresence.contains(clientId: connection))
    }

    func publish(topic: String, payload: [UInt8], qos: Int) {
        services.publish(topic, payload, qos: qos == 0 ? .atMostOnce : .atLeastOnce)
    }

    func onlineDevices(productId: String) -> [String] {
        let direct = host.inspect { broker in
            broker.connectedClients {
                if case .device(let p, _) = $0 { return p == productId }
                return false
            }.map(\.clientId)
        }
        // Devices connected to the other nodes of a cluster: a message published here reaches them there.
        let elsewhere = services.registry.clusterPresence.deviceNames(productId: productId).map { DeviceIdentifiers.clientId(productId: productId, deviceName: $0) }
        // Sub-devices attached to a connected gateway are online too.
        let proxied = services.registry.attachments.attached(productId: productId).filter { isOnline(clientId: DeviceIdentifiers.clientId(productId: $0.gateway.productId, deviceName: $0.gateway.name)) }
        var seen = Set<String>()
        return (direct + elsewhere + proxied.map { DeviceIdentifiers.clientId(productId: $0.subDevice.productId, deviceName: $0.subDevice.name) }).filter { seen.insert($0).inserted }
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
