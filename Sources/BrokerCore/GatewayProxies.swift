/// Which sub-devices a gateway may act for (device-protocol.md §6.10.12): while a sub-device is attached to
/// its gateway, the gateway may use the sub-device's topics as the sub-device itself could. Asked on the
/// broker's hot path only when a device uses a topic outside its own namespace; must answer at once.
public protocol GatewayProxies: Sendable {
    func isAttached(subProductId: Substring, subDeviceName: Substring, gatewayProductId: String, gatewayName: String) -> Bool
}
