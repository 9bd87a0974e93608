import ArgumentParser
import DeviceAuth
import Foundation
import IoTHubDevice

@main
struct IoTHubDeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iothub-device",
        abstract: "Device and fleet simulator for IoTHub (and Tencent Cloud IoT Hub).",
        subcommands: [RegisterCommand.self, RunCommand.self, GatewayCommand.self, FleetCommand.self]
    )
}

struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Dynamic registration: get this device's credential with the product-level key."
    )

    @Option(name: .customLong("product-id"), help: "ProductId (10 characters).") var productId: String
    @Option(name: .customLong("product-secret"), help: "ProductSecret burned into the firmware.") var productSecret: String
    @Option(name: .customLong("device-name"), help: "This unit's DeviceName (IMEI, serial, MAC).") var deviceName: String
    @Option(name: .customLong("http"), help: "Hub device HTTP endpoint.") var http = "http://127.0.0.1:8080"
    @Option(help: "Registration endpoint: legacy (/register/dev), v2 (hmacsha256) or v2-hmacsha1.") var endpoint = EndpointChoice.v2
    @Option(help: "Also keep the credential in DIR/<device-name>.json (device_info.json style).") var dir: String?
    @Option(help: "Also keep the credential in this device_info.json-style file.") var identity: String?
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        if dir != nil, identity != nil { throw ValidationError("give --dir or --identity, not both") }
    }

    /// The identity file to keep the credential in, if one was asked for.
    private func identityPath() throws -> String? {
        if let identity { return identity }
        guard let dir else { return nil }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (dir as NSString).appendingPathComponent(deviceName + ".json")
    }

    func run() async throws {
        guard let url = URL(string: http) else { throw ValidationError("invalid --http URL") }
        let client = RegistrationClient(baseURL: url, endpoint: endpoint.endpoint)
        let credential: RegistrationCredential
        do {
            credential = try await client.register(productId: productId, productSecret: productSecret, deviceName: deviceName)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        if let path = try identityPath() {
            do {
                let store = try FileIdentityStore.create(path: path, productId: productId, productSecret: productSecret, deviceName: deviceName)
                let stored = try store.load()
                guard stored.productId == productId, stored.deviceName == deviceName else {
                    throw DeviceIdentityStoreError(path: path, message: "holds \(stored.productId)/\(stored.deviceName), not \(productId)/\(deviceName)")
                }
                try store.storeCredential(credential)
            } catch {
                printError("registered, but the credential could not be kept: \(error)")
                throw ExitCode(1)
            }
        }
        switch credential {
        case .psk(let psk):
            if json {
                print(#"{"productId":"\#(productId)","deviceName":"\#(deviceName)","encryptionType":2,"psk":"\#(psk)"}"#)
            } else {
                print("registered \(productId)/\(deviceName)\nPSK: \(psk)")
            }
        case .certificate(let certificatePEM, let privateKeyPEM):
            if json {
                let object = ["productId": productId, "deviceName": deviceName, "clientCert": certificatePEM, "clientKey": privateKeyPEM]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("registered \(productId)/\(deviceName)\n\(certificatePEM)\(privateKeyPEM)")
            }
        }
    }
}
