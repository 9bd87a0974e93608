import CloudAPI
import DeviceAuth
import Foundation
import Registry

/// Firmware and OTA tasks (cloud-api.md §7.7).
extension ManagementActions {
    /// The `Host` the operator called the management API by; firmware URLs use it when no public host is
    /// configured.
    @TaskLocal static var requestHost: String?

    private func firmwareFiles() throws -> FirmwareRepository {
        guard let firmware else { throw ManagementError("FailedOperation", "firmware storage is not configured on this hub") }
        return firmware
    }

    private static func firmwareKey(_ p: ActionParameters) throws -> FirmwareKey {
        FirmwareKey(productId: try require(p.string("ProductId"), "ProductId"), version: try require(p.string("FirmwareVersion"), "FirmwareVersion"))
    }

    private static func taskId(_ p: ActionParameters) throws -> Int64 {
        let id = try require(p.int("TaskId"), "TaskId")
        guard id > 0 else { throw ManagementError.invalidValue("TaskId must be positive") }
        return Int64(id)
    }

    /// Whether a device can take `update_firmware` now: online and subscribed to its OTA topic.
    private func reachability() -> @Sendable (DeviceKey) -> Bool {
        guard let messaging else { return { _ in false } }
        return { key in
            let clientId = DeviceIdentifiers.clientId(productId: key.productId, deviceName: key.name)
            return messaging.isOnline(clientId: clientId) && messaging.isSubscribed(clientId: clientId, topic: FirmwareRepository.updateTopic(key))
        }
    }

    private func send(_ pushes: [FirmwarePush]) {
        for push in pushes {
            messaging?.publish(topic: FirmwareRepository.updateTopic(push.device), payload: FirmwareRepository.updateMessage(push.command), qos: 1)
        }
    }

    // MARK: firmware

    /// GetCOSURL: a hub URL on the device HTTP port that accepts one PUT of the file within an hour.
    func getCOSURL(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try firmwareFiles()
        let key = try Self.firmwareKey(p)
        _ = try await call { try await registry.product(key.productId) }
        guard RegistryEngine.isValidFirmwareVersion(key.version) else {
            throw ManagementError.invalidValue("FirmwareVersion must be 1 to 32 printable characters without spaces")
        }
        var size: Int64?
        if let fileSize = p.int("FileSize") {
            guard fileSize > 0, Int64(fileSize) <= files.maxFileSize else {
                throw ManagementError.invalidValue("FileSize must be between 1 and \(files.maxFileSize)")
            }
            size = Int64(fileSize)
        }
        let url = await files.openUpload(key, fileSize: size, operatorHost: Self.requestHost)
        return [("Url", .string(url))]
    }

    /// UploadFirmware: registers the file PUT to the GetCOSURL URL after checking `Md5sum` and `FileSize`.
    func uploadFirmware(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try firmwareFiles()
        let key = try Self.firmwareKey(p)
        let md5 = try Self.require(p.string("Md5sum"), "Md5sum").lowercased()
        let size = try Self.require(p.int("FileSize"), "FileSize")
        _ = try await call { try await registry.product(key.productId) }
        if (try? await registry.firmware(productId: key.productId, version: key.version)) != nil {
            throw ManagementError("InvalidParameterValue.FirmwareAlreadyExist", "firmware version already exists")
        }
        guard let staged = files.stagedFile(key) else {
            throw ManagementError.invalidValue("no file was uploaded for this firmware version: call GetCOSURL and PUT the file to its Url first")
        }
        guard staged.size == Int64(size) else {
            throw ManagementError.invalidValue("FileSize \(size) does not match the uploaded file (\(staged.size) bytes)")
        }
        guard staged.md5 == md5 else { throw ManagementError.invalidValue("Md5sum does not match the uploaded file") }
        let token: String
        do {
            token = try files.promote(key)
        } catch {
            throw ManagementError("InternalError", "the uploaded file could not be stored")
        }
        var spec = NewFirmware(productId: key.productId, version: key.version, md5: md5, size: Int64(size), fileToken: token)
        spec.name = p.string("FirmwareName") ?? ""
        spec.description = p.string("FirmwareDescription") ?? ""
        spec.userDefined = p.string("FirmwareUserDefined") ?? ""
        if let type = p.string("FwType"), !type.isEmpty { spec.fwType = type }
        do {
            _ = try await call { try await registry.addFirmware(spec) }
        } catch {
            files.remove(fileToken: token)
            throw error
        }
        return []
    }

