import DeviceAuth
import DeviceServices
import JSONCore
import Logging
import MQTTCore
import Registry

/// `$gateway/operation/{gwpid}/{gwdn}` (device-protocol.md §6.10): a gateway binds, unbinds, makes online and
/// offline its sub-devices and lists them; one reply per request on `$gateway/operation/result/…`, at once.
extension HubServices {
    func handleGateway(_ payload: [UInt8], gateway: DeviceKey) async {
        let resultTopic = "$gateway/operation/result/\(gateway.productId)/\(gateway.name)"
        switch GatewayProtocol.parse(payload) {
        case nil:
            logger.debug("gateway request ignored: not a request", metadata: ["hub.device": "\(gateway)"])
        case .acknowledgement(let type)?:
            logger.debug("gateway acknowledged a push", metadata: ["hub.device": "\(gateway)", "hub.type": "\(type)"])
        case .describeSubDevices?:
            let keys = await registry.gatewaySubDevices(gateway: gateway)
            publish(resultTopic, GatewayProtocol.describeReply(keys.map { .init(productId: $0.productId, deviceName: $0.name) }))
        case .devices(let operation, let entries)?:
            var results: [(productId: String, deviceName: String, result: Int64)] = []
            for entry in entries {
                results.append((entry.productId, entry.deviceName, await gatewayResult(operation, entry, gateway: gateway)))
            }
            publish(resultTopic, GatewayProtocol.reply(operation, results: results))
        }
    }

    private func gatewayResult(_ operation: GatewayProtocol.Operation, _ entry: GatewayProtocol.Entry, gateway: DeviceKey) async -> Int64 {
        guard let device = entry.device else { return GatewayResultCode.parameterError }
        let key = DeviceKey(productId: device.productId, name: device.deviceName)
        switch operation {
        case .online:
            let before = try? await registry.device(productId: key.productId, name: key.name)
            let result = await registry.gatewayOnline(gateway: gateway, subDevice: key)
            // Lifecycle webhooks as for a device of its own: activated at its first online, then online.
            if result == GatewayResultCode.success, before?.online != true {
                if before?.firstOnlineTime == nil { webhooks.lifecycle("activated", productId: key.productId, deviceName: key.name) }
                webhooks.lifecycle("online", productId: key.productId, deviceName: key.name)
            }
            return result
        case .offline:
            let before = try? await registry.device(productId: key.productId, name: key.name)
            let result = await registry.gatewayOffline(gateway: gateway, subDevice: key)
            if result == GatewayResultCode.success, before?.online == true {
                webhooks.lifecycle("offline", productId: key.productId, deviceName: key.name)
            }
            return result
        case .unbind: return await registry.gatewayUnbind(gateway: gateway, subDevice: key)
        case .bind:
            guard let proof = entry.proof else { return GatewayResultCode.parameterError }
            return await registry.gatewayBind(gateway: gateway, subDevice: key, proof: proof)
        }
    }
}
