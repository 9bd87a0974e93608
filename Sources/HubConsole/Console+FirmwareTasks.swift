import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore
import Logging
import NIOCore
import Registry

/// Firmware update tasks: created from the Firmware page (BatchUpdateFirmware, by device names or from a
/// version), listed with their counts, and a progress page per task that refreshes itself while the task runs.
extension Console {
    /// Tasks shown on a product's Firmware page, newest first.
    static let maxListedTasks = 50

    /// Task `Status` of DescribeFirmwareTask(s): 0 waiting, 1 running, 2 finished, 6 cancelled.
    static func taskStatus(_ status: Int) -> (text: String, done: Bool) {
        switch status {
        case 0: ("waiting", false)
        case 1: ("running", false)
        case 2: ("finished", true)
        case 6: ("cancelled", true)
        default: ("status \(status)", false)
        }
    }

    /// A device entry's `Status` of DescribeFirmwareTaskDevices as the page shows it, and the group it counts in.
    static func deviceState(_ entry: JSONValue) -> (text: String, group: String) {
        let percent = entry["Percent"]?.intValue ?? 0
        let reason = entry["ErrMsg"]?.stringValue ?? ""
        let code = entry["Retcode"]?.int64Value ?? 0
        switch entry["Status"]?.intValue ?? -1 {
        case 0: return ("waiting (device offline)", "waiting")
        case 1: return ("waiting", "waiting")
        case 2: return ("command sent", "waiting")
        case 3: return ("downloading \(percent)%", "running")
        case 4: return ("burning", "running")
        case 5: return ("failure: \(reason.isEmpty ? "no reason given" : reason) (code \(code))", "failure")
        case 6: return ("success", "success")
        case 7: return ("in progress", "running")
        case 8: return ("waiting for the user's confirmation", "waiting")
        case 10: return ("failure: timed out", "failure")
        case 20: return ("downloaded", "running")
        case let other: return ("status \(other)", "waiting")
        }
    }

    /// Counts per group from DescribeFirmwareTaskDistribution's `StatusInfos`.
    static func counts(_ distribution: JSONValue?) -> [String: Int] {
        var counts = ["waiting": 0, "running": 0, "success": 0, "failure": 0, "total": 0]
        for info in distribution?["StatusInfos"]?.arrayValue ?? [] {
            let total = info["Total"]?.intValue ?? 0
            let group = deviceState(["Status": info["Status"] ?? .null]).group
            counts[group, default: 0] += total
            counts["total", default: 0] += total
        }
        return counts
    }

    static func taskPath(_ productId: String, taskId: Int64, version: String) -> String {
        "\(firmwarePath(productId))/tasks/\(taskId)?version=\(FormBody.encode(version))"
    }

    /// The newest tasks of the product's versions with their counts, and whether there are more.
    func firmwareTasks(productId: String, versions: [String]) async -> ([[String: Any]], Bool) {
        var found: [(id: Int64, version: String, info: JSONValue)] = []
        for version in versions {
            var offset = 0
            while true {
                let parameters: JSONValue = [
                    "ProductId": .string(productId), "FirmwareVersion": .string(version), "Offset": .int(Int64(offset)), "Limit": .int(250),
                ]
                guard case .success(let answer) = await perform("DescribeFirmwareTasks", parameters) else { break }
                let infos = answer["TaskInfos"]?.arrayValue ?? []
                found += infos.map { (id: $0["TaskId"]?.int64Value ?? 0, version: version, info: $0) }
                offset += infos.count
                if infos.isEmpty || offset >= answer["Total"]?.intValue ?? 0 { break }
            }
        }
        found.sort { $0.id > $1.id }
        var rows: [[String: Any]] = []
        for task in found.prefix(Self.maxListedTasks) {
            let key: JSONValue = ["ProductId": .string(productId), "FirmwareVersion": .string(task.version), "TaskId": .int(task.id)]
            var row = taskView(productId: productId, version: task.version, info: task.info)
            row["counts"] = Self.counts(nil)
            if case .success(let described) = await perform("DescribeFirmwareTask", key) { row["devices"] = Self.selection(described) }
            if case .success(let distribution) = await perform("DescribeFirmwareTaskDistribution", key) { row["counts"] = Self.counts(distribution) }
            rows.append(row)
        }
        return (rows, found.count > Self.maxListedTasks)
    }

    /// How a task chose its devices (DescribeFirmwareTask's `UpgradeMode` and `OriginalVersion`).
    static func selection(_ task: JSONValue) -> String {
        task["UpgradeMode"]?.stringValue == "originalVersion" ? "devices at version \(task["OriginalVersion"]?.stringValue ?? "")" : "by device name"
    }

    func taskView(productId: String, version: String, info: JSONValue) -> [String: Any] {
        let id = info["TaskId"]?.int64Value ?? 0
        let (status, done) = Self.taskStatus(info["Status"]?.intValue ?? -1)
        return [
            "id": "\(id)", "version": version, "status": status, "finished": done, "created": ConsolePages.time(Int64(info["CreateTime"]?.intValue ?? 0)),
            "path": Self.taskPath(productId, taskId: id, version: version),
        ]
    }

    // MARK: creating a task