    func describeFirmware(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let key = try Self.firmwareKey(p)
        let firmware = try await call { try await registry.firmware(productId: key.productId, version: key.version) }
        let product = try await call { try await registry.product(key.productId) }
        var fields: Fields = [
            ("Version", .string(firmware.version)), ("ProductId", .string(firmware.productId)), ("Name", .string(firmware.name)),
            ("Description", .string(firmware.description)), ("Md5sum", .string(firmware.md5)), ("Createtime", .int(firmware.createdAt)),
            ("ProductName", .string(product.name)), ("FwType", .string(firmware.fwType)),
        ]
        if version == .v20210408 { fields.append(("UserDefined", .string(firmware.userDefined))) }
        return fields
    }

    /// ListFirmwares (2021). Filters: `ProductId`, `ProductName`, `FirmwareVersion`, `FirmwareName`
    /// (names and versions match as substrings).
    func listFirmwares(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let page = try Self.require(p.int("PageNum"), "PageNum")
        let size = try Self.require(p.int("PageSize"), "PageSize")
        guard page >= 1 else { throw ManagementError.invalidValue("PageNum starts at 1") }
        guard (1...250).contains(size) else { throw ManagementError.invalidValue("PageSize must be between 1 and 250") }
        var productId = p.string("ProductId").flatMap { $0.isEmpty ? nil : $0 }
        var productName: String?
        var versionText: String?
        var nameText: String?
        for filter in p.objects("Filters") ?? [] {
            let value = filter.string("Value") ?? ""
            switch filter.string("Key") ?? "" {
            case "ProductId": productId = value
            case "ProductName": productName = value
            case "FirmwareVersion", "Version": versionText = value
            case "FirmwareName", "Name": nameText = value
            default: throw ManagementError.invalidValue("unknown filter key \(filter.string("Key") ?? "")")
            }
        }
        let all = try await call { try await registry.firmwares(productId: productId) }
        var names: [String: String] = [:]
        for id in Set(all.map(\.productId)) { names[id] = (try? await registry.product(id))?.name ?? "" }
        let matching = all.filter { firmware in
            if let productName, !(names[firmware.productId] ?? "").contains(productName) { return false }
            if let versionText, !firmware.version.contains(versionText) { return false }
            if let nameText, !firmware.name.contains(nameText) { return false }
            return true
        }
        let items = matching.dropFirst((page - 1) * size).prefix(size).map { firmware -> ActionValue in
            .object([
                ("Version", .string(firmware.version)), ("Md5sum", .string(firmware.md5)), ("CreateTime", .int(firmware.createdAt)),
                ("ProductName", .string(names[firmware.productId] ?? "")), ("Name", .string(firmware.name)),
                ("Description", .string(firmware.description)), ("ProductId", .string(firmware.productId)), ("FwType", .string(firmware.fwType)),
                ("CreateUserId", .int(0)), ("UserDefined", .string(firmware.userDefined)),
            ])
        }
        return [("TotalCount", .int(matching.count)), ("Firmwares", .array(items))]
    }

    /// GetAllVersion (2021): the product's firmware versions, oldest first.
    func getAllVersion(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        let all = try await call { try await registry.firmwares(productId: productId) }
        return [("Version", .array(all.reversed().map { .string($0.version) }))]
    }

    func editFirmware(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let key = try Self.firmwareKey(p)
        guard let name = p.string("FirmwareName") else { throw ManagementError.missing("FirmwareName") }
        try await call {
            try await registry.editFirmware(
                productId: key.productId, version: key.version, name: name, description: p.string("FirmwareDescription"),
                userDefined: p.string("FirmwareUserDefined"), fwType: p.string("FwType").flatMap { $0.isEmpty ? nil : $0 }
            )
        }
        return []
    }

    /// DescribeFirmwareFiles (hub action): `MaxFileSize`, and `Files` with each version's `FileSize` and
    /// `Md5sum`, newest first (all versions of the product, or the one `FirmwareVersion`).
    func describeFirmwareFiles(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try firmwareFiles()
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        var all = try await call { try await registry.firmwares(productId: productId) }
        if let only = p.string("FirmwareVersion"), !only.isEmpty {
            all = all.filter { $0.version == only }
            guard !all.isEmpty else { throw ManagementError(RegistryError(.firmwareNotFound, "firmware not exist")) }
        }
        let items = all.map { firmware -> ActionValue in
            .object([("Version", .string(firmware.version)), ("FileSize", .int(firmware.size)), ("Md5sum", .string(firmware.md5))])
        }
        return [("MaxFileSize", .int(files.maxFileSize)), ("Files", .array(items))]
    }

    // MARK: tasks

