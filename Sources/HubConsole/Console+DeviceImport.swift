import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import JSONCore
import Logging
import NIOCore
import Registry

/// Adding many devices from a file of names: read on the hub (a multipart upload), created all or none by the
/// CreateDevices action, the credentials offered as a file for the session that created them.
extension Console {
    /// Largest file accepted (10,000 names of 48 characters fit).
    static let maxImportBytes = 512 * 1024
    /// Most names one file may hold (the action's batch limit).
    static let maxImportNames = RegistryEngine.maxDeviceBatch
    /// Refused lines shown on the page; the rest are counted.
    static let maxShownProblems = 100

    /// One name of the file and the line it is on (from 1).
    struct ImportLine: Equatable {
        var line: Int
        var name: String
    }

    /// The names of a file: one per line (LF or CRLF), surrounding spaces and one pair of CSV quotes removed,
    /// blank lines skipped, a first line `DeviceName` taken as the header. Whether a name is valid is the
    /// action's to say.
    static func importLines(_ bytes: [UInt8]) -> [ImportLine] {
        // Split on the bytes: a Swift `Character` holds CR LF as one.
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        var result: [ImportLine] = []
        for (index, raw) in body.split(separator: 10, omittingEmptySubsequences: false).enumerated() {
            let line = raw.last == 13 ? raw.dropLast() : raw
            var value = String(decoding: line, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
            }
            if value.isEmpty { continue }
            if index == 0, value == "DeviceName" { continue }
            result.append(ImportLine(line: index + 1, name: value))
        }
        return result
    }

    func importDevices(_ request: Request, _ context: HubRequestContext) async -> Response {
        let tooLarge = "The file is larger than \(Self.maxImportBytes / 1024) KiB. Split it into smaller files."
        // The form around the file (boundaries, the CSRF token) gets a few KiB more than the file.
        return await changing(request, context, maxBytes: Self.maxImportBytes + 8 * 1024, tooLarge: tooLarge) { visit, form in
            let productId = context.parameters.get("product") ?? ""
            guard let file = form.file("file"), !(file.name.isEmpty && file.bytes.isEmpty) else {
                return await devicesPage(visit, productId: productId, offset: 0, error: "Choose a file with device names.", status: .badRequest)
            }
            guard file.bytes.count <= Self.maxImportBytes else {
                return await devicesPage(visit, productId: productId, offset: 0, error: tooLarge, status: .contentTooLarge)
            }
            let lines = Self.importLines(file.bytes)
            guard !lines.isEmpty else {
                return await devicesPage(visit, productId: productId, offset: 0, error: "The file \(file.name) has no device names.", status: .badRequest)
            }
            guard lines.count <= Self.maxImportNames else {
                let message = "The file \(file.name) has \(lines.count) names; at most \(Self.maxImportNames) are added at once. Split it into smaller files."
                return await devicesPage(visit, productId: productId, offset: 0, error: message, status: .badRequest)
            }
            let parameters: JSONValue = ["ProductId": .string(productId), "DeviceNames": .array(lines.map { .string($0.name) })]
            let result = await change(visit, "CreateDevices", parameters, target: productId, detail: "file=\(file.name) names=\(lines.count)")
            let answer: JSONValue
            switch result {
            case .success(let value): answer = value
            case .failure(let failure):
                return await devicesPage(visit, productId: productId, offset: 0, error: failure.message, status: Self.status(of: failure))
            }
            let invalid = answer["InvalidDevices"]?.arrayValue ?? []
            guard invalid.isEmpty else {
                let problems = invalid.prefix(Self.maxShownProblems).map { problem -> [String: Any] in
                    let index = problem["Index"]?.intValue ?? 0
                    var reason = problem["Message"]?.stringValue ?? ""
                    if let first = problem["DuplicateOf"]?.intValue, lines.indices.contains(first) { reason += " (first on line \(lines[first].line))" }
                    return ["line": lines.indices.contains(index) ? lines[index].line : 0, "text": problem["DeviceName"]?.stringValue ?? "", "reason": reason]
                }
                var extra: [String: Any] = ["hasProblems": true, "problems": Array(problems), "problemCount": invalid.count, "fileName": file.name]
                if invalid.count > Self.maxShownProblems { extra["moreProblems"] = invalid.count - Self.maxShownProblems }
                let message = "Nothing was created: \(invalid.count) line(s) of \(file.name) cannot be used (listed below)."
                return await devicesPage(visit, productId: productId, offset: 0, extra: extra, error: message, status: .badRequest)
            }
            let devices = answer["Devices"]?.arrayValue ?? []
            let certificates = devices.contains { !($0["DeviceCert"]?.stringValue ?? "").isEmpty }
            let (name, type, bytes) = Self.credentialsFile(productId: productId, devices: devices, certificates: certificates)
            let token = downloads.put(session: visit.session.id, name: name, contentType: type, bytes: bytes)
            let data: [String: Any] = [
                "count": devices.count, "fileName": file.name, "token": token, "downloadName": name, "productIdPath": FormBody.encode(productId),
                "format": certificates ? "JSON: ProductId, DeviceName, DeviceCert, DevicePrivateKey" : "CSV: ProductId, DeviceName, DevicePsk",
                "minutes": Int(downloads.lifetimeSeconds / 60),
            ]
            return pages.render("devices-imported", title: "Devices added", data: data, visit: visit, status: .created)
        }
    }

    /// The new devices' credentials: CSV for key devices, JSON (PEM texts inline) for certificate devices.
    static func credentialsFile(productId: String, devices: [JSONValue], certificates: Bool) -> (name: String, type: String, bytes: [UInt8]) {
        let name = "devices-\(productId)-\(devices.count)"
        if certificates {
            let list: [JSONValue] = devices.map { device in
                JSONValue([
                    ("ProductId", .string(productId)), ("DeviceName", device["DeviceName"] ?? .string("")), ("DeviceCert", device["DeviceCert"] ?? .string("")),
                    ("DevicePrivateKey", device["DevicePrivateKey"] ?? .string("")),
                ])
            }
            return (name + ".json", "application/json", Array((JSONValue.array(list).serializedString() + "\n").utf8))
        }
        var text = "ProductId,DeviceName,DevicePsk\n"
        for device in devices {
            text += "\(productId),\(device["DeviceName"]?.stringValue ?? ""),\(device["DevicePsk"]?.stringValue ?? "")\n"
        }
        return (name + ".csv", "text/csv; charset=utf-8", Array(text.utf8))
    }

    /// A file made for this session (the credentials of an import), as an attachment.
    func download(_ request: Request, _ context: HubRequestContext) async -> Response {
        await viewing(request, context) { visit in
            let token = context.parameters.get("token") ?? ""
            guard let file = downloads.file(session: visit.session.id, token: token) else {
                let message = "This download is not available: a file is kept for \(Int(downloads.lifetimeSeconds / 60)) minutes, for the session that made it."
                return pages.message(status: .notFound, title: "Download", message: message, back: "/console/products", visit: visit)
            }
            await record(visit.account.name, "DownloadDeviceCredentials", target: file.name, result: "ok", detail: "", source: visit.source)
            var headers = ConsolePages.headers(contentType: file.contentType)
            headers[.contentDisposition] = "attachment; filename=\"\(file.name)\""
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
    }
}
