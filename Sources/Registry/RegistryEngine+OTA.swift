import Logging

/// Metadata of a firmware file that is already stored (and checked) in the data directory.
public struct NewFirmware: Sendable {
    public var productId: String
    public var version: String
    public var name: String = ""
    public var description: String = ""
    public var userDefined: String = ""
    public var fwType: String = "mcu"
    public var md5: String
    public var size: Int64
    public var fileToken: String

    public init(productId: String, version: String, md5: String, size: Int64, fileToken: String) {
        self.productId = productId
        self.version = version
        self.md5 = md5
        self.size = size
        self.fileToken = fileToken
    }
}

/// BatchUpdateFirmware: which devices, which firmware, and the download URL devices get.
public struct NewFirmwareTask: Sendable {
    public var productId: String
    public var version: String
    /// Explicit devices (`DeviceNames`); when nil, `originalVersion` selects them.
    public var deviceNames: [String]?
    /// `FirmwareOriVersion`: every device of the product currently on this version.
    public var originalVersion: String?
    public var timeoutInterval: Int64
    public var upgradeMethod: Int = 0
    public var type: Int = 1
    /// The firmware's download URL (device-protocol.md §7.4).
    public var url: String

    public init(productId: String, version: String, deviceNames: [String]?, originalVersion: String?, timeoutInterval: Int64, url: String) {
        self.productId = productId
        self.version = version
        self.deviceNames = deviceNames
        self.originalVersion = originalVersion
        self.timeoutInterval = timeoutInterval
        self.url = url
    }
}

/// A task with its computed status.
public struct FirmwareTaskSummary: Sendable, Hashable {
    public var task: FirmwareTask
    public var status: FirmwareTask.Status
    public var productName: String
}

/// OTA (device-protocol.md §6.4, cloud-api.md §7.7): firmware metadata, update tasks and the per-device
/// state machine. The engine decides; the callers publish the `FirmwarePush`es it returns (the registry
/// has no broker).
///
/// Per-device status: the command is sent at task creation to devices the caller reports reachable (2), the
/// others wait (0) for their next `report_version`; a device already on the target version is upgraded
/// (6) without a command. Reports move the entry to 3 (downloading), 4 (burning), 6 (done) or 5 (fail); an
/// entry that got the command and hears nothing for `timeoutInterval` times out (10). Entries in 5, 6, 10
/// are final; a device has at most one open entry across all tasks.
extension RegistryEngine {
    /// Firmware versions a product may hold.
    public static let maxFirmwaresPerProduct = 1000

    /// Versions are 1–32 printable ASCII characters without spaces (they travel in JSON and MQTT payloads;
    /// the C SDK keeps them in a 32-byte buffer).
    public static func isValidFirmwareVersion(_ version: String) -> Bool {
        let bytes = Array(version.utf8)
        return (1...32).contains(bytes.count) && bytes.allSatisfy { (0x21...0x7E).contains($0) }
    }

    // MARK: firmware

    public func addFirmware(_ spec: NewFirmware) async throws -> Firmware {
        try requireAvailable()
        _ = try product(spec.productId)
        guard Self.isValidFirmwareVersion(spec.version) else {
            throw RegistryError(.invalidParameter, "FirmwareVersion must be 1 to 32 printable characters without spaces")
        }
        let key = FirmwareKey(productId: spec.productId, version: spec.version)
        guard ota.firmwares[key] == nil else { throw RegistryError(.firmwareAlreadyExists, "firmware version already exists") }
        guard ota.firmwareOrder[spec.productId, default: []].count < Self.maxFirmwaresPerProduct else {
            throw RegistryError(.firmwareLimitExceeded, "a product holds at most \(Self.maxFirmwaresPerProduct) firmware versions")
        }
        guard spec.size > 0 else { throw RegistryError(.invalidParameter, "FileSize must be positive") }
        let firmware = Firmware(
            productId: spec.productId, version: spec.version, name: spec.name, description: spec.description, userDefined: spec.userDefined,
            fwType: spec.fwType, md5: spec.md5.lowercased(), size: spec.size, createdAt: nowSeconds, fileToken: spec.fileToken
        )
        ota.insert(firmware)
        try await commit([.upsertFirmware(firmware)])
        logger.info("firmware added", metadata: ["hub.product_id": "\(spec.productId)", "hub.firmware_version": "\(spec.version)"])
        return firmware
    }

    public func firmware(productId: String, version: String) throws -> Firmware {
        _ = try product(productId)
        guard let firmware = ota.firmwares[FirmwareKey(productId: productId, version: version)] else {
            throw RegistryError(.firmwareNotFound, "firmware not exist")
        }
        return firmware
    }