    /// BatchUpdateFirmware: by `DeviceNames` or `FirmwareOriVersion`; `TimeoutInterval` 60–3600 s
    /// (default 600). Device-list files and dynamic tasks (`Type` 7) are not supported.
    func batchUpdateFirmware(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try firmwareFiles()
        let key = try Self.firmwareKey(p)
        let firmware = try await call { try await registry.firmware(productId: key.productId, version: key.version) }
        let names = p.strings("DeviceNames").flatMap { $0.isEmpty ? nil : $0 }
        let original = p.string("FirmwareOriVersion").flatMap { $0.isEmpty ? nil : $0 }
        if names == nil, original == nil {
            if let file = p.string("FileName"), !file.isEmpty {
                throw ManagementError.invalidValue("device-list files are not supported: use DeviceNames or FirmwareOriVersion")
            }
            throw ManagementError.missing("DeviceNames")
        }
        let timeout = p.int("TimeoutInterval") ?? 600
        guard (60...3600).contains(timeout) else { throw ManagementError.invalidValue("TimeoutInterval must be between 60 and 3600") }
        let method = p.int("UpgradeMethod") ?? 0
        guard method == 0 || method == 1 else { throw ManagementError.invalidValue("UpgradeMethod must be 0 or 1") }
        let type = p.int("Type") ?? 1
        guard type == 1 else { throw ManagementError.invalidValue("only static tasks (Type 1) are supported") }
        var spec = NewFirmwareTask(
            productId: key.productId, version: key.version, deviceNames: names, originalVersion: names == nil ? original : nil,
            timeoutInterval: Int64(timeout), url: await files.downloadURL(fileToken: firmware.fileToken, operatorHost: Self.requestHost)
        )
        spec.upgradeMethod = method
        spec.type = type
        let reachable = reachability()
        let (summary, pushes) = try await call { try await registry.createFirmwareTask(spec, reachable: reachable) }
        send(pushes)
        return [("TaskId", .int(summary.task.id))]
    }

    func describeFirmwareTask(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let key = try Self.firmwareKey(p)
        let id = try Self.taskId(p)
        let summary = try await call { try await registry.firmwareTask(productId: key.productId, version: key.version, taskId: id) }
        var fields: Fields = [
            ("TaskId", .int(summary.task.id)), ("Status", .int(summary.status.rawValue)), ("CreateTime", .int(summary.task.createdAt)),
            ("Type", .int(summary.task.type)), ("ProductName", .string(summary.productName)), ("UpgradeMode", .string(summary.task.mode.rawValue)),
            ("ProductId", .string(summary.task.productId)),
        ]
        if version == .v20210408 { fields.append(("OriginalVersion", .string(summary.task.originalVersion))) }
        return fields
    }

    /// DescribeFirmwareTasks. Filters: `Status`, `TaskId`.
    func describeFirmwareTasks(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let key = try Self.firmwareKey(p)
        let (offset, limit) = try Self.page(p, defaultLimit: nil)
        var status: Int?
        var taskId: Int64?
        for filter in p.objects("Filters") ?? [] {
            let value = filter.string("Value") ?? ""
            switch filter.string("Key") ?? "" {
            case "Status": status = Int(value)
            case "TaskId": taskId = Int64(value)
            default: throw ManagementError.invalidValue("unknown filter key \(filter.string("Key") ?? "")")
            }
        }
        _ = try await call { try await registry.firmware(productId: key.productId, version: key.version) }
        let tasks = try await call { try await registry.firmwareTasks(productId: key.productId, version: key.version) }
            .filter { (status == nil || $0.status.rawValue == status) && (taskId == nil || $0.task.id == taskId) }
        let items = tasks.dropFirst(offset).prefix(limit).map { summary -> ActionValue in
            .object([
                ("TaskId", .int(summary.task.id)), ("Status", .int(summary.status.rawValue)), ("Type", .int(summary.task.type)),
                ("CreateTime", .int(summary.task.createdAt)),
            ])
        }
        return [("TaskInfos", .array(items)), ("Total", .int(tasks.count))]
    }

    /// Offset ≥ 0 and Limit 1–250 (default `defaultLimit` when optional).
    private static func page(_ p: ActionParameters, defaultLimit: Int?) throws -> (Int, Int) {
        let offset: Int
        let limit: Int
        if let defaultLimit {
            offset = p.int("Offset") ?? 0
            limit = p.int("Limit") ?? defaultLimit
        } else {
            offset = try require(p.int("Offset"), "Offset")
            limit = try require(p.int("Limit"), "Limit")
        }
        guard offset >= 0 else { throw ManagementError.invalidValue("Offset must not be negative") }
        guard (1...250).contains(limit) else { throw ManagementError.invalidValue("Limit must be between 1 and 250") }
        return (offset, limit)
    }

