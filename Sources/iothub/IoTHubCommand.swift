import ArgumentParser

@main
struct IoTHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iothub",
        abstract: "IoTHub: a self-hosted IoT hub, wire-compatible with Tencent Cloud IoT Hub.",
        subcommands: [ServeCommand.self, ConsoleCommand.self, ProductCommand.self, DeviceCommand.self, AppCommand.self, ShadowCommand.self, FirmwareCommand.self, AuditCommand.self, BanCommand.self, GatewayCommand.self, ResourceCommand.self]
    )
}
