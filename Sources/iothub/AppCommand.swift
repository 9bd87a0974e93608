import ArgumentParser
import CloudAPI
import Foundation
import JSONCore

struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app",
        abstract: "Manage business applications that connect over MQTT to receive device traffic and send commands.",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an application; it connects with username = AppId, password = AppSecret (shown once)."
        )
        @OptionGroup var api: APIOptions
        @Argument(help: "A name for the application.") var name: String
        @Option(help: "Comma-separated ProductIds the application may access.") var products: String

        func run() async throws {
            let ids = products.split(separator: ",").map { JSONValue.string(String($0).trimmingCharacters(in: .whitespaces)) }
            try await perform {
                let response = try await api.client().call("CreateApplication", [("Name", .string(name)), ("ProductIds", .array(ids))])
                if api.json { return Output.json(response) }
                Output.keyValues([
                    ("AppId", Output.text(response["AppId"])),
                    ("AppSecret", Output.text(response["AppSecret"])),
                    ("Products", (response["ProductIds"]?.arrayValue ?? []).map(Output.text).joined(separator: ",")),
                ])
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List applications.")
        @OptionGroup var api: APIOptions

        func run() async throws {
            try await perform {
                let response = try await api.client().call("DescribeApplications", [("Offset", .int(0)), ("Limit", .int(250))])
                if api.json { return Output.json(response) }
                let rows = (response["Applications"]?.arrayValue ?? []).map { app -> [String] in
                    [
                        Output.text(app["AppId"]), Output.text(app["Name"]),
                        (app["ProductIds"]?.arrayValue ?? []).map(Output.text).joined(separator: ","), Output.time(app["CreateTime"]),
                    ]
                }
                Output.table(["APP ID", "NAME", "PRODUCTS", "CREATED"], rows)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an application (closes its sessions).")
        @OptionGroup var api: APIOptions
        @Argument var appId: String

        func run() async throws {
            try await perform {
                let response = try await api.client().call("DeleteApplication", [("AppId", .string(appId))])
                if api.json { return Output.json(response) }
                print("deleted application \(appId)")
            }
        }
    }
}
