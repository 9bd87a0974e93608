import ArgumentParser
import CloudAPI
import Foundation
import JSONCore

/// `iothub gateway bind|unbind|list`: a gateway's sub-devices (BindDevices, UnbindDevices,
/// DescribeGatewayBindDevices).
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Bind devices to gateways as sub-devices.",
        subcommands: [Bind.self, Unbind.self, UnbindAll.self, List.self]
    )

    struct Topology: ParsableArguments {
        @Argument(help: "The gateway as GATEWAY_PID/GATEWAY_NAME.") var gateway: String
        @Argument(help: "The sub-devices' ProductId.") var productId: String
        @Argument(help: "Sub-device names (1 to 100).") var deviceNames: [String]

        func parameters() throws -> [(String, JSONValue)] {
            let (pid, name) = try GatewayCommand.split(gateway)
            return [
                ("GatewayProductId", .string(pid)), ("GatewayDeviceName", .string(name)), ("ProductId", .string(productId)),
                ("DeviceNames", .array(deviceNames.map { .string($0) })),
            ]
        }
    }

    static func split(_ gateway: String) throws -> (String, String) {
        let parts = gateway.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("name the gateway as PRODUCT_ID/DEVICE_NAME, not \(gateway)")
        }
        return (parts[0], parts[1])
    }

    struct Bind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bind devices to a gateway (all or none); the gateway is told if online.")
        @OptionGroup var api: APIOptions
        @OptionGroup var topology: Topology

        func run() async throws {
            let parameters = try topology.parameters()
            try await perform {
                let response = try await api.client().call("BindDevices", parameters)
                if api.json { return Output.json(response) }
                print("bound \(topology.deviceNames.count) device(s) to \(topology.gateway)")
            }
        }
    }

    struct Unbind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unbind devices from a gateway; they go offline at once.")
        @OptionGroup var api: APIOptions
        @OptionGroup var topology: Topology

        func run() async throws {
            let parameters = try topology.parameters()
            try await perform {
                let response = try await api.client().call("UnbindDevices", parameters)
                if api.json { return Output.json(response) }
                print("unbound \(topology.deviceNames.count) device(s) from \(topology.gateway)")
            }
        }
    }

    struct UnbindAll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unbind-all", abstract: "Unbind every sub-device of a gateway; the gateway gets unbind_all."
        )
        @OptionGroup var api: APIOptions
        @Argument(help: "The gateway as GATEWAY_PID/GATEWAY_NAME.") var gateway: String

        func run() async throws {
            let (pid, name) = try GatewayCommand.split(gateway)
            try await perform {
                let response = try await api.client().call(
                    "UnbindAllSubDevices", [("GatewayProductId", .string(pid)), ("GatewayDeviceName", .string(name))]
                )
                if api.json { return Output.json(response) }
                print("unbound \(Output.text(response["UnboundCount"])) sub-device(s) from \(gateway)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a gateway's sub-devices in bind order.")
        @OptionGroup var api: APIOptions
        @Argument(help: "The gateway as GATEWAY_PID/GATEWAY_NAME.") var gateway: String
        @Option(help: "Only sub-devices of this product.") var product: String?
        @Option var offset = 0
        @Option var limit = 100

        func run() async throws {
            let (pid, name) = try GatewayCommand.split(gateway)
            var parameters: [(String, JSONValue)] = [
                ("GatewayProductId", .string(pid)), ("GatewayDeviceName", .string(name)),
                ("Offset", .int(Int64(offset))), ("Limit", .int(Int64(min(max(limit, 1), 250)))),
            ]
            if let product { parameters.append(("ProductId", .string(product))) }
            try await perform {
                let client = try api.client()
                let response = try await client.call("DescribeGatewayBindDevices", parameters)
                if api.json { return Output.json(response) }
                var rows: [[String]] = []
                for device in response["Devices"]?.arrayValue ?? [] {
                    let info = try? await client.call(
                        "DescribeDevice", [("ProductId", device["ProductId"] ?? .null), ("DeviceName", device["DeviceName"] ?? .null)]
                    )
                    rows.append([
                        Output.text(device["ProductId"]), Output.text(device["DeviceName"]),
                        DeviceCommand.onlineText(info?["Online"]?.intValue), Output.time(device["BindTime"]),
                    ])
                }
                Output.table(["PRODUCT", "DEVICE", "STATUS", "BOUND"], rows)
                print("\(Output.text(response["TotalCount"])) sub-device(s)")
            }
        }
    }
}
