import DeviceAuth
import Synchronization

/// Sub-device → the gateway it is attached to (made online through, device-protocol.md §6.10.12), readable
/// synchronously from any thread: the broker's topic rules ask it when a gateway uses a sub-device's topics,
/// on the broker's hot path, and cannot await the registry actor. The actor keeps it in step with its device
/// table (`insert`/`removeDevice`/`reload`), so a detach (offline, unbind, disable) takes effect for the
/// next packet.
public final class GatewayAttachmentIndex: Sendable {
    private struct Tables {
        /// Sub-device → its gateway.
        var gateways: [DeviceKey: DeviceKey] = [:]
        /// Gateway → its attached sub-devices.
        var subDevices: [DeviceKey: Set<DeviceKey>] = [:]
    }

    private let tables = Mutex(Tables())

    public init() {}

    /// The gateway a sub-device is attached to, if any.
    public func gateway(of subDevice: DeviceKey) -> DeviceKey? {
        tables.withLock { $0.gateways[subDevice] }
    }

    /// ``gateway(of:)`` by the sub-device's ClientId (`{ProductId}{DeviceName}`).
    public func gateway(ofClientId clientId: String) -> DeviceKey? {
        guard let (productId, name) = DeviceIdentifiers.splitClientId(clientId) else { return nil }
        return gateway(of: DeviceKey(productId: productId, name: name))
    }

    /// Whether the sub-device is attached to this gateway.
    public func isAttached(_ subDevice: DeviceKey, to gateway: DeviceKey) -> Bool {
        tables.withLock { $0.gateways[subDevice] } == gateway
    }

    /// The attached sub-devices of a product with their gateways.
    public func attached(productId: String) -> [(subDevice: DeviceKey, gateway: DeviceKey)] {
        tables.withLock { tables in tables.gateways.filter { $0.key.productId == productId }.map { ($0.key, $0.value) } }
    }

    /// The sub-devices attached to a gateway (online through it while it is connected).
    public func subDevices(of gateway: DeviceKey) -> Set<DeviceKey> {
        tables.withLock { $0.subDevices[gateway] ?? [] }
    }

    public var count: Int { tables.withLock { $0.gateways.count } }

    func set(_ subDevice: DeviceKey, gateway: DeviceKey?) {
        tables.withLock { tables in
            if let old = tables.gateways[subDevice] {
                tables.subDevices[old]?.remove(subDevice)
                if tables.subDevices[old]?.isEmpty == true { tables.subDevices[old] = nil }
            }
            tables.gateways[subDevice] = gateway
            if let gateway { tables.subDevices[gateway, default: []].insert(subDevice) }
        }
    }

    func removeAll() {
        tables.withLock { $0 = Tables() }
    }
}
