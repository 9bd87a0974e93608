/// Where uploaded device logs are kept (SQLite: the registry file's `device_logs` table). Not part of the
/// engine's in-memory state: entries are written and read straight through.
public protocol DeviceLogStore: Sendable {
    /// Appends the entries of one upload of one device (in order), then deletes that device's oldest entries
    /// beyond the newest `keepNewest`, and beyond the newest `keepBytes` bytes (level, time text and content).
    func appendDeviceLogs(_ entries: [DeviceLogEntry], device: DeviceKey, keepNewest: Int, keepBytes: Int) async throws
    /// Deletes every entry of a device (the device was deleted).
    func deleteDeviceLogs(device: DeviceKey) async throws
    /// Matching entries newest first, at most `query.limit`, and whether more match beyond them.
    func queryDeviceLogs(_ query: DeviceLogQuery) async throws -> (entries: [DeviceLogEntry], more: Bool)
    /// Deletes the entries received before `before` (Unix ms). Returns how many.
    func pruneDeviceLogs(before: Int64) async throws -> Int
    /// Deletes the oldest entries of all devices beyond the newest `keepBytes` bytes (level, time text and
    /// content). Returns how many.
    func pruneDeviceLogs(keepBytes: Int64) async throws -> Int
}
