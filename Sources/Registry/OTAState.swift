/// The registry's in-memory OTA state with its indexes: firmware per product, tasks per firmware, device
/// entries per task, and the one open entry each device may have.
struct OTAState: Sendable {
    var firmwares: [FirmwareKey: Firmware] = [:]
    /// Versions of each product in upload order.
    var firmwareOrder: [String: [String]] = [:]
    var firmwareByToken: [String: FirmwareKey] = [:]
    var tasks: [Int64: FirmwareTask] = [:]
    /// Task ids of each firmware, ascending.
    var taskOrder: [FirmwareKey: [Int64]] = [:]
    var entries: [Int64: [String: FirmwareTaskDevice]] = [:]
    /// Device names of each task in insertion order.
    var entryOrder: [Int64: [String]] = [:]
    /// Device → the task of its open (not final) entry. A device is in at most one open entry.
    var active: [DeviceKey: Int64] = [:]
    var nextTaskId: Int64 = 1

    init() {}

    init(_ snapshot: RegistrySnapshot) {
        for firmware in snapshot.firmwares.sorted(by: { ($0.createdAt, $0.version) < ($1.createdAt, $1.version) }) {
            insert(firmware)
        }
        for task in snapshot.firmwareTasks.sorted(by: { $0.id < $1.id }) { insert(task) }
        for entry in snapshot.firmwareTaskDevices { insert(entry) }
    }

    mutating func insert(_ firmware: Firmware) {
        let key = firmware.key
        if firmwares[key] == nil { firmwareOrder[key.productId, default: []].append(key.version) }
        if let old = firmwares[key], old.fileToken != firmware.fileToken { firmwareByToken[old.fileToken] = nil }
        firmwares[key] = firmware
        firmwareByToken[firmware.fileToken] = key
    }

    mutating func insert(_ task: FirmwareTask) {
        if tasks[task.id] == nil {
            taskOrder[FirmwareKey(productId: task.productId, version: task.version), default: []].append(task.id)
        }
        tasks[task.id] = task
        nextTaskId = max(nextTaskId, task.id + 1)
    }

    mutating func insert(_ entry: FirmwareTaskDevice) {
        if entries[entry.taskId]?[entry.deviceName] == nil { entryOrder[entry.taskId, default: []].append(entry.deviceName) }
        entries[entry.taskId, default: [:]][entry.deviceName] = entry
        let device = entry.device
        if !entry.status.isFinal {
            active[device] = entry.taskId
        } else if active[device] == entry.taskId {
            active[device] = nil
        }
    }

    func entry(task: Int64, device: String) -> FirmwareTaskDevice? {
        entries[task]?[device]
    }

    /// The entries of a task in insertion order.
    func entries(of task: Int64) -> [FirmwareTaskDevice] {
        (entryOrder[task] ?? []).compactMap { entries[task]?[$0] }
    }

    /// Task-level `Status`: cancelled 6; finished 2 once every entry is final; waiting 0 while every open
    /// entry waits for its device to come online (no command out); running 1 otherwise.
    func status(of task: FirmwareTask) -> FirmwareTask.Status {
        if task.cancelled { return .cancelled }
        let open = entries(of: task.id).filter { !$0.status.isFinal }
        if open.isEmpty { return .finished }
        if open.allSatisfy({ $0.status == .offline || $0.status == .pending }) { return .waiting }
        return .running
    }
}
