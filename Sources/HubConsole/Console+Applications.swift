import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore

/// Applications (the credentials business backends connect to the MQTT broker with): the list, create (the
/// AppSecret shown once) and delete after a confirmation, through CreateApplication, DescribeApplications and
/// DeleteApplication.
extension Console {
    func applicationsPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            var notice: String?
            if let deleted = request.uri.queryParameters.get("deleted") { notice = "Application \(deleted) deleted." }
            return await applicationsPage(visit, offset: Self.offset(request), notice: notice)
        }
    }

    func applicationsPage(
        _ visit: Visit, offset: Int, form: [String: Any] = [:], selected: Set<String> = [], error: String? = nil, notice: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async -> Response {
        var data: [String: Any] = ["form": form]
        switch await perform("DescribeApplications", ["Offset": .int(Int64(offset)), "Limit": .int(Int64(Self.pageSize))]) {
        case .success(let answer):
            data["applications"] = (answer["Applications"]?.arrayValue ?? []).map { app -> [String: Any] in
                let id = app["AppId"]?.stringValue ?? ""
                return [
                    "id": id, "idPath": FormBody.encode(id), "name": app["Name"]?.stringValue ?? "",
                    "products": (app["ProductIds"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "),
                    "created": ConsolePages.time(Int64(app["CreateTime"]?.intValue ?? 0)),
                ]
            }
            Self.paging(&data, offset: offset, total: answer["TotalCount"]?.intValue ?? 0)
        case .failure(let failure):
            return pages.message(status: Self.status(of: failure), title: "Applications", message: failure.message, back: nil, visit: visit)
        }
        if visit.canChange, case .success(let answer) = await perform("DescribeProducts", ["Offset": .int(0), "Limit": .int(250)]) {
            data["choices"] = (answer["Products"]?.arrayValue ?? []).map { product -> [String: Any] in
                let id = product["ProductId"]?.stringValue ?? ""
                return ["id": id, "name": product["ProductName"]?.stringValue ?? "", "checked": selected.contains(id)]
            }
        }
        return pages.render("applications", title: "Applications", data: data, visit: visit, status: status, error: error, notice: notice)
    }

    /// Creates an application and shows its AppSecret this once.
    func createApplication(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, form in
            let name = form["name"] ?? ""
            let products = form.values("products")
            let parameters: JSONValue = ["Name": .string(name), "ProductIds": .array(products.map(JSONValue.string))]
            switch await change(visit, "CreateApplication", parameters, target: name, detail: "ProductIds=" + products.joined(separator: ",")) {
            case .success(let answer):
                let data: [String: Any] = [
                    "name": answer["Name"]?.stringValue ?? name, "appId": answer["AppId"]?.stringValue ?? "",
                    "appSecret": answer["AppSecret"]?.stringValue ?? "",
                    "products": (answer["ProductIds"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "),
                ]
                return pages.render("application-created", title: "Application created", data: data, visit: visit, status: .created)
            case .failure(let failure):
                return await applicationsPage(
                    visit, offset: 0, form: ["name": name], selected: Set(products), error: failure.message, status: Self.status(of: failure)
                )
            }
        }
    }

    func applicationConfirmPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            let id = context.parameters.get("application") ?? ""
            guard visit.canChange else {
                return pages.message(status: .forbidden, title: "Not allowed", message: "A viewer can see everything and change nothing.", back: nil, visit: visit)
            }
            guard let application = await application(id) else {
                return pages.message(status: .notFound, title: "Applications", message: "No application \(id).", back: "/console/applications", visit: visit)
            }
            let data: [String: Any] = ["id": id, "idPath": FormBody.encode(id), "name": application["Name"]?.stringValue ?? ""]
            return pages.render("application-confirm", title: "Delete application", data: data, visit: visit)
        }
    }

    func deleteApplication(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, _ in
            let id = context.parameters.get("application") ?? ""
            switch await change(visit, "DeleteApplication", ["AppId": .string(id)], target: id, detail: "") {
            case .success: return .redirect(to: "/console/applications?deleted=\(FormBody.encode(id))")
            case .failure(let failure): return await applicationsPage(visit, offset: 0, error: failure.message, status: Self.status(of: failure))
            }
        }
    }

    /// One application from DescribeApplications (the action lists them; there is no describe-one action).
    func application(_ id: String) async -> JSONValue? {
        var offset = 0
        while case .success(let answer) = await perform("DescribeApplications", ["Offset": .int(Int64(offset)), "Limit": .int(250)]) {
            let page = answer["Applications"]?.arrayValue ?? []
            if let found = page.first(where: { $0["AppId"]?.stringValue == id }) { return found }
            offset += page.count
            if page.isEmpty || offset >= answer["TotalCount"]?.intValue ?? 0 { return nil }
        }
        return nil
    }
}
