import ArgumentParser
import CloudAPI
import Foundation
import JSONCore

struct ProductCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "product",
        abstract: "Manage products and their dynamic-registration settings.",
        subcommands: [Create.self, List.self, Show.self, Delete.self, DynReg.self, Webhook.self, Config.self, Enable.self, Disable.self]
    )

    enum Auth: String, ExpressibleByArgument, CaseIterable { case psk, cert }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a product.")
        @OptionGroup var api: APIOptions
        @Argument(help: "Product name, [a-zA-Z0-9:_-]{1,32}.") var name: String
        @Option(help: "Device authentication: psk (keys) or cert (X.509 certificates).") var auth = Auth.psk
        @Option(help: "Free-text description.") var description: String?
        @Flag(help: "A gateway product (ProductType 5): its devices act for bound sub-devices.") var gateway = false

        func run() async throws {
            var properties: [(String, JSONValue)] = [("EncryptionType", .string(auth == .psk ? "2" : "1"))]
            if let description { properties.append(("ProductDescription", .string(description))) }
            if gateway { properties.append(("ProductType", .int(5))) }
            try await perform {
                let response = try await api.client().call(
                    "CreateProduct", [("ProductName", .string(name)), ("ProductProperties", .object(JSONObject(properties)))]
                )
                if api.json { return Output.json(response) }
                print("created product \(Output.text(response["ProductId"])) (\(name))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List products.")
        @OptionGroup var api: APIOptions
        @Option var offset = 0
        @Option var limit = 100

        func run() async throws {
            try await perform {
                let response = try await api.client().call("DescribeProducts", [("Offset", .int(Int64(offset))), ("Limit", .int(Int64(limit)))])
                if api.json { return Output.json(response) }
                let rows = (response["Products"]?.arrayValue ?? []).map { product -> [String] in
                    let properties = product["ProductProperties"]
                    return [
                        Output.text(product["ProductId"]), Output.text(product["ProductName"]),
                        Output.text(properties?["EncryptionType"]) == "2" ? "psk" : "cert",
                        DynReg.modeName(properties?["RegisterType"]?.intValue ?? 0),
                        Output.text(properties?["RegisterLimit"]),
                        properties?["ForbiddenStatus"]?.intValue == 1 ? "disabled" : "enabled",
                    ]
                }
                Output.table(["PRODUCT ID", "NAME", "AUTH", "DYNREG", "LIMIT", "STATE"], rows)
                print("\(Output.text(response["TotalCount"])) product(s)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one product, including its ProductSecret.")
        @OptionGroup var api: APIOptions
        @Argument(help: "ProductId.") var productId: String

        func run() async throws {
            try await perform {
                let client = try api.client()
                let response = try await client.call("DescribeProduct", [("ProductId", .string(productId))])
                if api.json { return Output.json(response) }
                let policy = try await client.call("UpdateProductRegistrationPolicy", [("ProductId", .string(productId))])
                let properties = response["ProductProperties"]
                Output.keyValues([
                    ("ProductId", Output.text(response["ProductId"])),
                    ("ProductName", Output.text(response["ProductName"])),
                    ("Auth", Output.text(properties?["EncryptionType"]) == "2" ? "psk" : "cert"),
                    ("Type", properties?["ProductType"]?.intValue == 5 ? "gateway" : "normal"),
                    ("DynamicRegistration", DynReg.modeName(properties?["RegisterType"]?.intValue ?? 0)),
                    ("RegisterLimit", Output.text(properties?["RegisterLimit"])),
                    ("AutoCreatedDevices", Output.text(policy["AutoCreatedDevices"])),
                    ("ReplayProtection", policy["ReplayProtection"]?.boolValue == true ? "on" : "off"),
                    ("ProductSecret", Output.text(properties?["ProductSecret"])),
                    ("State", properties?["ForbiddenStatus"]?.intValue == 1 ? "disabled" : "enabled"),
                    ("Created", Output.time(response["ProductMetadata"]?["CreationDate"])),
                ])
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a product (it must have no devices).")
        @OptionGroup var api: APIOptions
        @Argument var productId: String

        func run() async throws {
            try await perform {
                let response = try await api.client().call("DeleteProduct", [("ProductId", .string(productId))])
                if api.json { return Output.json(response) }
                print("deleted product \(productId)")
            }
        }
    }

    struct DynReg: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dynreg",
            abstract: "Set dynamic registration: off, pre-created names only, or auto-create with a cap."
        )
        enum Mode: String, ExpressibleByArgument, CaseIterable {
            case off, preCreated = "pre-created", autoCreate = "auto-create"
            var registerType: Int {
                switch self {
                case .off: 0
                case .preCreated: 1
                case .autoCreate: 2
                }
            }
        }
        static func modeName(_ type: Int) -> String {
            switch type {
            case 1: "pre-created"
            case 2: "auto-create"
            default: "off"
            }
        }

        enum Switch: String, ExpressibleByArgument, CaseIterable { case on, off }

        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Option(help: "off, pre-created or auto-create. Default: keep the current mode.") var mode: Mode?
        @Option(help: "Most devices registration may create (auto-create). Default: keep the current value.") var limit: Int?
        @Option(help: "Refuse a repeated (device, nonce, timestamp) within 24 h: on or off. Default: keep.")
        var replayProtection: Switch?

        func run() async throws {
            try await perform {
                let client = try api.client()
                let product = try await client.call("DescribeProduct", [("ProductId", .string(productId))])
                let properties = product["ProductProperties"]
                let response = try await client.call(
                    "UpdateProductDynamicRegister",
                    [
                        ("ProductId", .string(productId)),
                        ("RegisterType", .int(Int64(mode?.registerType ?? properties?["RegisterType"]?.intValue ?? 0))),
                        ("RegisterLimit", .int(Int64(limit ?? properties?["RegisterLimit"]?.intValue ?? 10000))),
                    ]
                )
                var policyParameters: [(String, JSONValue)] = [("ProductId", .string(productId))]
                if let replayProtection { policyParameters.append(("ReplayProtection", .bool(replayProtection == .on))) }
                let policy = try await client.call("UpdateProductRegistrationPolicy", policyParameters)
                if api.json { return Output.json(response) }
                Output.keyValues([
                    ("DynamicRegistration", Self.modeName(response["RegisterType"]?.intValue ?? 0)),
                    ("RegisterLimit", Output.text(response["RegisterLimit"])),
                    ("AutoCreatedDevices", Output.text(policy["AutoCreatedDevices"])),
                    ("ReplayProtection", policy["ReplayProtection"]?.boolValue == true ? "on" : "off"),
                    ("ProductSecret", Output.text(response["ProductSecret"])),
                ])
            }
        }
    }

    struct Webhook: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forward the product's device messages and lifecycle events to an HTTP endpoint (at least once)."
        )
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Option(help: "http:// or https:// URL that receives a JSON POST per event.") var url: String?
        @Flag(help: "Stop forwarding.") var off = false

        func run() async throws {
            try await perform {
                let client = try api.client()
                if url != nil || off {
                    _ = try await client.call("UpdateProductWebhook", [("ProductId", .string(productId)), ("Url", .string(off ? "" : url ?? ""))])
                }
                let response = try await client.call("DescribeProductWebhook", [("ProductId", .string(productId))])
                if api.json { return Output.json(response) }
                Output.keyValues([
                    ("Url", Output.text(response["Url"]).isEmpty ? "(off)" : Output.text(response["Url"])),
                    ("Pending", Output.text(response["Pending"])), ("Delivered", Output.text(response["Delivered"])),
                    ("Dropped", Output.text(response["Dropped"])),
                ])
            }
        }
    }

    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the remote configuration the product's devices read on $config/operation (pushed to online devices when set)."
        )
        @OptionGroup var api: APIOptions
        @Argument var productId: String
        @Argument(help: "A JSON object to store; omit to show the current one.") var config: String?

        func run() async throws {
            try await perform {
                let client = try api.client()
                let response: JSONValue
                if let config {
                    response = try await client.call("UpdateProductRemoteConfig", [("ProductId", .string(productId)), ("Config", .string(config))])
                } else {
                    response = try await client.call("DescribeProductRemoteConfig", [("ProductId", .string(productId))])
                }
                if api.json { return Output.json(response) }
                print(Output.text(response["Config"]))
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable products.")
        @OptionGroup var api: APIOptions
        @Argument var productIds: [String]
        func run() async throws { try await setForbidden(api, productIds, 0) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable products (no registration, no connections).")
        @OptionGroup var api: APIOptions
        @Argument var productIds: [String]
        func run() async throws { try await setForbidden(api, productIds, 1) }
    }
}

private func setForbidden(_ api: APIOptions, _ ids: [String], _ status: Int64) async throws {
    try await perform {
        let response = try await api.client().call(
            "SetProductsForbiddenStatus", [("ProductId", .array(ids.map(JSONValue.string))), ("Status", .int(status))]
        )
        if api.json { return Output.json(response) }
        print("\(status == 1 ? "disabled" : "enabled") \(ids.joined(separator: ", "))")
    }
}
