import ArgumentParser
import CloudAPI
import Foundation
import JSONCore

struct ShadowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shadow",
        abstract: "Read and change device shadows.",
        subcommands: [Get.self, Set.self]
    )

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a device's shadow document.")
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Argument var deviceName: String

        func run() async throws {
            try await perform {
                let response = try await api.client().call("DescribeDeviceShadow", [("ProductId", .string(productId)), ("DeviceName", .string(deviceName))])
                if api.json { return Output.json(response) }
                print(Output.text(response["Data"]))
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge a desired state into the shadow (the device gets a delta if online).",
            discussion: "Example: iothub shadow set PID dev1 '{\"color\":\"red\"}'. Uses the current version unless --version is given."
        )
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Argument var deviceName: String
        @Argument(help: "Desired state, a JSON object.") var desired: String
        @Option(help: "Expected shadow version (optimistic concurrency). Default: the current one.") var version: Int?

        func run() async throws {
            guard let desiredValue = try? JSONValue(parsing: desired), case .object = desiredValue else {
                throw ValidationError("the desired state must be a JSON object")
            }
            try await perform {
                let client = try api.client()
                var expected = version
                if expected == nil {
                    let current = try await client.call("DescribeDeviceShadow", [("ProductId", .string(productId)), ("DeviceName", .string(deviceName))])
                    let data = (current["Data"]?.stringValue).flatMap { try? JSONValue(parsing: $0) }
                    expected = data?["payload"]?["version"]?.intValue ?? 0
                }
                let state = JSONValue.object(JSONObject([("desired", desiredValue)])).serializedString()
                let response = try await client.call(
                    "UpdateDeviceShadow",
                    [
                        ("ProductId", .string(productId)), ("DeviceName", .string(deviceName)), ("State", .string(state)),
                        ("ShadowVersion", .int(Int64(expected ?? 0))),
                    ]
                )
                if api.json { return Output.json(response) }
                print(Output.text(response["Data"]))
            }
        }
    }
}
