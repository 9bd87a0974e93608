extension RegistryEngine {
    /// Reads and possibly changes a device's shadow text atomically; a change is durable when this returns.
    /// The shadow logic lives with the caller (DeviceServices), the registry only stores the document.
    public func withShadow<T: Sendable>(_ key: DeviceKey, _ body: @Sendable (inout String?) throws -> T) async throws -> T {
        try requireAvailable()
        guard var device = devices[key] else { throw RegistryError(.deviceNotFound, "device not exist") }
        var text = device.shadow
        let result = try body(&text)
        if text != device.shadow {
            device.shadow = text
            insert(device)
            try await commit([.upsertDevice(device)])
        }
        return result
    }
}
