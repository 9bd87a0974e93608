import ArgumentParser
import CloudAPI
import DeviceAuth
import Foundation
import JSONCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct FirmwareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firmware",
        abstract: "Firmware and OTA updates.",
        discussion: """
            Flow: `firmware upload` stores a version (GetCOSURL, PUT to the returned URL, UploadFirmware), \
            `firmware update` creates a task (BatchUpdateFirmware) that sends update_firmware to the devices, \
            `firmware task show` follows it.
            """,
        subcommands: [Upload.self, List.self, Update.self, TaskCommand.self]
    )

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upload a firmware file as a new version of a product.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The firmware binary.") var file: String
        @Option(help: "ProductId.") var product: String
        @Option(help: "Firmware version, e.g. 1.3.0.") var version: String
        @Option(help: "Firmware name.") var name: String?
        @Option(help: "Description.") var description: String?

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            guard !data.isEmpty else { throw ValidationError("\(file) is empty") }
            let md5 = MD5Digest.hex(of: data)
            try await perform {
                let client = try api.client()
                let cos = try await client.call(
                    "GetCOSURL",
                    [("ProductId", .string(product)), ("FirmwareVersion", .string(version)), ("FileSize", .int(Int64(data.count)))]
                )
                guard let urlText = cos["Url"]?.stringValue, let url = URL(string: urlText) else {
                    throw APICallError(code: "InternalError", message: "GetCOSURL returned no Url")
                }
                try await FirmwareCommand.put(data, to: url)
                var parameters: [(String, JSONValue)] = [
                    ("ProductId", .string(product)), ("FirmwareVersion", .string(version)), ("Md5sum", .string(md5)),
                    ("FileSize", .int(Int64(data.count))),
                ]
                if let name { parameters.append(("FirmwareName", .string(name))) }
                if let description { parameters.append(("FirmwareDescription", .string(description))) }
                let response = try await client.call("UploadFirmware", parameters)
                if api.json { return Output.json(response) }
                print("uploaded firmware \(product) \(version): \(data.count) bytes, md5 \(md5)")
            }
        }
    }

    /// PUTs the file to a hub upload URL (GetCOSURL's, a resource's), with `Content-MD5` when `md5` (hex) is
    /// given: the hub then refuses bytes that do not match.
    static func put(_ data: Data, md5: String? = nil, to url: URL) async throws {
        var request = URLRequest(url: url)
        request.httpMethod = "PUT"
        request.timeoutInterval = 300
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        if let digest = md5.flatMap(Hex.decode) { request.setValue(Data(digest).base64EncodedString(), forHTTPHeaderField: "Content-MD5") }
        let response: URLResponse
        let body: Data
        do {
            (body, response) = try await URLSession.shared.upload(for: request, from: data)
        } catch {
            throw APICallError(code: "UploadFailed", message: "PUT \(url.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw APICallError(code: "UploadFailed", message: "PUT \(url.absoluteString) answered \(status) \(text)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a product's firmware versions.")
        @OptionGroup var api: APIOptions
        @Option(help: "ProductId.") var product: String

        func run() async throws {
            try await perform {
                let response = try await api.client().call(
                    "ListFirmwares", [("PageNum", .int(1)), ("PageSize", .int(250)), ("ProductId", .string(product))]
                )
                if api.json { return Output.json(response) }
                let rows = (response["Firmwares"]?.arrayValue ?? []).map { firmware -> [String] in
                    [Output.text(firmware["Version"]), Output.text(firmware["Name"]), Output.text(firmware["Md5sum"]), Output.time(firmware["CreateTime"])]
                }
                Output.table(["VERSION", "NAME", "MD5", "UPLOADED"], rows)
                print("\(Output.text(response["TotalCount"])) firmware version(s)")
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an update task: send a firmware version to devices.",
            discussion: "Online devices get update_firmware at once, offline ones when they next report their version."
        )
        @OptionGroup var api: APIOptions
        @Option(help: "ProductId.") var product: String
        @Option(help: "Target firmware version.") var version: String
        @Option(help: "Comma-separated device names.") var devices: String?
        @Option(name: .customLong("from-version"), help: "Every device currently on this version.") var fromVersion: String?
        @Option(help: "Seconds a device may stay silent before it times out (60-3600, default 600).") var timeout: Int?

        func validate() throws {
            guard (devices == nil) != (fromVersion == nil) else { throw ValidationError("give either --devices or --from-version") }
        }

        func run() async throws {
            var parameters: [(String, JSONValue)] = [("ProductId", .string(product)), ("FirmwareVersion", .string(version))]
            if let devices {
                let names = devices.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                parameters.append(("DeviceNames", .array(names.map { .string($0) })))
            }
            if let fromVersion { parameters.append(("FirmwareOriVersion", .string(fromVersion))) }
            if let timeout { parameters.append(("TimeoutInterval", .int(Int64(timeout)))) }
            try await perform {
                let response = try await api.client().call("BatchUpdateFirmware", parameters)
                if api.json { return Output.json(response) }
                print("created firmware task \(Output.text(response["TaskId"])) (\(product) → \(version))")
            }
        }
    }

    struct TaskCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "task", abstract: "Follow update tasks.", subcommands: [Show.self])

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a task and the state of each of its devices.")
            @OptionGroup var api: APIOptions
            @Option(help: "ProductId.") var product: String
            @Option(help: "Target firmware version of the task.") var version: String
            @Option(help: "TaskId.") var task: Int64

            func run() async throws {
                let base: [(String, JSONValue)] = [("ProductId", .string(product)), ("FirmwareVersion", .string(version))]
                try await perform {
                    let client = try api.client()
                    let described = try await client.call("DescribeFirmwareTask", base + [("TaskId", .int(task))])
                    let distribution = try await client.call("DescribeFirmwareTaskDistribution", base + [("TaskId", .int(task))])
                    var devices: [JSONValue] = []
                    var total = Int.max
                    while devices.count < total {
                        let page = try await client.call(
                            "DescribeFirmwareTaskDevices",
                            base + [
                                ("Filters", .array([.object(JSONObject([("Key", .string("TaskId")), ("Value", .string(String(task)))]))])),
                                ("Offset", .int(Int64(devices.count))), ("Limit", .int(250)),
                            ]
                        )
                        let items = page["Devices"]?.arrayValue ?? []
                        total = page["Total"]?.intValue ?? 0
                        devices += items
                        if items.isEmpty { break }
                    }
                    if api.json {
                        return Output.json(.object(JSONObject([
                            ("Task", described), ("StatusInfos", distribution["StatusInfos"] ?? .array([])), ("Devices", .array(devices)),
                        ])))
                    }
                    let counts = (distribution["StatusInfos"]?.arrayValue ?? []).map {
                        "\(FirmwareCommand.deviceStatusText($0["Status"]?.intValue)) \(Output.text($0["Total"]))"
                    }
                    Output.keyValues([
                        ("TaskId", Output.text(described["TaskId"])),
                        ("Status", FirmwareCommand.taskStatusText(described["Status"]?.intValue)),
                        ("Product", "\(Output.text(described["ProductId"])) (\(Output.text(described["ProductName"])))"),
                        ("Version", version),
                        ("Mode", Output.text(described["UpgradeMode"]) + (described["OriginalVersion"]?.stringValue.map { $0.isEmpty ? "" : " from \($0)" } ?? "")),
                        ("Created", Output.time(described["CreateTime"])),
                        ("Devices", counts.isEmpty ? "none" : counts.joined(separator: ", ")),
                    ])
                    print("")
                    let rows = devices.map { device -> [String] in
                        [
                            Output.text(device["DeviceName"]), FirmwareCommand.deviceStatusText(device["Status"]?.intValue),
                            Output.text(device["Percent"]) + "%", Output.text(device["OriVersion"]), Output.text(device["DstVersion"]),
                            Output.text(device["Retcode"]), Output.text(device["ErrMsg"]), Output.time(device["LastProcessTime"]),
                        ]
                    }
                    Output.table(["DEVICE", "STATUS", "PERCENT", "FROM", "TO", "RETCODE", "MESSAGE", "LAST REPORT"], rows)
                }
            }
        }
    }

    static func taskStatusText(_ status: Int?) -> String {
        switch status {
        case 0: "waiting"
        case 1: "running"
        case 2: "finished"
        case 6: "cancelled"
        default: status.map(String.init) ?? "-"
        }
    }

    static func deviceStatusText(_ status: Int?) -> String {
        switch status {
        case 0: "offline"
        case 1: "pending"
        case 2: "delivered"
        case 3: "downloading"
        case 4: "burning"
        case 5: "failed"
        case 6: "upgraded"
        case 7: "processing"
        case 8: "awaiting-confirmation"
        case 10: "timed-out"
        case 20: "downloaded"
        default: status.map(String.init) ?? "-"
        }
    }
}
