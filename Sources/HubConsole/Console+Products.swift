import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore
import Logging
import Registry

extension Console {
    static let pageSize = 50

    /// What a product shows on the pages, from a DescribeProduct(s) answer.
    static func productView(_ product: JSONValue) -> [String: Any] {
        let properties = product["ProductProperties"]
        let id = product["ProductId"]?.stringValue ?? ""
        let registerType = properties?["RegisterType"]?.intValue ?? 0
        let limit = properties?["RegisterLimit"]?.intValue ?? 0
        let registration: String
        switch registerType {
        case 1: registration = "on, pre-created names only"
        case 2: registration = "on, auto-create up to \(limit)"
        default: registration = "off"
        }
        let secret = properties?["ProductSecret"]?.stringValue ?? ""
        return [
            "id": id, "idPath": FormBody.encode(id), "name": product["ProductName"]?.stringValue ?? "",
            "description": properties?["ProductDescription"]?.stringValue ?? "",
            "auth": properties?["EncryptionType"]?.stringValue == "1" ? "certificate" : "key (PSK)",
            "registration": registration, "enabled": registerType != 0, "autoCreate": registerType == 2, "limit": limit,
            "status": properties?["ForbiddenStatus"]?.intValue == 1 ? "disabled" : "enabled",
            "hasSecret": !secret.isEmpty,
            "toggle": properties?["ForbiddenStatus"]?.intValue == 1 ? "enable" : "disable",
            "toggleLabel": properties?["ForbiddenStatus"]?.intValue == 1 ? "Enable" : "Disable",
        ]
    }

    static func offset(_ request: Request) -> Int {
        max(Int(request.uri.queryParameters.get("offset") ?? "") ?? 0, 0)
    }

    static func paging(_ data: inout [String: Any], offset: Int, total: Int) {
        data["total"] = total
        if offset > 0 { data["previous"] = "\(max(offset - pageSize, 0))" }
        if offset + pageSize < total { data["next"] = "\(offset + pageSize)" }
    }

    func productsPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            await productsPage(visit, offset: Self.offset(request))
        }
    }

    func productsPage(
        _ visit: Visit, offset: Int, form: [String: Any] = [:], error: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async -> Response {
        var data: [String: Any] = ["form": form]
        switch await perform("DescribeProducts", ["Offset": .int(Int64(offset)), "Limit": .int(Int64(Self.pageSize))]) {
        case .success(let answer):
            data["products"] = (answer["Products"]?.arrayValue ?? []).map(Self.productView)
            Self.paging(&data, offset: offset, total: answer["TotalCount"]?.intValue ?? 0)
        case .failure(let failure):
            return pages.message(status: Self.status(of: failure), title: "Products", message: failure.message, back: nil, visit: visit)
        }
        return pages.render("products", title: "Products", data: data, visit: visit, status: status, error: error, notice: notice)
    }

    func createProduct(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, form in
            let name = form["name"] ?? ""
            let certificate = form["auth"] == "certificate"
            let description = form["description"] ?? ""
            let parameters: JSONValue = [
                "ProductName": .string(name),
                "ProductProperties": ["EncryptionType": .string(certificate ? "1" : "2"), "ProductDescription": .string(description)],
            ]
            let result = await change(visit, "CreateProduct", parameters, target: name, detail: "auth=\(certificate ? "certificate" : "psk")")
            switch result {
            case .success(let answer):
                let id = answer["ProductId"]?.stringValue ?? ""
                return .redirect(to: "/console/products/\(FormBody.encode(id))?created=1")
            case .failure(let failure):
                let keep: [String: Any] = ["name": name, "description": description, "certificate": certificate]
                return await productsPage(visit, offset: 0, form: keep, error: failure.message, status: Self.status(of: failure))
            }
        }
    }

    func productPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            let id = context.parameters.get("product") ?? ""
            let reveal = request.uri.queryParameters.get("reveal") == "secret"
            var notice: String?
            if request.uri.queryParameters.get("created") != nil { notice = "Product created." }
            if request.uri.queryParameters.get("saved") != nil { notice = "Saved." }
            return await productPage(visit, id: id, reveal: reveal, notice: notice)
        }
    }

    func productPage(
        _ visit: Visit, id: String, reveal: Bool = false, notice: String? = nil, error: String? = nil, status: HTTPResponse.Status = .ok,
        drafts: [String: String] = [:]
    ) async -> Response {
        let product: JSONValue
        switch await perform("DescribeProduct", ["ProductId": .string(id)]) {
        case .success(let answer): product = answer
        case .failure(let failure):
            return pages.message(status: Self.status(of: failure), title: "Product", message: failure.message, back: "/console/products", visit: visit)
        }
        var view = Self.productView(product)
        // The hub action answers the policy with the count of devices created by registration so far.
        if case .success(let policy) = await perform("UpdateProductRegistrationPolicy", ["ProductId": .string(id)]) {
            view["created"] = policy["AutoCreatedDevices"]?.intValue ?? 0
            view["replay"] = policy["ReplayProtection"] == .bool(true)
        }
        view.merge(await integrationsView(id, drafts: drafts)) { _, new in new }
        if reveal, let secret = product["ProductProperties"]?["ProductSecret"]?.stringValue, !secret.isEmpty {
            view["secret"] = secret
            await record(visit.account.name, "RevealProductSecret", target: id, result: "ok", detail: "", source: visit.source)
        }
        let title = product["ProductName"]?.stringValue ?? id
        return pages.render("product", title: title, data: ["product": view], visit: visit, status: status, error: error, notice: notice)
    }

    /// The Dynamic Registration card: switch, auto-create, the maximum, replay protection.
    func updateRegistration(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, form in
            let id = context.parameters.get("product") ?? ""
            let registerType = form.checked("enabled") ? (form.checked("autocreate") ? 2 : 1) : 0
            let limitText = (form["limit"] ?? "").trimmingCharacters(in: .whitespaces)
            guard let limit = Int(limitText) else {
                return await productPage(visit, id: id, error: "The maximum number of automatically created devices must be a whole number.", status: .badRequest)
            }
            let parameters: JSONValue = ["ProductId": .string(id), "RegisterType": .int(Int64(registerType)), "RegisterLimit": .int(Int64(limit))]
            let detail = "RegisterType=\(registerType) RegisterLimit=\(limit)"
            if case .failure(let failure) = await change(visit, "UpdateProductDynamicRegister", parameters, target: id, detail: detail) {
                return await productPage(visit, id: id, error: failure.message, status: Self.status(of: failure))
            }
            let replay = form.checked("replay")
            if case .success(let policy) = await perform("UpdateProductRegistrationPolicy", ["ProductId": .string(id)]),
                policy["ReplayProtection"] != .bool(replay)
            {
                let update: JSONValue = ["ProductId": .string(id), "ReplayProtection": .bool(replay)]
                if case .failure(let failure) = await change(visit, "UpdateProductRegistrationPolicy", update, target: id, detail: "ReplayProtection=\(replay)") {
                    return await productPage(visit, id: id, error: failure.message, status: Self.status(of: failure))
                }
            }
            return .redirect(to: "/console/products/\(FormBody.encode(id))?saved=1")
        }
    }
}