    /// BatchUpdateFirmware from the task form: the devices named one per line, or every device of the
    /// product at a version; the action decides which names and versions are acceptable.
    func createFirmwareTask(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, form in
            let id = context.parameters.get("product") ?? ""
            let version = form["version"] ?? ""
            let fromVersion = form["mode"] == "version"
            let names = (form["devices"] ?? "").components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let original = (form["original"] ?? "").trimmingCharacters(in: .whitespaces)
            let timeoutText = (form["timeout"] ?? "").trimmingCharacters(in: .whitespaces)
            let keep: [String: Any] = [
                "version": version, "fromVersion": fromVersion, "devices": form["devices"] ?? "", "original": original, "timeout": timeoutText,
            ]
            var parameters: [(String, JSONValue)] = [("ProductId", .string(id)), ("FirmwareVersion", .string(version))]
            let detail: String
            if fromVersion {
                parameters.append(("FirmwareOriVersion", .string(original)))
                detail = "from version \(original)"
            } else {
                parameters.append(("DeviceNames", .array(names.map { .string($0) })))
                detail = "devices \(names.joined(separator: ","))"
            }
            if !timeoutText.isEmpty {
                guard let timeout = Int(timeoutText) else {
                    return await firmwarePage(visit, productId: id, task: keep, error: "The timeout must be a whole number of seconds.", status: .badRequest)
                }
                parameters.append(("TimeoutInterval", .int(Int64(timeout))))
            }
            let result = await ManagementAPI.withOperatorHost(request.head.authority) {
                await change(visit, "BatchUpdateFirmware", JSONValue(parameters), target: "\(id)/\(version)", detail: detail)
            }
            switch result {
            case .success(let answer):
                let taskId = answer["TaskId"]?.int64Value ?? 0
                return .redirect(to: Self.taskPath(id, taskId: taskId, version: version) + "&created=1")
            case .failure(let failure):
                return await firmwarePage(visit, productId: id, task: keep, error: failure.message, status: Self.status(of: failure))
            }
        }
    }

    // MARK: a task's progress

    func firmwareTaskPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            switch await taskProgress(request, context) {
            case .failure(let failure):
                let id = context.parameters.get("product") ?? ""
                return pages.message(status: Self.status(of: failure), title: "Update task", message: failure.message, back: Self.firmwarePath(id), visit: visit)
            case .success(let data):
                let notice = request.uri.queryParameters.get("created") != nil ? "Update task created." : nil
                return pages.render("firmware-task", title: "Update task \((data["id"] as? String) ?? "")", data: data, visit: visit, notice: notice)
            }
        }
    }

    /// The progress section alone (the page's script replaces its copy with it every 2 s until the task is
    /// finished).
    func firmwareTaskProgress(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { _ in
            switch await taskProgress(request, context) {
            case .failure(let failure):
                return Response(status: Self.status(of: failure), headers: ConsolePages.headers(contentType: "text/plain; charset=utf-8"),
                    body: ResponseBody(byteBuffer: ByteBuffer(string: failure.message)))
            case .success(let data):
                return pages.poll("firmware-task-progress", data: data)
            }
        }
    }

    /// The task (DescribeFirmwareTask), its counts (DescribeFirmwareTaskDistribution) and a page of its devices
    /// (DescribeFirmwareTaskDevices).
    func taskProgress(_ request: Request, _ context: HubRequestContext) async -> Result<[String: Any], ManagementError> {
        let productId = context.parameters.get("product") ?? ""
        let taskId = Int64(context.parameters.get("task") ?? "") ?? 0
        let version = request.uri.queryParameters.get("version") ?? ""
        let offset = Self.offset(request)
        let key: JSONValue = ["ProductId": .string(productId), "FirmwareVersion": .string(version), "TaskId": .int(taskId)]
        let task: JSONValue
        switch await perform("DescribeFirmwareTask", key) {
        case .success(let answer): task = answer
        case .failure(let failure): return .failure(failure)
        }
        var data = taskView(productId: productId, version: version, info: task)
        data["productId"] = productId
        data["productName"] = task["ProductName"]?.stringValue ?? productId
        data["firmwarePath"] = Self.firmwarePath(productId)
        data["devicesChosen"] = Self.selection(task)
        data["counts"] = Self.counts(nil)
        let path = Self.taskPath(productId, taskId: taskId, version: version)
        data["progressPath"] = "\(Self.firmwarePath(productId))/tasks/\(taskId)/progress?version=\(FormBody.encode(version))&offset=\(offset)"
        if case .success(let distribution) = await perform("DescribeFirmwareTaskDistribution", key) { data["counts"] = Self.counts(distribution) }
        let filter: JSONValue = ["Key": "TaskId", "Value": .string("\(taskId)")]
        let devices: JSONValue = [
            "ProductId": .string(productId), "FirmwareVersion": .string(version), "Filters": [filter], "Offset": .int(Int64(offset)),
            "Limit": .int(Int64(Self.pageSize)),
        ]
        switch await perform("DescribeFirmwareTaskDevices", devices) {
        case .success(let answer):
            data["devices"] = (answer["Devices"]?.arrayValue ?? []).map { entry -> [String: Any] in
                let (state, group) = Self.deviceState(entry)
                var row: [String: Any] = [
                    "name": entry["DeviceName"]?.stringValue ?? "", "from": (entry["OriVersion"]?.stringValue).flatMap { $0.isEmpty ? nil : $0 } ?? "-", "state": state, "group": group,
                    "updated": ConsolePages.time(Int64(entry["LastProcessTime"]?.intValue ?? 0)),
                ]
                if entry["Status"]?.intValue == 3 { row["percent"] = entry["Percent"]?.intValue ?? 0 }
                return row
            }
            var paging: [String: Any] = [:]
            Self.paging(&paging, offset: offset, total: answer["Total"]?.intValue ?? 0)
            data["total"] = paging["total"]
            if let previous = paging["previous"] as? String { data["previous"] = "\(path)&offset=\(previous)" }
            if let next = paging["next"] as? String { data["next"] = "\(path)&offset=\(next)" }
        case .failure(let failure): return .failure(failure)
        }
        data["refreshPath"] = offset > 0 ? "\(path)&offset=\(offset)" : path
        return .success(data)
    }
}
