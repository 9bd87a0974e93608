import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore
import Logging
import Registry

/// One device's page: its facts, registration attempts, shadow and control topic, and what an admin may do
/// with it (disable/enable, edit the desired state, send a message, reset its registration, delete it).
extension Console {
    /// The product and device of a device route (path segments are percent-decoded: names may hold `:`).
    static func deviceTarget(_ context: HubRequestContext) -> (productId: String, name: String) {
        let decode = { (name: String) in
            let raw = context.parameters.get(name) ?? ""
            return raw.removingPercentEncoding ?? raw
        }
        return (decode("product"), decode("device"))
    }

    /// What the notice of `?done=` says after a change (fixed texts: nothing from the query is shown).
    static let deviceNotices = [
        "enabled": "Device enabled.", "disabled": "Device disabled.", "shadow": "Desired state saved.", "message": "Message sent.",
        "reset": "Registration reset: the old credential no longer works, and the device gets a new one when it registers again.",
    ]

    func devicePage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            let (productId, name) = Self.deviceTarget(context)
            let notice = request.uri.queryParameters.get("done").flatMap { Self.deviceNotices[String($0)] }
            return await devicePage(visit, productId: productId, name: name, notice: notice)
        }
    }

    /// The page; `form` keeps what an admin typed when a change was refused.
    func devicePage(
        _ visit: Visit, productId: String, name: String, form: [String: Any] = [:], error: String? = nil, notice: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async -> Response {
        let product: JSONValue
        let device: JSONValue
        switch await perform("DescribeProduct", ["ProductId": .string(productId)]) {
        case .success(let answer): product = answer
        case .failure(let failure):
            return pages.message(status: Self.status(of: failure), title: "Device", message: failure.message, back: "/console/products", visit: visit)
        }
        let back = "/console/products/\(FormBody.encode(productId))/devices"
        switch await perform("DescribeDevice", ["ProductId": .string(productId), "DeviceName": .string(name)]) {
        case .success(let answer): device = answer
        case .failure(let failure):
            return pages.message(status: Self.status(of: failure), title: "Device", message: failure.message, back: back, visit: visit)
        }
        var view = Self.deviceView(device, productId: productId)
        let enabled = device["EnableState"]?.intValue != 0
        view["namePath"] = FormBody.encode(name)
        view["toggle"] = enabled ? "disable" : "enable"
        view["toggleLabel"] = enabled ? "Disable" : "Enable"
        view["activated"] = ConsolePages.time(Int64(device["FirstOnlineTime"]?.intValue ?? 0))
        view["lastOffline"] = ConsolePages.time(Int64(device["LastOfflineTime"]?.intValue ?? 0))
        view["created"] = ConsolePages.time(Int64(device["CreateTime"]?.intValue ?? 0))
        let address = device["ClientIP"]?.stringValue ?? ""
        view["address"] = address.isEmpty ? "-" : address
        if (view["version"] as? String)?.isEmpty ?? true { view["version"] = "-" }
        view["controlTopic"] = "\(productId)/\(name)/control"

        // The shadow: reported as text, desired as text and in the editor (kept as typed after a refusal).
        var shadowVersion = 0
        var reported: JSONValue = .object(JSONObject())
        var desired: JSONValue = .object(JSONObject())
        switch await perform("DescribeDeviceShadow", ["ProductId": .string(productId), "DeviceName": .string(name)]) {
        case .success(let answer):
            if let text = answer["Data"]?.stringValue, let data = try? JSONValue(parsing: text), let payload = data["payload"] {
                shadowVersion = payload["version"]?.intValue ?? 0
                reported = payload["state"]?["reported"] ?? reported
                desired = payload["state"]?["desired"] ?? desired
            }
        case .failure(let failure):
            return pages.message(status: Self.status(of: failure), title: "Device", message: failure.message, back: back, visit: visit)
        }
        view["shadowVersion"] = shadowVersion
        view["reported"] = ConsoleJSON.pretty(reported)
        view["desired"] = ConsoleJSON.pretty(desired)
        view["desiredText"] = form["desired"] ?? ConsoleJSON.pretty(desired)
        view["messagePayload"] = form["payload"] ?? ""
        view["qos1"] = (form["qos"] as? String) == "1"

        // The device's last registration attempts, from the registration audit.
        let logs: JSONValue = ["ProductId": .string(productId), "DeviceName": .string(name), "Offset": .int(0), "Limit": .int(Int64(Self.deviceAttempts))]
        if case .success(let answer) = await perform("DescribeRegistrationLogs", logs) {
            view["attempts"] = (answer["Logs"]?.arrayValue ?? []).map { log -> [String: Any] in
                [
                    "time": ConsolePages.time(Int64(log["Time"]?.intValue ?? 0)), "endpoint": log["Endpoint"]?.stringValue ?? "",
                    "result": log["Result"]?.stringValue ?? "", "reason": log["Reason"]?.stringValue ?? "",
                    "source": log["SourceAddress"]?.stringValue ?? "", "count": log["Count"]?.intValue ?? 1,
                ]
            }
            view["attemptsTotal"] = answer["TotalCount"]?.intValue ?? 0
        }
        let data: [String: Any] = ["product": Self.productView(product), "device": view]
        return pages.render("device", title: name, data: data, visit: visit, status: status, error: error, notice: notice)
    }

    static let deviceAttempts = 10

    // MARK: changes

    func setDeviceEnabled(_ request: Request, _ context: HubRequestContext, _ enabled: Bool) async -> Response {
        await changing(request, context) { visit, _ in
            let (productId, name) = Self.deviceTarget(context)
            let parameters: JSONValue = ["ProductId": .string(productId), "DeviceName": .string(name), "EnableState": .int(enabled ? 1 : 0)]
            switch await change(visit, "UpdateDeviceAvailableState", parameters, target: "\(productId)/\(name)", detail: "EnableState=\(enabled ? 1 : 0)") {
            case .success: return .redirect(to: Self.devicePath(productId: productId, name: name) + "?done=\(enabled ? "enabled" : "disabled")")
            case .failure(let failure): return await devicePage(visit, productId: productId, name: name, error: failure.message, status: Self.status(of: failure))
            }
        }
    }

    /// The desired state from the editor: it must be JSON (else a clear error and nothing changes); the rest
    /// (an object, the size, the version the editor was opened at) is UpdateDeviceShadow's.
    func updateDesired(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, form in
            let (productId, name) = Self.deviceTarget(context)
            let text = form["desired"] ?? ""
            let keep: [String: Any] = ["desired": text]
            let desired: JSONValue
            do {
                desired = try JSONValue(parsing: text)
            } catch {
                return await devicePage(
                    visit, productId: productId, name: name, form: keep, error: "The desired state is not valid JSON (\(error)). Nothing was changed.",
                    status: .badRequest
                )
            }
            guard let version = Int64(form["version"] ?? "") else {
                return await devicePage(visit, productId: productId, name: name, form: keep, error: "The form has no shadow version.", status: .badRequest)
            }
            let state = JSONValue([("desired", desired)]).serializedString()
            let parameters: JSONValue = ["ProductId": .string(productId), "DeviceName": .string(name), "State": .string(state), "ShadowVersion": .int(version)]
            switch await change(visit, "UpdateDeviceShadow", parameters, target: "\(productId)/\(name)", detail: "ShadowVersion=\(version)") {
            case .success: return .redirect(to: Self.devicePath(productId: productId, name: name) + "?done=shadow#shadow")
            case .failure(let failure):
                return await devicePage(visit, productId: productId, name: name, form: keep, error: failure.message, status: Self.status(of: failure))
            }
        }
    }

    /// PublishMessage on the device's control topic.
    func sendMessage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, form in
            let (productId, name) = Self.deviceTarget(context)
            let payload = form["payload"] ?? ""
            let qos = form["qos"] == "1" ? 1 : 0
            let topic = "\(productId)/\(name)/control"
            let parameters: JSONValue = [
                "ProductId": .string(productId), "DeviceName": .string(name), "Topic": .string(topic), "Payload": .string(payload), "Qos": .int(Int64(qos)),
            ]
            switch await change(visit, "PublishMessage", parameters, target: "\(productId)/\(name)", detail: "Topic=\(topic) Qos=\(qos) bytes=\(payload.utf8.count)") {
            case .success: return .redirect(to: Self.devicePath(productId: productId, name: name) + "?done=message#message")
            case .failure(let failure):
                let keep: [String: Any] = ["payload": payload, "qos": "\(qos)"]
                return await devicePage(visit, productId: productId, name: name, form: keep, error: failure.message, status: Self.status(of: failure))
            }
        }
    }

    func deviceConfirmPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            let (productId, name) = Self.deviceTarget(context)
            guard visit.canChange else {
                return pages.message(status: .forbidden, title: "Not allowed", message: "A viewer can see everything and change nothing.", back: nil, visit: visit)
            }
            let path = Self.devicePath(productId: productId, name: name)
            if case .failure(let failure) = await perform("DescribeDevice", ["ProductId": .string(productId), "DeviceName": .string(name)]) {
                return pages.message(status: Self.status(of: failure), title: "Device", message: failure.message, back: "/console/products", visit: visit)
            }
            let operation = request.uri.queryParameters.get("do") ?? ""
            let (question, consequence, verb): (String, String, String)
            switch operation {
            case "reset":
                (question, consequence, verb) = (
                    "Reset the registration of \(name)?",
                    "A new credential is issued and the activation is cleared: the old credential stops working at once (a connected device is "
                        + "disconnected), and the device fetches the new one with its next dynamic registration.",
                    "Reset registration"
                )
            case "delete":
                (question, consequence, verb) = (
                    "Delete the device \(name)?",
                    "This cannot be undone: its credential, shadow, uploaded logs and files are removed, and a connected device is disconnected.", "Delete"
                )
            default:
                return pages.message(status: .badRequest, title: "Device", message: "Unknown operation.", back: path, visit: visit)
            }
            let data: [String: Any] = ["path": path, "operation": operation, "question": question, "consequence": consequence, "verb": verb]
            return pages.render("device-confirm", title: "\(verb)", data: data, visit: visit)
        }
    }

    func resetDeviceRegistration(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, _ in
            let (productId, name) = Self.deviceTarget(context)
            let parameters: JSONValue = ["ProductId": .string(productId), "DeviceName": .string(name)]
            switch await change(visit, "ResetDeviceRegistration", parameters, target: "\(productId)/\(name)", detail: "") {
            case .success: return .redirect(to: Self.devicePath(productId: productId, name: name) + "?done=reset")
            case .failure(let failure): return await devicePage(visit, productId: productId, name: name, error: failure.message, status: Self.status(of: failure))
            }
        }
    }

    func deleteDevice(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, _ in
            let (productId, name) = Self.deviceTarget(context)
            let parameters: JSONValue = ["ProductId": .string(productId), "DeviceName": .string(name)]
            switch await change(visit, "DeleteDevice", parameters, target: "\(productId)/\(name)", detail: "") {
            case .success: return await devicesPage(visit, productId: productId, offset: 0, notice: "Device \(name) deleted.")
            case .failure(let failure): return await devicePage(visit, productId: productId, name: name, error: failure.message, status: Self.status(of: failure))
            }
        }
    }
}