    /// DescribeFirmwareTaskDevices. Filters: `TaskId`, `DeviceName` (substring), `Status`.
    func describeFirmwareTaskDevices(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        let firmwareVersion = p.string("FirmwareVersion").flatMap { $0.isEmpty ? nil : $0 }
        let (offset, limit) = try Self.page(p, defaultLimit: 20)
        var taskId: Int64?
        var name: String?
        var status: Int?
        for filter in p.objects("Filters") ?? [] {
            let value = filter.string("Value") ?? ""
            switch filter.string("Key") ?? "" {
            case "TaskId":
                guard let id = Int64(value) else { throw ManagementError.invalidValue("TaskId filter must be a number") }
                taskId = id
            case "DeviceName": name = value
            case "Status": status = Int(value)
            default: throw ManagementError.invalidValue("unknown filter key \(filter.string("Key") ?? "")")
            }
        }
        let entries = try await call { try await registry.firmwareTaskDevices(productId: productId, version: firmwareVersion, taskId: taskId) }
            .filter { (name == nil || $0.deviceName.contains(name!)) && (status == nil || $0.status.rawValue == status) }
        let items = entries.dropFirst(offset).prefix(limit).map { Self.deviceUpdateStatus($0) }
        return [("Total", .int(entries.count)), ("Devices", .array(items))]
    }

    static func deviceUpdateStatus(_ entry: FirmwareTaskDevice) -> ActionValue {
        .object([
            ("DeviceName", .string(entry.deviceName)), ("LastProcessTime", .int(entry.lastProcessMillis / 1000)),
            ("Status", .int(entry.status.rawValue)), ("ErrMsg", .string(entry.errMsg)), ("Retcode", .int(entry.retcode)),
            ("DstVersion", .string(entry.dstVersion)), ("Percent", .int(entry.percent)), ("OriVersion", .string(entry.oriVersion)),
            ("TaskId", .int(entry.taskId)),
        ])
    }

    /// DescribeFirmwareTaskStatistics over every task of the version: success = 6, failure = 5 and 10,
    /// upgrading = the rest.
    func describeFirmwareTaskStatistics(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let key = try Self.firmwareKey(p)
        _ = try await call { try await registry.firmware(productId: key.productId, version: key.version) }
        let entries = try await call { try await registry.firmwareTaskDevices(productId: key.productId, version: key.version) }
        let success = entries.filter { $0.status == .upgraded }.count
        let failure = entries.filter { $0.status == .failed || $0.status == .timedOut }.count
        return [("SuccessTotal", .int(success)), ("FailureTotal", .int(failure)), ("UpgradingTotal", .int(entries.count - success - failure))]
    }

    func describeFirmwareTaskDistribution(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let key = try Self.firmwareKey(p)
        let id = try Self.taskId(p)
        _ = try await call { try await registry.firmwareTask(productId: key.productId, version: key.version, taskId: id) }
        let entries = try await call { try await registry.firmwareTaskDevices(productId: key.productId, version: key.version, taskId: id) }
        var counts: [Int: Int] = [:]
        for entry in entries { counts[entry.status.rawValue, default: 0] += 1 }
        let infos = counts.keys.sorted().map { status -> ActionValue in .object([("Status", .int(status)), ("Total", .int(counts[status] ?? 0))]) }
        return [("StatusInfos", .array(infos))]
    }

    func cancelDeviceFirmwareTask(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let key = try Self.firmwareKey(p)
        let name = try Self.require(p.string("DeviceName"), "DeviceName")
        let id = try Self.taskId(p)
        try await call { try await registry.cancelDeviceFirmwareTask(productId: key.productId, deviceName: name, version: key.version, taskId: id) }
        return []
    }

    func retryDeviceFirmwareTask(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let key = try Self.firmwareKey(p)
        let name = try Self.require(p.string("DeviceName"), "DeviceName")
        let id = try Self.taskId(p)
        let reachable = reachability()
        let push = try await call {
            try await registry.retryDeviceFirmwareTask(productId: key.productId, deviceName: name, version: key.version, taskId: id, reachable: reachable)
        }
        send(push.map { [$0] } ?? [])
        return []
    }

    /// UpdateOtaTaskStatus (2021): only `Status` 6 (cancel) is supported.
    func updateOtaTaskStatus(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        let id = try Self.taskId(p)
        let status = try Self.require(p.int("Status"), "Status")
        guard status == 6 else { throw ManagementError.invalidValue("Status must be 6 (cancel)") }
        try await call { try await registry.cancelFirmwareTask(productId: productId, taskId: id) }
        return []
    }
}
