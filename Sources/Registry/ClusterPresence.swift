import DeviceAuth
import Synchronization

/// On a shared store: the devices online on any node, as the store says (a node's own `Device.online` says only
/// whether it holds the connection). Readable synchronously, for the management API's "is the device online"
/// checks and for the presence it reports.
public final class ClusterPresence: Sendable {
    private let online = Mutex<Set<DeviceKey>>([])

    public init() {}

    public func contains(_ key: DeviceKey) -> Bool {
        online.withLock { $0.contains(key) }
    }

    /// Whether the device with this ClientId (`{ProductId}{DeviceName}`) is online on some node.
    public func contains(clientId: String) -> Bool {
        guard let (productId, name) = DeviceIdentifiers.splitClientId(clientId) else { return false }
        return contains(DeviceKey(productId: productId, name: name))
    }

    /// The names of the devices of a product online on some node.
    public func deviceNames(productId: String) -> [String] {
        online.withLock { keys in keys.compactMap { $0.productId == productId ? $0.name : nil } }
    }

    func set(_ key: DeviceKey, online isOnline: Bool) {
        online.withLock { keys in
            if isOnline { keys.insert(key) } else { keys.remove(key) }
        }
    }

    func replaceAll(with keys: Set<DeviceKey>) {
        online.withLock { $0 = keys }
    }
}