    /// The firmware behind a download token (nil if none).
    public func firmware(fileToken: String) -> Firmware? {
        ota.firmwareByToken[fileToken].flatMap { ota.firmwares[$0] }
    }

    /// Firmware of one product (or of all), newest first.
    public func firmwares(productId: String?) throws -> [Firmware] {
        let productIds: [String]
        if let productId {
            _ = try product(productId)
            productIds = [productId]
        } else {
            productIds = productOrder
        }
        let all = productIds.flatMap { id in (ota.firmwareOrder[id] ?? []).compactMap { ota.firmwares[FirmwareKey(productId: id, version: $0)] } }
        return all.sorted { ($0.createdAt, $0.productId, $0.version) > ($1.createdAt, $1.productId, $1.version) }
    }

    /// EditFirmware: name always; description, user-defined text and type when given.
    public func editFirmware(productId: String, version: String, name: String, description: String?, userDefined: String?, fwType: String?) async throws {
        try requireAvailable()
        var firmware = try firmware(productId: productId, version: version)
        firmware.name = name
        if let description { firmware.description = description }
        if let userDefined { firmware.userDefined = userDefined }
        if let fwType { firmware.fwType = fwType }
        ota.insert(firmware)
        try await commit([.upsertFirmware(firmware)])
    }

    // MARK: tasks

    /// BatchUpdateFirmware. `reachable` says whether a device can take the command now (online and
    /// subscribed to `$ota/update/…`). Returns the task and the commands to publish.
    public func createFirmwareTask(_ spec: NewFirmwareTask, reachable: @Sendable (DeviceKey) -> Bool) async throws -> (FirmwareTaskSummary, [FirmwarePush]) {
        try requireAvailable()
        // On a shared store the id comes from the store (taken first: nothing read below is held across the wait),
        // so that tasks created on two nodes at once never share one.
        var taskId = ota.nextTaskId
        if let shared {
            do { taskId = try await shared.nextFirmwareTaskId() } catch {
                logger.error("firmware task id not taken from the shared store", metadata: ["error": "\(error)"])
                throw RegistryError(.storageFailure, "the registry store is unavailable")
            }
        }
        let product = try product(spec.productId)
        let firmware = try firmware(productId: spec.productId, version: spec.version)
        let targets: [Device]
        let mode: FirmwareTask.Mode
        if let names = spec.deviceNames, !names.isEmpty {
            var seen = Set<String>()
            var list: [Device] = []
            for name in names where seen.insert(name).inserted {
                guard let device = devices[DeviceKey(productId: spec.productId, name: name)] else {
                    throw RegistryError(.deviceNotFound, "device \(name) not exist")
                }
                if let busy = ota.active[device.key] {
                    throw RegistryError(.deviceIsUpdating, "device \(name) is updating in task \(busy)")
                }
                list.append(device)
            }
            targets = list
            mode = .deviceNames
        } else if let original = spec.originalVersion, !original.isEmpty {
            // Devices busy in another task are left out.
            targets = deviceOrder[spec.productId, default: []].compactMap { devices[DeviceKey(productId: spec.productId, name: $0)] }
                .filter { $0.firmwareVersion == original && ota.active[$0.key] == nil }
            mode = .originalVersion
        } else {
            throw RegistryError(.invalidParameter, "DeviceNames or FirmwareOriVersion is required")
        }
        let now = self.now()
        let command = FirmwareCommand(fileSize: firmware.size, md5: firmware.md5, url: spec.url, version: firmware.version)
        let task = FirmwareTask(
            id: taskId, productId: spec.productId, version: spec.version, mode: mode, originalVersion: spec.originalVersion ?? "",
            timeoutInterval: spec.timeoutInterval, upgradeMethod: spec.upgradeMethod, type: spec.type, createdAt: now / 1000, command: command
        )
        var mutations: [RegistryMutation] = [.upsertFirmwareTask(task)]
        var pushes: [FirmwarePush] = []
        ota.insert(task)
        for device in targets {
            var entry = FirmwareTaskDevice(
                taskId: task.id, productId: device.productId, deviceName: device.name, dstVersion: spec.version, oriVersion: device.firmwareVersion,
                status: .offline, lastProcessMillis: now
            )
            if device.firmwareVersion == spec.version {
                entry.status = .upgraded
                entry.percent = 100
            } else if reachable(device.key) {
                entry.status = .delivered
                pushes.append(FirmwarePush(device: device.key, command: command))
            }
            ota.insert(entry)
            mutations.append(.upsertFirmwareTaskDevice(entry))
        }
        try await commit(mutations)
        logger.info(
            "firmware task created",
            metadata: [
                "hub.product_id": "\(spec.productId)", "hub.firmware_version": "\(spec.version)", "hub.task_id": "\(task.id)",
                "hub.devices": "\(targets.count)", "hub.pushed": "\(pushes.count)",
            ]
        )
        return (FirmwareTaskSummary(task: task, status: ota.status(of: task), productName: product.name), pushes)
    }

