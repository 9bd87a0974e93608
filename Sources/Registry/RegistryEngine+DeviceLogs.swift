extension RegistryEngine {
    /// What a device's log upload (device-protocol.md §7.5) is verified against.
    public enum LogUploadDevice: Sendable {
        /// No such product or device.
        case notFound
        /// The device's credential, and whether it and its product are enabled.
        case found(credential: DeviceCredential, enabled: Bool)
    }

    /// Looks up the device of a log upload, from memory (no database read).
    public func logUploadDevice(productId: String, deviceName: String) -> LogUploadDevice {
        guard let product = products[productId], let device = devices[DeviceKey(productId: productId, name: deviceName)] else {
            return .notFound
        }
        return .found(credential: device.credential, enabled: device.enabled && !product.forbidden)
    }
}
