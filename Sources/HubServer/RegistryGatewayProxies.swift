import BrokerCore
import Registry

/// The broker's gateway rule over the registry's attachment index.
struct RegistryGatewayProxies: GatewayProxies {
    let index: GatewayAttachmentIndex

    func isAttached(subProductId: Substring, subDeviceName: Substring, gatewayProductId: String, gatewayName: String) -> Bool {
        index.isAttached(
            DeviceKey(productId: String(subProductId), name: String(subDeviceName)),
            to: DeviceKey(productId: gatewayProductId, name: gatewayName)
        )
    }
}
