extension RegistryEngine {
    /// Stores the firmware version a device reported (`$ota/report` `report_version`).
    public func recordFirmwareVersion(_ key: DeviceKey, version: String) async throws {
        try requireAvailable()
        guard var device = devices[key] else { throw RegistryError(.deviceNotFound, "device not exist") }
        guard device.firmwareVersion != version else { return }
        device.firmwareVersion = version
        device.updatedAt = nowSeconds
        insert(device)
        try await commit([.upsertDevice(device)])
    }

    /// UpdateDeviceLogLevel.
    public func setLogLevel(_ key: DeviceKey, level: Int) async throws {
        try requireAvailable()
        _ = try product(key.productId)
        guard var device = devices[key] else { throw RegistryError(.deviceNotFound, "device not exist") }
        guard (0...4).contains(level) else { throw RegistryError(.invalidParameter, "LogLevel must be 0 to 4") }
        device.logLevel = level
        device.updatedAt = nowSeconds
        insert(device)
        try await commit([.upsertDevice(device)])
    }
}