    /// A task of a firmware version.
    public func firmwareTask(productId: String, version: String, taskId: Int64) throws -> FirmwareTaskSummary {
        let product = try product(productId)
        guard let task = ota.tasks[taskId], task.productId == productId, task.version == version else {
            throw RegistryError(.firmwareTaskNotFound, "firmware task not exist")
        }
        return FirmwareTaskSummary(task: task, status: ota.status(of: task), productName: product.name)
    }

    /// The tasks of a firmware version, newest first.
    public func firmwareTasks(productId: String, version: String) throws -> [FirmwareTaskSummary] {
        let product = try product(productId)
        let ids = ota.taskOrder[FirmwareKey(productId: productId, version: version)] ?? []
        return ids.reversed().compactMap { ota.tasks[$0] }.map { FirmwareTaskSummary(task: $0, status: ota.status(of: $0), productName: product.name) }
    }

    /// Device entries of a product's tasks, optionally of one version and one task; newest task first,
    /// devices in task order.
    public func firmwareTaskDevices(productId: String, version: String? = nil, taskId: Int64? = nil) throws -> [FirmwareTaskDevice] {
        _ = try product(productId)
        let tasks = ota.tasks.values
            .filter { $0.productId == productId && (version == nil || $0.version == version) && (taskId == nil || $0.id == taskId) }
            .sorted { $0.id > $1.id }
        return tasks.flatMap { ota.entries(of: $0.id) }
    }

    // MARK: device reports

    /// `report_version`: stores the version and advances the device's open entry: the target version
    /// completes it, any other version (re)sends the command.
    public func firmwareVersionReported(_ key: DeviceKey, version: String) async throws -> FirmwarePush? {
        try requireAvailable()
        guard var device = devices[key] else { throw RegistryError(.deviceNotFound, "device not exist") }
        var mutations: [RegistryMutation] = []
        if device.firmwareVersion != version {
            device.firmwareVersion = version
            device.updatedAt = nowSeconds
            insert(device)
            mutations.append(.upsertDevice(device))
        }
        var push: FirmwarePush?
        if let taskId = ota.active[key], let task = ota.tasks[taskId], var entry = ota.entry(task: taskId, device: key.name) {
            entry.lastProcessMillis = now()
            if version == entry.dstVersion {
                entry.status = .upgraded
                entry.percent = 100
                entry.retcode = 0
                entry.errMsg = ""
            } else {
                entry.status = .delivered
                entry.percent = 0
                push = FirmwarePush(device: key, command: task.command)
            }
            ota.insert(entry)
            mutations.append(.upsertFirmwareTaskDevice(entry))
        }
        if !mutations.isEmpty { try await commit(mutations) }
        return push
    }

    /// `report_progress`. Applies to the device's open entry, or to its latest timed-out entry (a late
    /// report revives it). A report naming another version than the entry's target is ignored. Returns
    /// the updated entry, nil when the report matched nothing.
    @discardableResult
    public func firmwareProgressReported(_ key: DeviceKey, _ progress: FirmwareProgress, durable: Bool = true) async throws -> FirmwareTaskDevice? {
        try requireAvailable()
        guard var device = devices[key] else { throw RegistryError(.deviceNotFound, "device not exist") }
        var found: FirmwareTaskDevice?
        if let taskId = ota.active[key] {
            found = ota.entry(task: taskId, device: key.name)
        } else {
            for taskId in ota.tasks.keys.sorted(by: >) {
                guard let task = ota.tasks[taskId], task.productId == key.productId, !task.cancelled,
                    let candidate = ota.entry(task: taskId, device: key.name)
                else { continue }
                if candidate.status == .timedOut { found = candidate }
                break
            }
        }
        guard var entry = found else { return nil }
        if !progress.version.isEmpty, progress.version != entry.dstVersion { return nil }
        var mutations: [RegistryMutation] = []
        entry.lastProcessMillis = now()
        switch progress.state {
        case .downloading:
            entry.status = .downloading
            if let percent = progress.percent { entry.percent = min(max(percent, 0), 100) }
        case .burning:
            entry.status = .burning
        case .done:
            entry.status = .upgraded
            entry.percent = 100
            entry.retcode = 0
            entry.errMsg = ""
            if device.firmwareVersion != entry.dstVersion {
                device.firmwareVersion = entry.dstVersion
                device.updatedAt = nowSeconds
                insert(device)
                mutations.append(.upsertDevice(device))
            }
        case .fail:
            entry.status = .failed
            entry.retcode = progress.resultCode ?? -5
            entry.errMsg = progress.resultMessage
        }
        ota.insert(entry)
        mutations.append(.upsertFirmwareTaskDevice(entry))
        if progress.state == .downloading, !durable {
            // Frequent and at QoS 0: durable with the next group commit, nobody waits for it.
            enqueue(mutations)
        } else {
            try await commit(mutations)
        }
        return entry
    }

