import DeviceAuth
import DeviceServices
import Registry

/// Resource management (cloud-api.md §7.8, device-protocol.md §6.12.4): product resources and their push
/// tasks, device uploads, usage. Times are `"2006-01-02 15:04:05"` in UTC; per-device push `Status` uses the
/// firmware codes (1 pending, 2 delivered, 3 downloading, 5 failed, 6 done).
extension ManagementActions {
    private func resourceFiles() throws -> ResourceRepository {
        guard let resources else { throw ManagementError("FailedOperation", "resource management is not configured on this hub") }
        return resources
    }

    /// Runs a resource call, mapping its errors to API errors.
    private func resourceCall<T: Sendable>(_ body: () async throws(ResourceError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw ManagementError(error)
        }
    }

    private func records<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw ManagementError("InternalError", "resource records unavailable")
        }
    }

    private static func resourceName(_ p: ActionParameters) throws -> String { try require(p.string("Name"), "Name") }
    private static func resourceProduct(_ p: ActionParameters) throws -> String { try require(p.string("ProductId"), "ProductID") }

    private func productName(_ id: String) async -> String { (try? await registry.product(id))?.name ?? "" }

    // MARK: product resources (hub actions)

    /// CreateProductResource: checks the resource and returns a URL on the device HTTP port that takes one PUT
    /// of exactly `Size` bytes with MD5 `Md5` within an hour; the resource exists once that PUT succeeded.
    func createProductResource(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let productId = try Self.resourceProduct(p)
        let name = try Self.resourceName(p)
        let md5 = try Self.require(p.string("Md5"), "Md5")
        let size = try Self.require(p.int("Size"), "Size")
        _ = try await call { try await registry.product(productId) }
        let url = try await resourceCall { () async throws(ResourceError) in
            try await files.openProductUpload(
                productId: productId, name: name, md5: md5, size: Int64(size), description: p.string("Description") ?? "", operatorHost: Self.requestHost
            )
        }
        return [("Url", .string(url))]
    }

    func deleteProductResource(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let productId = try Self.resourceProduct(p)
        let name = try Self.resourceName(p)
        try await resourceCall { () async throws(ResourceError) in try await files.deleteProductResource(productId: productId, name: name) }
        return []
    }

    /// PushProductResource: a task giving the resource to `DeviceNames` (every device of the product when
    /// absent or empty). Devices online and subscribed to their down topic get `download` (QoS 1) now, the
    /// others `get_download_task_rsp` when they ask.
    func pushProductResource(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let productId = try Self.resourceProduct(p)
        let name = try Self.resourceName(p)
        _ = try await call { try await registry.product(productId) }
        var names = p.strings("DeviceNames") ?? []
        if names.isEmpty {
            names = try await call { try await registry.devices(productId: productId, offset: 0, limit: Int.max) }.devices.map(\.name)
        } else {
            guard names.count <= 10_000 else { throw ManagementError.invalidValue("DeviceNames may name at most 10000 devices") }
            names = Array(Set(names)).sorted()
            for deviceName in names { _ = try await call { try await registry.device(productId: productId, name: deviceName) } }
        }
        guard !names.isEmpty else { throw ManagementError.invalidValue("the product has no devices") }
        let messaging = messaging
        let reachable: @Sendable (DeviceKey) -> Bool = { key in
            guard let messaging else { return false }
            let clientId = DeviceIdentifiers.clientId(productId: key.productId, deviceName: key.name)
            return messaging.isOnline(clientId: clientId)
                && messaging.isSubscribed(clientId: clientId, topic: ResourceProtocol.downTopic(productId: key.productId, deviceName: key.name))
        }
        let deviceNames = names
        let (taskId, pushes) = try await resourceCall { () async throws(ResourceError) in
            try await files.createPushTask(productId: productId, name: name, deviceNames: deviceNames, reachable: reachable)
        }
        for (device, task) in pushes {
            messaging?.publish(
                topic: ResourceProtocol.downTopic(productId: device.productId, deviceName: device.name), payload: ResourceProtocol.downloadTask(task, .push), qos: 1
            )
        }
        return [("TaskId", .int(taskId))]
    }

    // MARK: product resources (official)

    private func productResourceInfo(_ resource: ProductResource, productName: String) -> ActionValue {
        .object([
            ("ProductID", .string(resource.productId)), ("ProductName", .string(productName)), ("Name", .string(resource.name)),
            ("Md5", .string(resource.md5)), ("Size", .int(resource.size)), ("Description", .string(resource.description)),
            ("CreateTime", .string(ResourceTime.text(millis: resource.createdAt))),
        ])
    }

    func describeProductResource(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let productId = try Self.resourceProduct(p)
        let name = try Self.resourceName(p)
        guard let resource = try await records({ try await files.store.productResource(productId: productId, name: name) }) else {
            throw ManagementError(ResourceError(.productResourceNotFound, "no resource \(name) in product \(productId)"))
        }
        return [("Result", productResourceInfo(resource, productName: await productName(productId)))]
    }

    /// DescribeProductResources: `Name` filters by substring; `ProductID` absent lists every product's.
    func describeProductResources(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let (offset, limit) = try Self.resourcePage(p)
        let productId = p.string("ProductId").flatMap { $0.isEmpty ? nil : $0 }
        let page = try await records { try await files.store.productResources(productId: productId, nameContains: p.string("Name"), offset: offset, limit: limit) }
        var items: [ActionValue] = []
        for resource in page.resources { items.append(productResourceInfo(resource, productName: await productName(resource.productId))) }
        return [("TotalCount", .int(page.total)), ("Result", .array(items))]
    }

    /// DescribeResourceTasks: the resource's tasks, newest first, as FirmwareTaskInfo (`Status` 1 running,
    /// 2 finished; `Type` 1). Filters: `TaskId`, `Status`.
    func describeResourceTasks(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let productId = try Self.resourceProduct(p)
        let name = try Self.resourceName(p)
        let offset = p.int("Offset") ?? 0
        let limit = p.int("Limit") ?? 20
        guard offset >= 0 else { throw ManagementError.invalidValue("Offset must not be negative") }
        guard (1...250).contains(limit) else { throw ManagementError.invalidValue("Limit must be between 1 and 250") }
        var taskFilter: Int64?
        var statusFilter: Int64?
        for filter in p.objects("Filters") ?? [] {
            let value = filter.string("Value") ?? ""
            switch filter.string("Key") ?? "" {
            case "TaskId": taskFilter = Int64(value)
            case "Status": statusFilter = Int64(value)
            default: throw ManagementError.invalidValue("unknown filter key \(filter.string("Key") ?? "")")
            }
        }
        let all = try await records { try await files.store.resourceTasks(productId: productId, name: name, offset: 0, limit: Int.max) }.tasks
        let matching = all.filter { task in
            if let taskFilter, task.id != taskFilter { return false }
            if let statusFilter, (task.unfinished > 0 ? 1 : 2) != statusFilter { return false }
            return true
        }
        let items = matching.dropFirst(offset).prefix(limit).map { task -> ActionValue in
            .object([("TaskId", .int(task.id)), ("Status", .int(task.unfinished > 0 ? 1 : 2)), ("Type", .int(1)), ("CreateTime", .int(task.createdAt / 1000))])
        }
        return [("TaskInfos", .array(Array(items))), ("Total", .int(matching.count))]
    }

    /// DescribeResourceTaskDevices (hub): each device's entry, of one task or of every task of the resource.
    func describeResourceTaskDevices(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let productId = try Self.resourceProduct(p)
        let name = try Self.resourceName(p)
        let offset = p.int("Offset") ?? 0
        let limit = p.int("Limit") ?? 250
        guard offset >= 0 else { throw ManagementError.invalidValue("Offset must not be negative") }
        guard (1...250).contains(limit) else { throw ManagementError.invalidValue("Limit must be between 1 and 250") }
        let pushes = try await records { try await files.store.resourcePushes(productId: productId, name: name, taskId: p.int("TaskId").map(Int64.init)) }
        let items = pushes.dropFirst(offset).prefix(limit).map { push -> ActionValue in
            .object([
                ("DeviceName", .string(push.deviceName)), ("LastProcessTime", .int(push.updatedAt / 1000)), ("Status", .int(push.status.rawValue)),
                ("ErrMsg", .string(push.resultMessage)), ("Retcode", .int(push.resultCode)), ("Percent", .int(push.percent)), ("TaskId", .int(push.taskId)),
            ])
        }
        return [("Total", .int(pushes.count)), ("Devices", .array(Array(items)))]
    }

    /// DescribePushResourceTaskStatistics: `SuccessTotal` done (6), `FailureTotal` failed (5), `UpgradingTotal`
    /// the others, over the latest entry of each device.
    func describePushResourceTaskStatistics(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let productId = try Self.resourceProduct(p)
        let name = try Self.resourceName(p)
        let pushes = try await records { try await files.store.resourcePushes(productId: productId, name: name, taskId: nil) }
        let done = pushes.filter { $0.status == .done }.count
        let failed = pushes.filter { $0.status == .failed }.count
        return [("SuccessTotal", .int(done)), ("FailureTotal", .int(failed)), ("UpgradingTotal", .int(pushes.count - done - failed))]
    }

    // MARK: device uploads (official)

    private func deviceResourceInfo(_ resource: DeviceResource, productName: String) -> ActionValue {
        .object([
            ("ProductID", .string(resource.productId)), ("ProductName", .string(productName)), ("Name", .string(resource.name)),
            ("Md5", .string(resource.md5)), ("Size", .int(resource.size)), ("UpdateTime", .string(ResourceTime.text(millis: resource.updatedAt))),
            ("DeviceName", .string(resource.deviceName)), ("Status", .int(resource.status.rawValue)), ("Percent", .int(resource.percent)),
        ])
    }

    private static func deviceKey(_ p: ActionParameters) throws -> DeviceKey {
        DeviceKey(productId: try resourceProduct(p), name: try require(p.string("DeviceName"), "DeviceName"))
    }

    func describeDeviceResource(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let device = try Self.deviceKey(p)
        let name = try Self.resourceName(p)
        guard let resource = try await records({ try await files.store.deviceResource(device: device, name: name) }) else {
            throw ManagementError(ResourceError(.deviceResourceNotFound, "device \(device.name) has no resource \(name)"))
        }
        return [("Result", deviceResourceInfo(resource, productName: await productName(device.productId)))]
    }

    /// DescribeDeviceResources: newest change first; `StartTime`/`EndTime` bound the last change.
    func describeDeviceResources(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let (offset, limit) = try Self.resourcePage(p)
        var query = DeviceResourceQuery(
            productId: p.string("ProductId").flatMap { $0.isEmpty ? nil : $0 }, deviceName: p.string("DeviceName").flatMap { $0.isEmpty ? nil : $0 },
            offset: offset, limit: limit
        )
        if let start = p.string("StartTime"), !start.isEmpty {
            guard let millis = ResourceTime.millis(start) else { throw ManagementError.invalidValue("StartTime must look like 2006-01-02 15:04:05") }
            query.since = millis
        }
        if let end = p.string("EndTime"), !end.isEmpty {
            guard let millis = ResourceTime.millis(end) else { throw ManagementError.invalidValue("EndTime must look like 2006-01-02 15:04:05") }
            query.until = millis + 999
        }
        let page = try await records { try await files.store.deviceResources(query) }
        var items: [ActionValue] = []
        for resource in page.resources { items.append(deviceResourceInfo(resource, productName: await productName(resource.productId))) }
        return [("TotalCount", .int(page.total)), ("Result", .array(items))]
    }

    /// DownloadDeviceResource: a hub URL (valid for an hour, ranged GET) of the stored upload.
    func downloadDeviceResource(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let device = try Self.deviceKey(p)
        let name = try Self.resourceName(p)
        let url = try await resourceCall { () async throws(ResourceError) in try await files.deviceResourceURL(device, name: name, operatorHost: Self.requestHost) }
        return [("Url", .string(url))]
    }

    func deleteDeviceResource(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let device = try Self.deviceKey(p)
        let name = try Self.resourceName(p)
        try await resourceCall { () async throws(ResourceError) in try await files.deleteDeviceResource(device, name: name) }
        return []
    }

    /// GetUserResourceInfo: bytes held by product resources and device uploads, and the hub's total quota.
    func getUserResourceInfo(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let files = try resourceFiles()
        let used = try await records { try await files.store.totalResourceBytes() }
        return [("UsedSize", .int(used)), ("Limit", .int(files.limits.totalQuota))]
    }

    /// `Offset` (from 0) and `Limit` (1...250; the official text says 10-250, smaller pages are allowed).
    private static func resourcePage(_ p: ActionParameters) throws -> (Int, Int) {
        let offset = try require(p.int("Offset"), "Offset")
        let limit = try require(p.int("Limit"), "Limit")
        guard offset >= 0 else { throw ManagementError.invalidValue("Offset must not be negative") }
        guard (1...250).contains(limit) else { throw ManagementError.invalidValue("Limit must be between 1 and 250") }
        return (offset, limit)
    }
}

extension ManagementError {
    /// The one place resource errors become API error codes.
    init(_ error: ResourceError) {
        switch error.code {
        case .productResourceNotFound: self.init("ResourceNotFound.ProductResourceNotExist", error.message)
        case .deviceResourceNotFound: self.init("ResourceNotFound.DeviceResourceNotExist", error.message)
        case .alreadyExists: self.init("InvalidParameterValue.ProductResourceAlreadyExist", error.message)
        case .quotaExceeded: self.init("LimitExceeded.ResourceExceedLimit", error.message)
        case .notUploaded: self.init("FailedOperation.ResourceNotUploaded", error.message)
        case .invalidName, .invalidMD5, .invalidSize: self.init("InvalidParameterValue", error.message)
        default: self.init("InternalError", "internal error")
        }
    }
}
