import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore
import Logging
import Registry

/// The Firmware page of a product: its versions, the upload form, the update-task form and the task list;
/// and the Firmware overview of the navigation.
extension Console {
    func addFirmwareRoutes(to router: Router<HubRequestContext>) {
        router.get("/console/firmware") { request, context in await self.firmwareOverview(request, context) }
        router.get("/console/products/:product/firmware") { request, context in await self.firmwarePage(request, context) }
        router.post("/console/products/:product/firmware") { request, context in await self.uploadFirmware(request, context) }
        router.post("/console/products/:product/firmware/tasks") { request, context in await self.createFirmwareTask(request, context) }
        router.get("/console/products/:product/firmware/tasks/:task") { request, context in await self.firmwareTaskPage(request, context) }
        router.get("/console/products/:product/firmware/tasks/:task/progress") { request, context in await self.firmwareTaskProgress(request, context) }
    }

    /// `12345678` → `11.8 MiB`.
    static func byteCount(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f %@", value, units[unit])
    }

    static func firmwarePath(_ productId: String) -> String {
        "/console/products/\(FormBody.encode(productId))/firmware"
    }

    /// The Firmware entry of the navigation: every product's versions, newest first, each product linking to
    /// its Firmware page.
    func firmwareOverview(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            let offset = Self.offset(request)
            var data: [String: Any] = [:]
            let parameters: JSONValue = ["PageNum": .int(Int64(offset / Self.pageSize + 1)), "PageSize": .int(Int64(Self.pageSize))]
            switch await perform("ListFirmwares", parameters) {
            case .success(let answer):
                data["firmwares"] = (answer["Firmwares"]?.arrayValue ?? []).map { firmware -> [String: Any] in
                    let productId = firmware["ProductId"]?.stringValue ?? ""
                    var view = Self.firmwareView(firmware, sizes: [:])
                    view["productId"] = productId
                    view["productName"] = firmware["ProductName"]?.stringValue ?? ""
                    view["firmwarePath"] = Self.firmwarePath(productId)
                    return view
                }
                Self.paging(&data, offset: offset - offset % Self.pageSize, total: answer["TotalCount"]?.intValue ?? 0)
            case .failure(let failure):
                return pages.message(status: Self.status(of: failure), title: "Firmware", message: failure.message, back: nil, visit: visit)
            }
            if case .success(let answer) = await perform("DescribeProducts", ["Offset": .int(0), "Limit": .int(250)]) {
                data["products"] = (answer["Products"]?.arrayValue ?? []).map { product -> [String: Any] in
                    let id = product["ProductId"]?.stringValue ?? ""
                    return ["id": id, "name": product["ProductName"]?.stringValue ?? "", "firmwarePath": Self.firmwarePath(id)]
                }
            }
            return pages.render("firmware-overview", title: "Firmware", data: data, visit: visit)
        }
    }

    /// One firmware version (a ListFirmwares item) for the pages; the size comes from DescribeFirmwareFiles.
    static func firmwareView(_ firmware: JSONValue, sizes: [String: Int64]) -> [String: Any] {
        let version = firmware["Version"]?.stringValue ?? ""
        var view: [String: Any] = [
            "version": version, "name": firmware["Name"]?.stringValue ?? "", "description": firmware["Description"]?.stringValue ?? "",
            "md5": firmware["Md5sum"]?.stringValue ?? "", "uploaded": ConsolePages.time(Int64(firmware["CreateTime"]?.intValue ?? 0)),
        ]
        if let size = sizes[version] {
            view["size"] = byteCount(size)
            view["bytes"] = "\(size)"
        }
        return view
    }

    func firmwarePage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            let id = context.parameters.get("product") ?? ""
            var notice: String?
            if let version = request.uri.queryParameters.get("uploaded") { notice = "Firmware version \(version) uploaded." }
            return await firmwarePage(visit, productId: id, offset: Self.offset(request), notice: notice)
        }
    }

    /// The page, with what a refused form sent kept in `upload` or `task`.
    func firmwarePage(
        _ visit: Visit, productId: String, offset: Int = 0, upload: [String: Any] = [:], task: [String: Any] = [:], error: String? = nil,
        notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async -> Response {
        let product: JSONValue
        switch await perform("DescribeProduct", ["ProductId": .string(productId)]) {
        case .success(let answer): product = answer
        case .failure(let failure):
            return pages.message(status: Self.status(of: failure), title: "Firmware", message: failure.message, back: "/console/firmware", visit: visit)
        }
        var data: [String: Any] = ["product": Self.productView(product), "upload": upload, "task": task, "firmwarePath": Self.firmwarePath(productId)]
        var sizes: [String: Int64] = [:]
        if case .success(let files) = await perform("DescribeFirmwareFiles", ["ProductId": .string(productId)]) {
            for file in files["Files"]?.arrayValue ?? [] {
                if let version = file["Version"]?.stringValue, let size = file["FileSize"]?.int64Value { sizes[version] = size }
            }
            if let limit = files["MaxFileSize"]?.int64Value { data["maxSize"] = Self.byteCount(limit) }
        }
        let page: JSONValue = [
            "ProductId": .string(productId), "PageNum": .int(Int64(offset / Self.pageSize + 1)), "PageSize": .int(Int64(Self.pageSize)),
        ]
        switch await perform("ListFirmwares", page) {
        case .success(let answer):
            data["firmwares"] = (answer["Firmwares"]?.arrayValue ?? []).map { Self.firmwareView($0, sizes: sizes) }
            Self.paging(&data, offset: offset - offset % Self.pageSize, total: answer["TotalCount"]?.intValue ?? 0)
        case .failure(let failure):
            return pages.message(status: Self.status(of: failure), title: "Firmware", message: failure.message, back: "/console/firmware", visit: visit)
        }
        // Every version, for the task form's choices and the task list.
        var versions: [String] = []
        if case .success(let answer) = await perform("GetAllVersion", ["ProductId": .string(productId)]) {
            versions = (answer["Version"]?.arrayValue ?? []).compactMap(\.stringValue).reversed()
        }
        let chosen = task["version"] as? String
        data["versions"] = versions.map { ["version": $0, "selected": $0 == chosen] }
        data["hasVersions"] = !versions.isEmpty
        let (tasks, more) = await firmwareTasks(productId: productId, versions: versions)
        data["tasks"] = tasks
        data["moreTasks"] = more
        let title = "Firmware of \(product["ProductName"]?.stringValue ?? productId)"
        return pages.render("firmware", title: title, data: data, visit: visit, status: status, error: error, notice: notice)
    }
}
