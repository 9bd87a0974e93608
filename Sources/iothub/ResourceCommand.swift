import ArgumentParser
import DeviceAuth
import Foundation
import JSONCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct ResourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resource",
        abstract: "Resource files: give devices a file, fetch what devices uploaded.",
        discussion: """
            To devices: `resource push` stores a product resource (CreateProductResource, PUT to the returned URL) and \
            creates a task (PushProductResource) that sends it to the devices on $resource/down/service; `resource status` \
            follows it. From devices: `resource uploads` lists what devices uploaded (DescribeDeviceResources), \
            `resource download` fetches one (DownloadDeviceResource).
            """,
        subcommands: [Push.self, List.self, Status.self, Delete.self, Uploads.self, Download.self, DeleteUpload.self]
    )

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a file as a product resource and push it to devices.",
            discussion: "Online devices get `download` at once, the others when they ask (get_download_task)."
        )
        @OptionGroup var api: APIOptions
        @Argument(help: "ProductId.") var productId: String
        @Argument(help: "Resource name: 1-63 characters of A-Z a-z 0-9 . _ -") var name: String
        @Argument(help: "The file.") var file: String
        @Option(help: "Comma-separated device names (default: every device of the product).") var devices: String?
        @Option(help: "Description.") var description: String?
        @Flag(help: "Push a resource already stored under this name instead of uploading FILE again.") var existing = false

        func run() async throws {
            try await perform {
                let client = try api.client()
                if !existing {
                    guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                    guard !data.isEmpty else { throw ValidationError("\(file) is empty") }
                    let md5 = MD5Digest.hex(of: data)
                    var parameters: [(String, JSONValue)] = [
                        ("ProductID", .string(productId)), ("Name", .string(name)), ("Md5", .string(md5)), ("Size", .int(Int64(data.count))),
                    ]
                    if let description { parameters.append(("Description", .string(description))) }
                    let created = try await client.call("CreateProductResource", parameters)
                    guard let urlText = created["Url"]?.stringValue, let url = URL(string: urlText) else {
                        throw APICallError(code: "InternalError", message: "CreateProductResource returned no Url")
                    }
                    try await FirmwareCommand.put(data, md5: md5, to: url)
                    if !api.json { print("stored resource \(productId) \(name): \(data.count) bytes, md5 \(md5)") }
                }
                var parameters: [(String, JSONValue)] = [("ProductID", .string(productId)), ("Name", .string(name))]
                if let devices {
                    let names = devices.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                    parameters.append(("DeviceNames", .array(names.map { .string($0) })))
                }
                let response = try await client.call("PushProductResource", parameters)
                if api.json { return Output.json(response) }
                print("task \(Output.text(response["TaskId"])) created; follow it with: iothub resource status \(productId) \(name)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a product's resources (DescribeProductResources).")
        @OptionGroup var api: APIOptions
        @Argument(help: "ProductId.") var productId: String

        func run() async throws {
            try await perform {
                let response = try await api.client().call(
                    "DescribeProductResources", [("Offset", .int(0)), ("Limit", .int(250)), ("ProductID", .string(productId))]
                )
                if api.json { return Output.json(response) }
                let rows = (response["Result"]?.arrayValue ?? []).map { item -> [String] in
                    [Output.text(item["Name"]), Output.text(item["Size"]), Output.text(item["Md5"]), Output.text(item["CreateTime"])]
                }
                Output.table(["NAME", "SIZE", "MD5", "CREATED (UTC)"], rows)
                print("\(Output.text(response["TotalCount"])) resource(s)")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show where a pushed resource stands on each device.")
        @OptionGroup var api: APIOptions
        @Argument(help: "ProductId.") var productId: String
        @Argument(help: "Resource name.") var name: String

        static let statusNames: [Int64: String] = [1: "pending", 2: "delivered", 3: "downloading", 5: "failed", 6: "done"]

        func run() async throws {
            try await perform {
                let client = try api.client()
                let parameters: [(String, JSONValue)] = [("ProductID", .string(productId)), ("Name", .string(name))]
                let response = try await client.call("DescribeResourceTaskDevices", parameters)
                if api.json { return Output.json(response) }
                let rows = (response["Devices"]?.arrayValue ?? []).map { item -> [String] in
                    let status = item["Status"]?.int64Value ?? 0
                    let message = item["ErrMsg"]?.stringValue ?? ""
                    return [
                        Output.text(item["DeviceName"]), Self.statusNames[status] ?? String(status), "\(Output.text(item["Percent"]))%",
                        message.isEmpty ? "" : "\(Output.text(item["Retcode"])) \(message)", Output.text(item["TaskId"]),
                    ]
                }
                Output.table(["DEVICE", "STATUS", "PERCENT", "RESULT", "TASK"], rows)
                let totals = try await client.call("DescribePushResourceTaskStatistics", parameters)
                print("done \(Output.text(totals["SuccessTotal"])), failed \(Output.text(totals["FailureTotal"])), in progress \(Output.text(totals["UpgradingTotal"]))")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a product resource, its tasks and its file.")
        @OptionGroup var api: APIOptions
        @Argument(help: "ProductId.") var productId: String
        @Argument(help: "Resource name.") var name: String

        func run() async throws {
            try await perform {
                let response = try await api.client().call("DeleteProductResource", [("ProductID", .string(productId)), ("Name", .string(name))])
                if api.json { return Output.json(response) }
                print("deleted resource \(productId) \(name)")
            }
        }
    }

    struct Uploads: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the files devices uploaded (DescribeDeviceResources), newest first.")
        @OptionGroup var api: APIOptions
        @Argument(help: "ProductId (default: every product).") var productId: String?
        @Option(help: "Only this device.") var device: String?

        static let statusNames: [Int64: String] = [0: "waiting", 1: "uploading", 2: "done", 3: "failed"]

        func run() async throws {
            var parameters: [(String, JSONValue)] = [("Offset", .int(0)), ("Limit", .int(250))]
            if let productId { parameters.append(("ProductID", .string(productId))) }
            if let device { parameters.append(("DeviceName", .string(device))) }
            try await perform {
                let response = try await api.client().call("DescribeDeviceResources", parameters)
                if api.json { return Output.json(response) }
                let rows = (response["Result"]?.arrayValue ?? []).map { item -> [String] in
                    let status = item["Status"]?.int64Value ?? 0
                    return [
                        Output.text(item["ProductID"]), Output.text(item["DeviceName"]), Output.text(item["Name"]), Output.text(item["Size"]),
                        Self.statusNames[status] ?? String(status), "\(Output.text(item["Percent"]))%", Output.text(item["UpdateTime"]),
                    ]
                }
                Output.table(["PRODUCT", "DEVICE", "NAME", "SIZE", "STATUS", "PERCENT", "UPDATED (UTC)"], rows)
                print("\(Output.text(response["TotalCount"])) upload(s)")
            }
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a file a device uploaded; its MD5 is checked.")
        @OptionGroup var api: APIOptions
        @Argument(help: "ProductId.") var productId: String
        @Argument(help: "Device name.") var deviceName: String
        @Argument(help: "Resource name.") var name: String
        @Option(name: .shortAndLong, help: "Where to write it (default: the resource name in the current directory).") var output: String?

        func run() async throws {
            try await perform {
                let client = try api.client()
                let parameters: [(String, JSONValue)] = [("ProductID", .string(productId)), ("DeviceName", .string(deviceName)), ("Name", .string(name))]
                let described = try await client.call("DescribeDeviceResource", parameters)
                let response = try await client.call("DownloadDeviceResource", parameters)
                guard let urlText = response["Url"]?.stringValue, let url = URL(string: urlText) else {
                    throw APICallError(code: "InternalError", message: "DownloadDeviceResource returned no Url")
                }
                let (data, answer) = try await URLSession.shared.data(from: url)
                let status = (answer as? HTTPURLResponse)?.statusCode ?? 0
                guard status == 200 else { throw APICallError(code: "DownloadFailed", message: "GET \(urlText) answered \(status)") }
                let md5 = MD5Digest.hex(of: data)
                guard md5 == described["Result"]?["Md5"]?.stringValue else {
                    throw APICallError(code: "DownloadFailed", message: "the download's MD5 \(md5) is not the upload's")
                }
                let path = output ?? name
                try data.write(to: URL(fileURLWithPath: path), options: .atomic)
                if api.json { return Output.json(.object(JSONObject([("Path", .string(path)), ("Size", .int(Int64(data.count))), ("Md5", .string(md5))]))) }
                print("wrote \(path): \(data.count) bytes, md5 \(md5)")
            }
        }
    }

    struct DeleteUpload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete-upload", abstract: "Delete a file a device uploaded (DeleteDeviceResource).")
        @OptionGroup var api: APIOptions
        @Argument(help: "ProductId.") var productId: String
        @Argument(help: "Device name.") var deviceName: String
        @Argument(help: "Resource name.") var name: String

        func run() async throws {
            try await perform {
                let response = try await api.client().call(
                    "DeleteDeviceResource", [("ProductID", .string(productId)), ("DeviceName", .string(deviceName)), ("Name", .string(name))]
                )
                if api.json { return Output.json(response) }
                print("deleted upload \(productId) \(deviceName) \(name)")
            }
        }
    }
}
