import ArgumentParser
import DeviceAuth
import Foundation
import IoTHubDevice

@main
struct IoTHubDeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iothub-device",
        abstract: "Device and fleet simulator for IoTHub (and Tencent Cloud IoT Hub).",
        subcommands: [RegisterCommand.self]
    )
}

struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Dynamic registration: get this device's credential with the product-level key."
    )

    enum EndpointChoice: String, ExpressibleByArgument, CaseIterable {
        case legacy, v2, v2sha1 = "v2-hmacsha1"
    }

    @Option(name: .customLong("product-id"), help: "ProductId (10 characters).") var productId: String
    @Option(name: .customLong("product-secret"), help: "ProductSecret burned into the firmware.") var productSecret: String
    @Option(name: .customLong("device-name"), help: "This unit's DeviceName (IMEI, serial, MAC).") var deviceName: String
    @Option(name: .customLong("http"), help: "Hub device HTTP endpoint.") var http = "http://127.0.0.1:8080"
    @Option(help: "Registration endpoint: legacy (/register/dev), v2 (hmacsha256) or v2-hmacsha1.") var endpoint = EndpointChoice.v2
    @Flag(help: "Print the result as JSON.") var json = false

    func run() async throws {
        guard let url = URL(string: http) else { throw ValidationError("invalid --http URL") }
        let choice: RegistrationClient.Endpoint
        switch endpoint {
        case .legacy: choice = .legacy
        case .v2: choice = .v2(.hmacSHA256)
        case .v2sha1: choice = .v2(.hmacSHA1)
        }
        let client = RegistrationClient(baseURL: url, endpoint: choice)
        do {
            let credential = try await client.register(productId: productId, productSecret: productSecret, deviceName: deviceName)
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
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
