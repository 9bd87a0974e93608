/// The registry's devices in memory, with the indexes the engine answers from kept in step with them: each
/// product's devices in creation order with their list states (`ProductDeviceList`), the count of devices
/// created by registration per product (the `RegisterLimit`), each gateway's bound sub-devices, and the devices
/// online per product. Every change goes through `insert` and `remove`.
struct DeviceDirectory: Sendable {
    private(set) var devices: ShardedDictionary<DeviceKey, Device> = [:]
    private(set) var lists: [String: ProductDeviceList] = [:]
    private(set) var autoCreatedCount: [String: Int] = [:]
    /// Gateway → its bound sub-devices (in no particular order; listings sort by bind time).
    private(set) var subDevicesByGateway: [DeviceKey: Set<DeviceKey>] = [:]
    /// Devices online now, per product (only products with some).
    private(set) var onlineCounts: [String: Int] = [:]

    subscript(key: DeviceKey) -> Device? { devices[key] }

    /// Inserts or replaces `device`, listed with `listState`; returns the device it replaced.
    @discardableResult
    mutating func insert(_ device: Device, listState: UInt8) -> Device? {
        let key = device.key
        let old = devices[key]
        if let old {
            if old.createdByRegistration { autoCreatedCount[key.productId, default: 0] -= 1 }
            lists[key.productId]?.setState(key.name, listState)
        } else {
            lists[key.productId, default: []].append(key.name, state: listState)
        }
        if device.createdByRegistration { autoCreatedCount[key.productId, default: 0] += 1 }
        if let old = old?.binding, old.gateway != device.binding?.gateway { removeSubDevice(key, of: old.gateway) }
        if let binding = device.binding { subDevicesByGateway[binding.gateway, default: []].insert(key) }
        if (old?.online ?? false) != device.online { countOnline(key.productId, device.online ? 1 : -1) }
        devices[key] = device
        return old
    }

    /// Removes the device; returns it if it was there.
    @discardableResult
    mutating func remove(_ key: DeviceKey) -> Device? {
        guard let old = devices.removeValue(forKey: key) else { return nil }
        if let binding = old.binding { removeSubDevice(key, of: binding.gateway) }
        lists[key.productId]?.remove(key.name)
        if old.createdByRegistration { autoCreatedCount[key.productId, default: 0] -= 1 }
        if old.online { countOnline(key.productId, -1) }
        return old
    }

    /// Forgets a product's list and count (its devices are removed first).
    mutating func removeProduct(_ productId: String) {
        lists[productId] = nil
        autoCreatedCount[productId] = nil
    }

    private mutating func removeSubDevice(_ key: DeviceKey, of gateway: DeviceKey) {
        subDevicesByGateway[gateway]?.remove(key)
        if subDevicesByGateway[gateway]?.isEmpty == true { subDevicesByGateway[gateway] = nil }
    }

    private mutating func countOnline(_ productId: String, _ delta: Int) {
        let count = onlineCounts[productId, default: 0] + delta
        onlineCounts[productId] = count > 0 ? count : nil
    }
}