    /// Times out the entries that got the command and have heard nothing for their task's
    /// `TimeoutInterval`. Returns how many timed out.
    @discardableResult
    public func expireFirmwareTaskDevices() async -> Int {
        guard available else { return 0 }
        let now = self.now()
        var mutations: [RegistryMutation] = []
        for (device, taskId) in ota.active {
            guard let task = ota.tasks[taskId], var entry = ota.entry(task: taskId, device: device.name), entry.status.awaitsReport,
                now - entry.lastProcessMillis > task.timeoutInterval * 1000
            else { continue }
            entry.status = .timedOut
            entry.errMsg = "time_out"
            entry.lastProcessMillis = now
            ota.insert(entry)
            mutations.append(.upsertFirmwareTaskDevice(entry))
        }
        guard !mutations.isEmpty else { return 0 }
        do {
            try await commit(mutations)
        } catch {
            logger.error("firmware timeouts not stored", metadata: ["error": "\(error)"])
        }
        return mutations.count
    }

    // MARK: operator actions on entries

    private func taskEntry(productId: String, deviceName: String, version: String, taskId: Int64) throws -> (FirmwareTask, FirmwareTaskDevice) {
        _ = try product(productId)
        guard let task = ota.tasks[taskId], task.productId == productId, task.version == version,
            let entry = ota.entry(task: taskId, device: deviceName)
        else { throw RegistryError(.deviceFirmwareTaskNotFound, "device firmware task not exist") }
        return (task, entry)
    }

    /// CancelDeviceFirmwareTask: an open entry fails with "cancelled".
    public func cancelDeviceFirmwareTask(productId: String, deviceName: String, version: String, taskId: Int64) async throws {
        try requireAvailable()
        var entry = try taskEntry(productId: productId, deviceName: deviceName, version: version, taskId: taskId).1
        guard !entry.status.isFinal else { throw RegistryError(.deviceFirmwareTaskDone, "device firmware task already done") }
        entry.status = .failed
        entry.errMsg = "cancelled"
        entry.lastProcessMillis = now()
        ota.insert(entry)
        try await commit([.upsertFirmwareTaskDevice(entry)])
    }

    /// RetryDeviceFirmwareTask: restarts a failed, timed-out or stuck entry; returns the command to publish
    /// when the device is reachable.
    public func retryDeviceFirmwareTask(
        productId: String, deviceName: String, version: String, taskId: Int64, reachable: @Sendable (DeviceKey) -> Bool
    ) async throws -> FirmwarePush? {
        try requireAvailable()
        let (task, found) = try taskEntry(productId: productId, deviceName: deviceName, version: version, taskId: taskId)
        var entry = found
        guard entry.status != .upgraded, !task.cancelled else { throw RegistryError(.deviceFirmwareTaskDone, "device firmware task already done") }
        let key = entry.device
        if let other = ota.active[key], other != taskId {
            throw RegistryError(.deviceRunningOtherOtaTask, "device is running firmware task \(other)")
        }
        entry.percent = 0
        entry.retcode = 0
        entry.errMsg = ""
        entry.lastProcessMillis = now()
        var push: FirmwarePush?
        if devices[key]?.firmwareVersion == entry.dstVersion {
            entry.status = .upgraded
            entry.percent = 100
        } else if reachable(key) {
            entry.status = .delivered
            push = FirmwarePush(device: key, command: task.command)
        } else {
            entry.status = .offline
        }
        ota.insert(entry)
        try await commit([.upsertFirmwareTaskDevice(entry)])
        return push
    }

    /// UpdateOtaTaskStatus 6: cancels a task; its open entries fail with "cancelled".
    public func cancelFirmwareTask(productId: String, taskId: Int64) async throws {
        try requireAvailable()
        _ = try product(productId)
        guard var task = ota.tasks[taskId], task.productId == productId else {
            throw RegistryError(.firmwareTaskNotFound, "firmware task not exist")
        }
        task.cancelled = true
        ota.insert(task)
        var mutations: [RegistryMutation] = [.upsertFirmwareTask(task)]
        let now = self.now()
        for var entry in ota.entries(of: taskId) where !entry.status.isFinal {
            entry.status = .failed
            entry.errMsg = "cancelled"
            entry.lastProcessMillis = now
            ota.insert(entry)
            mutations.append(.upsertFirmwareTaskDevice(entry))
        }
        try await commit(mutations)
    }
}
