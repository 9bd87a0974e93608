import ArgumentParser
import CloudAPI
import Foundation
import JSONCore

struct BanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ban",
        abstract: "Refuse a source address on every device port (MQTT and registration) before any authentication.",
        subcommands: [List.self, Add.self, Remove.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List active bans: the operator's (stored) and the automatic ones after repeated authentication failures."
        )
        @OptionGroup var api: APIOptions

        func run() async throws {
            try await perform {
                let response = try await api.client().call("DescribeBans", [])
                if api.json { return Output.json(response) }
                let rows = (response["Bans"]?.arrayValue ?? []).map { ban -> [String] in
                    let expires = ban["ExpireTime"]?.int64Value ?? 0
                    return [
                        Output.text(ban["Address"]), ban["Automatic"] == .bool(true) ? "automatic" : "operator",
                        Output.time(ban["CreateTime"]), expires == 0 ? "never" : Output.time(ban["ExpireTime"]), Output.text(ban["Reason"]),
                    ]
                }
                Output.table(["ADDRESS", "KIND", "CREATED", "EXPIRES", "REASON"], rows)
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ban an address (kept across restarts).")
        @OptionGroup var api: APIOptions
        @Argument(help: "IPv4 or IPv6 address.") var address: String
        @Option(help: "Seconds; 0 = until removed.") var duration = 0
        @Option(help: "Why (shown by ban list).") var reason: String?

        func run() async throws {
            var parameters: [(String, JSONValue)] = [("Address", .string(address)), ("Duration", .int(Int64(duration)))]
            if let reason { parameters.append(("Reason", .string(reason))) }
            try await perform {
                let response = try await api.client().call("CreateBan", parameters)
                if api.json { return Output.json(response) }
                print("banned \(Output.text(response["Ban"]?["Address"]))")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a ban (operator or automatic).")
        @OptionGroup var api: APIOptions
        @Argument var address: String

        func run() async throws {
            try await perform {
                let response = try await api.client().call("DeleteBan", [("Address", .string(address))])
                if api.json { return Output.json(response) }
                print("removed ban of \(address)")
            }
        }
    }
}
