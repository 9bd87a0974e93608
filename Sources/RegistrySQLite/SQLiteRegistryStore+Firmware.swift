import Registry
import SQLiteNIO

extension SQLiteRegistryStore {
    /// Loads the OTA tables: firmware metadata, tasks and their device entries (per task in the order they were
    /// first written).
    func loadFirmware(into snapshot: inout RegistrySnapshot) async throws {
        snapshot.firmwares = try await reader.query("SELECT \(SQLiteRecords.firmwareColumns) FROM firmwares", []).map(SQLiteRecords.firmware)
        snapshot.firmwareTasks = try await reader.query("SELECT \(SQLiteRecords.taskColumns) FROM firmware_tasks ORDER BY id", [])
            .map(SQLiteRecords.firmwareTask)
        snapshot.firmwareTaskDevices = try await reader.query(
            "SELECT \(SQLiteRecords.taskDeviceColumns) FROM firmware_task_devices ORDER BY task_id, rowid", []
        ).map(SQLiteRecords.firmwareTaskDevice)
    }
}
