import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore

/// The product page's remote configuration card (DescribeProductRemoteConfig, UpdateProductRemoteConfig) and
/// webhook card (DescribeProductWebhook: URL and delivery counters; UpdateProductWebhook: set or clear).
extension Console {
    /// What the two cards show; `drafts` keeps what the operator typed when a change was refused.
    func integrationsView(_ id: String, drafts: [String: String]) async -> [String: Any] {
        var view: [String: Any] = [:]
        if let draft = drafts["config"] {
            view["remoteConfig"] = draft
        } else if case .success(let answer) = await perform("DescribeProductRemoteConfig", ["ProductId": .string(id)]) {
            view["remoteConfig"] = answer["Config"]?.stringValue ?? "{}"
        }
        if case .success(let answer) = await perform("DescribeProductWebhook", ["ProductId": .string(id)]) {
            let url = answer["Url"]?.stringValue ?? ""
            view["webhook"] = [
                "url": url, "hasURL": !url.isEmpty, "draft": drafts["url"] ?? url,
                "delivered": answer["Delivered"]?.intValue ?? 0, "failed": answer["Failed"]?.intValue ?? 0,
                "dropped": answer["Dropped"]?.intValue ?? 0, "pending": answer["Pending"]?.intValue ?? 0,
            ] as [String: Any]
        }
        return view
    }

    /// Stores the configuration the action accepts (a JSON object of at most 16 KiB); anything else is the
    /// action's error on the page, with the text kept in the form, and changes nothing.
    func updateRemoteConfig(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, form in
            let id = context.parameters.get("product") ?? ""
            let text = form["config"] ?? ""
            let parameters: JSONValue = ["ProductId": .string(id), "Config": .string(text)]
            switch await change(visit, "UpdateProductRemoteConfig", parameters, target: id, detail: "\(text.utf8.count) bytes") {
            case .success: return .redirect(to: "/console/products/\(FormBody.encode(id))?saved=1#remote-config")
            case .failure(let failure):
                return await productPage(visit, id: id, error: failure.message, status: Self.status(of: failure), drafts: ["config": text])
            }
        }
    }

    /// Sets the webhook URL, or clears it (an empty URL turns the webhook off).
    func updateWebhook(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, form in
            let id = context.parameters.get("product") ?? ""
            let url = (form["url"] ?? "").trimmingCharacters(in: .whitespaces)
            let parameters: JSONValue = ["ProductId": .string(id), "Url": .string(url)]
            switch await change(visit, "UpdateProductWebhook", parameters, target: id, detail: "Url=\(url)") {
            case .success: return .redirect(to: "/console/products/\(FormBody.encode(id))?saved=1#webhook")
            case .failure(let failure):
                return await productPage(visit, id: id, error: failure.message, status: Self.status(of: failure), drafts: ["url": url])
            }
        }
    }
}
