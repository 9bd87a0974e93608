import DeviceAuth
import Synchronization

/// Sub-device → the gateway it is attached to (made online through, device-protocol.md §6.10.12), readable
/// synchronously from any thread: the broker's topic rules ask it when a gateway uses a sub-device's topics,
/// on the broker's hot path, and cannot await the registry actor. The actor keeps it in step with its device
/// table (`insert`/`removeDevice`/`reload`), so a detach (offline, unbind, disable) takes effect for the
/// next packet.
public final class GatewayAttachmentIndex: Sendable {
    private let gateways = Mutex<[DeviceKey: DeviceKey]>([:])

    public init() {}

    /// The gateway a sub-device is attached to, if any.
    public func gateway(of subDevice: DeviceKey) -> DeviceKey? {
        gateways.withLock { $0[subDevice] }
    }

    /// ``gateway(of:)`` by the sub-device's ClientId (`{ProductId}{DeviceName}`).
    public func gateway(ofClientId clientId: String) -> DeviceKey? {
        guard let (productId, name) = DeviceIdentifiers.splitClientId(clientId) else { return nil }
        return gateway(of: DeviceKey(productId: productId, name: name))
    }

    /// Whether the sub-device is attached to this gateway.
    public func isAttached(_ subDevice: DeviceKey, to gateway: DeviceKey) -> Bool {
        gateways.withLock { $0[subDevice] } == gateway
    }

    /// The attached sub-devices of a product with their gateways.
    public func attached(productId: String) -> [(subDevice: DeviceKey, gateway: DeviceKey)] {
        gateways.withLock { table in table.filter { $0.key.productId == productId }.map { ($0.key, $0.value) } }
    }

    public var count: Int { gateways.withLock { $0.count } }

    func set(_ subDevice: DeviceKey, gateway: DeviceKey?) {
        gateways.withLock { $0[subDevice] = gateway }
    }

    func removeAll() {
        gateways.withLock { $0.removeAll() }
    }
}
