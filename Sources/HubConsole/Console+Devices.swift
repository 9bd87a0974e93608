import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore
import Logging
import Registry

extension Console {
    /// The status filter of the devices page: its query value, label and the DescribeDevices parameter.
    static let statusFilters: [(value: String, label: String, parameter: (String, JSONValue)?)] = [
        ("", "all", nil), ("online", "online", ("Online", .int(1))), ("offline", "offline", ("Online", .int(0))),
        ("never", "never activated", ("Online", .int(3))), ("disabled", "disabled", ("EnableState", .int(0))),
    ]

    /// The link of a device's page.
    static func devicePath(productId: String, name: String) -> String {
        "/console/products/\(FormBody.encode(productId))/devices/\(FormBody.encode(name))"
    }

    static func deviceView(_ device: JSONValue, productId: String) -> [String: Any] {
        let status: String
        switch device["Online"]?.intValue {
        case 1: status = "online"
        case 0: status = "offline"
        default: status = "never activated"
        }
        let name = device["DeviceName"]?.stringValue ?? ""
        return [
            "name": name, "status": status, "path": devicePath(productId: productId, name: name),
            "state": device["EnableState"]?.intValue == 0 ? "disabled" : "enabled",
            "fetched": device["CertState"]?.intValue == 1 ? "yes" : "no",
            "lastLogin": ConsolePages.time(Int64(device["LoginTime"]?.intValue ?? 0)),
            "version": device["Version"]?.stringValue ?? "",
        ]
    }

    func devicesPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            let id = context.parameters.get("product") ?? ""
            let query = request.uri.queryParameters
            return await devicesPage(visit, productId: id, offset: Self.offset(request), nameFilter: query.get("name") ?? "", statusFilter: query.get("status") ?? "")
        }
    }

    func devicesPage(
        _ visit: Visit, productId: String, offset: Int, nameFilter: String = "", statusFilter: String = "", form: [String: Any] = [:],
        extra: [String: Any] = [:], error: String? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async -> Response {
        let product: JSONValue
        switch await perform("DescribeProduct", ["ProductId": .string(productId)]) {
        case .success(let answer): product = answer
        case .failure(let failure):
            return pages.message(status: Self.status(of: failure), title: "Devices", message: failure.message, back: "/console/products", visit: visit)
        }
        let filter = Self.statusFilters.first { $0.value == statusFilter } ?? Self.statusFilters[0]
        var parameters: [(String, JSONValue)] = [("ProductId", .string(productId)), ("Offset", .int(Int64(offset))), ("Limit", .int(Int64(Self.pageSize)))]
        if !nameFilter.isEmpty { parameters.append(("DeviceName", .string(nameFilter))) }
        if let parameter = filter.parameter { parameters.append(parameter) }
        var data: [String: Any] = [
            "product": Self.productView(product), "form": form, "filterName": nameFilter,
            "filterQuery": "name=\(FormBody.encode(nameFilter))&status=\(FormBody.encode(filter.value))",
            "statuses": Self.statusFilters.map { ["value": $0.value, "label": $0.label, "selected": $0.value == filter.value] as [String: Any] },
            "maxNames": Self.maxImportNames, "maxKiB": Self.maxImportBytes / 1024,
        ]
        data.merge(extra) { $1 }
        switch await perform("DescribeDevices", JSONValue(parameters)) {
        case .success(let answer):
            data["devices"] = (answer["Devices"]?.arrayValue ?? []).map { Self.deviceView($0, productId: productId) }
            Self.paging(&data, offset: offset, total: answer["TotalCount"]?.intValue ?? 0)
        case .failure(let failure):
            return pages.message(status: Self.status(of: failure), title: "Devices", message: failure.message, back: "/console/products", visit: visit)
        }
        let title = "Devices of \(product["ProductName"]?.stringValue ?? productId)"
        return pages.render("devices", title: title, data: data, visit: visit, status: status, error: error, notice: notice)
    }

    /// Adds one device and shows its credential once.
    func createDevice(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, form in
            let id = context.parameters.get("product") ?? ""
            let name = form["name"] ?? ""
            let result = await change(visit, "CreateDevice", ["ProductId": .string(id), "DeviceName": .string(name)], target: "\(id)/\(name)", detail: "")
            switch result {
            case .success(let answer):
                var data: [String: Any] = ["productId": id, "productIdPath": FormBody.encode(id), "deviceName": name]
                for (key, field) in [("psk", "DevicePsk"), ("certificate", "DeviceCert"), ("privateKey", "DevicePrivateKey")] {
                    if let value = answer[field]?.stringValue, !value.isEmpty { data[key] = value }
                }
                let file = Self.deviceInfoFile(productId: id, deviceName: name, answer: answer)
                data["deviceInfoBase64"] = Data(file.utf8).base64EncodedString()
                return pages.render("device-created", title: "Device added", data: data, visit: visit, status: .created)
            case .failure(let failure):
                return await devicesPage(visit, productId: id, offset: 0, form: ["name": name], error: failure.message, status: Self.status(of: failure))
            }
        }
    }

    /// The credential as the `device_info.json` Tencent's device SDKs (and `iothub-device`) read: `KEY` with
    /// `key_deviceinfo.deviceSecret`, or `CERT` with the PEM texts inline in `cert_deviceinfo`.
    static func deviceInfoFile(productId: String, deviceName: String, answer: JSONValue) -> String {
        let psk = answer["DevicePsk"]?.stringValue ?? ""
        var pairs: [(String, JSONValue)] = [("auth_mode", .string(psk.isEmpty ? "CERT" : "KEY")), ("productId", .string(productId)), ("deviceName", .string(deviceName))]
        if psk.isEmpty {
            pairs.append(
                ("cert_deviceinfo", JSONValue([("devCert", answer["DeviceCert"] ?? .string("")), ("devPrivateKey", answer["DevicePrivateKey"] ?? .string(""))]))
            )
        } else {
            pairs.append(("key_deviceinfo", JSONValue([("deviceSecret", JSONValue(psk))])))
        }
        return JSONValue(pairs).serializedString() + "\n"
    }
}
