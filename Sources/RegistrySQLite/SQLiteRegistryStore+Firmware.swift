import Foundation
import Registry
import SQLiteNIO

extension SQLiteRegistryStore {
    /// Loads the OTA tables (schema step 3): firmware metadata, tasks and their device entries.
    func loadFirmware(into snapshot: inout RegistrySnapshot, decoder: JSONDecoder) async throws {
        for row in try await reader.query("SELECT data FROM firmwares", []) {
            guard let data = row.column("data")?.string else { continue }
            snapshot.firmwares.append(try decoder.decode(Firmware.self, from: Data(data.utf8)))
        }
        for row in try await reader.query("SELECT data FROM firmware_tasks ORDER BY id", []) {
            guard let data = row.column("data")?.string else { continue }
            snapshot.firmwareTasks.append(try decoder.decode(FirmwareTask.self, from: Data(data.utf8)))
        }
        for row in try await reader.query("SELECT data FROM firmware_task_devices ORDER BY task_id, rowid", []) {
            guard let data = row.column("data")?.string else { continue }
            snapshot.firmwareTaskDevices.append(try decoder.decode(FirmwareTaskDevice.self, from: Data(data.utf8)))
        }
    }
}
