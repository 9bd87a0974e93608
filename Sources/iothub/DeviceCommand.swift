import ArgumentParser
import CloudAPI
import Foundation
import JSONCore

struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device",
        abstract: "Manage devices.",
        subcommands: [Create.self, List.self, Show.self, Delete.self, Enable.self, Disable.self, Reset.self, Logs.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (pre-create) a device.")
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Argument(help: "DeviceName, [a-zA-Z0-9:_-]{1,48}.") var deviceName: String
        @Option(help: "Use this Base64 PSK instead of a generated one (PSK products).") var psk: String?

        func run() async throws {
            var parameters: [(String, JSONValue)] = [("ProductId", .string(productId)), ("DeviceName", .string(deviceName))]
            if let psk { parameters.append(("DefinedPsk", .string(psk))) }
            try await perform {
                let response = try await api.client().call("CreateDevice", parameters)
                if api.json { return Output.json(response) }
                print("created device \(productId)/\(deviceName)")
                if let psk = response["DevicePsk"]?.stringValue, !psk.isEmpty { print("PSK: \(psk)") }
                if let cert = response["DeviceCert"]?.stringValue, !cert.isEmpty {
                    print(cert)
                    print(Output.text(response["DevicePrivateKey"]))
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a product's devices.")
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Option var offset = 0
        @Option var limit = 100
        @Option(help: "Only names containing this text.") var name: String?
        @Flag(help: "Only enabled devices.") var enabled = false
        @Flag(help: "Only disabled devices.") var disabled = false

        func run() async throws {
            var parameters: [(String, JSONValue)] = [
                ("ProductId", .string(productId)), ("Offset", .int(Int64(offset))), ("Limit", .int(Int64(min(limit, 250)))),
            ]
            if let name { parameters.append(("DeviceName", .string(name))) }
            if enabled != disabled { parameters.append(("EnableState", .int(enabled ? 1 : 0))) }
            try await perform {
                let response = try await api.client().call("DescribeDevices", parameters)
                if api.json { return Output.json(response) }
                let rows = (response["Devices"]?.arrayValue ?? []).map { device -> [String] in
                    [
                        Output.text(device["DeviceName"]), DeviceCommand.onlineText(device["Online"]?.intValue),
                        device["EnableState"]?.intValue == 1 ? "enabled" : "disabled",
                        device["CertState"]?.intValue == 1 ? "yes" : "no",
                        Output.time(device["FirstOnlineTime"]), Output.time(device["LoginTime"]), Output.text(device["ClientIP"]),
                    ]
                }
                Output.table(["DEVICE", "STATUS", "STATE", "CREDENTIAL FETCHED", "ACTIVATED", "LAST LOGIN", "CLIENT IP"], rows)
                print("\(Output.text(response["TotalCount"])) device(s)")
            }
        }
    }

    static func onlineText(_ value: Int?) -> String {
        switch value {
        case 1: "online"
        case 3: "inactive"
        default: "offline"
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one device.")
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Argument var deviceName: String

        func run() async throws {
            try await perform {
                let d = try await api.client().call("DescribeDevice", [("ProductId", .string(productId)), ("DeviceName", .string(deviceName))])
                if api.json { return Output.json(d) }
                Output.keyValues([
                    ("DeviceName", Output.text(d["DeviceName"])),
                    ("Status", DeviceCommand.onlineText(d["Online"]?.intValue)),
                    ("State", d["EnableState"]?.intValue == 1 ? "enabled" : "disabled"),
                    ("CredentialFetched", d["CertState"]?.intValue == 1 ? "yes" : "no"),
                    ("DevicePsk", Output.text(d["DevicePsk"])),
                    ("Created", Output.time(d["CreateTime"])),
                    ("FirstOnline", Output.time(d["FirstOnlineTime"])),
                    ("LastLogin", Output.time(d["LoginTime"])),
                    ("LastOffline", Output.time(d["LastOfflineTime"])),
                    ("ClientIP", Output.text(d["ClientIP"])),
                    ("FirmwareVersion", Output.text(d["Version"])),
                ])
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a device (closes its sessions).")
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Argument var deviceName: String

        func run() async throws {
            try await perform {
                let response = try await api.client().call("DeleteDevice", [("ProductId", .string(productId)), ("DeviceName", .string(deviceName))])
                if api.json { return Output.json(response) }
                print("deleted device \(productId)/\(deviceName)")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable devices.")
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Argument var deviceNames: [String]
        func run() async throws { try await setEnabled(api, productId, deviceNames, 1) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable devices (refused at registration and login).")
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Argument var deviceNames: [String]
        func run() async throws { try await setEnabled(api, productId, deviceNames, 0) }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reset a device's registration: new credential, activation cleared, sessions closed."
        )
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Argument var deviceName: String

        func run() async throws {
            try await perform {
                let response = try await api.client().call(
                    "ResetDeviceRegistration", [("ProductId", .string(productId)), ("DeviceName", .string(deviceName))]
                )
                if api.json { return Output.json(response) }
                print("reset \(productId)/\(deviceName): its next dynamic registration receives a new credential")
            }
        }
    }
}

extension DeviceCommand {
    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the log entries a device uploaded over HTTP (ListSDKLog), newest first."
        )
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Argument var deviceName: String
        @Option(help: "Only this level: ERR, WRN, INF or DBG.") var level: String?
        @Option(help: "Only entries containing this text.") var contains: String?
        @Option(help: "Entries to show, 1...1000.") var limit = 100

        func run() async throws {
            var keywords = "productid:\(productId) devicename:\(deviceName)"
            if let level { keywords += " loglevel:\(level)" }
            if let contains { keywords += " " + contains }
            let parameters: [(String, JSONValue)] = [
                ("MinTime", .int(0)),
                ("MaxTime", .int(Int64(Date().timeIntervalSince1970 * 1000) + 60_000)),
                ("Keywords", .string(keywords)),
                ("MaxNum", .int(Int64(limit))),
            ]
            try await perform {
                let response = try await api.client().call("ListSDKLog", parameters)
                if api.json { return Output.json(response) }
                let rows = (response["Results"]?.arrayValue ?? []).map { item -> [String] in
                    [Output.text(item["DateTime"]), Output.text(item["Level"]), Output.text(item["Content"])]
                }
                Output.table(["TIME", "LEVEL", "CONTENT"], rows)
                let more = response["Listover"]?.boolValue == false ? " (more: raise --limit)" : ""
                print("\(rows.count) entr\(rows.count == 1 ? "y" : "ies")\(more)")
            }
        }
    }
}

private func setEnabled(_ api: APIOptions, _ productId: String, _ names: [String], _ status: Int64) async throws {
    try await perform {
        let response = try await api.client().call(
            "UpdateDevicesEnableState",
            [("ProductId", .string(productId)), ("DeviceNames", .array(names.map(JSONValue.string))), ("Status", .int(status))]
        )
        if api.json { return Output.json(response) }
        print("\(status == 1 ? "enabled" : "disabled") \(names.joined(separator: ", "))")
    }
}
