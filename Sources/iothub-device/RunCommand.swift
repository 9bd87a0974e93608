import ArgumentParser
import DeviceAuth
import Foundation
import IoTHubDevice
import Logging
import MQTTCore

/// One device: boot (register if needed, connect), telemetry on an interval, answers to the hub's services.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one device: boot, publish telemetry, print commands, answer shadow deltas, RRPC and OTA.",
        discussion: """
            The identity comes from --identity FILE (created from --product-id, --product-secret and \
            --device-name when missing; the credential obtained by registration is kept there) or from the \
            flags alone (kept in memory). Runs until SIGINT/SIGTERM, --duration or --count.
            """
    )

    @Option(help: "device_info.json-style identity file (created when missing).") var identity: String?
    @Option(name: .customLong("product-id"), help: "ProductId.") var productId: String?
    @Option(name: .customLong("product-secret"), help: "ProductSecret (for dynamic registration).") var productSecret: String?
    @Option(name: .customLong("device-name"), help: "DeviceName.") var deviceName: String?
    @Option(help: "The device's PSK, if it already has one (no registration then).") var psk: String?
    @OptionGroup var hub: HubOptions

    @Option(help: "Seconds between telemetry messages.") var interval: Double = 5
    @Option(help: "Stop after this many seconds.") var duration: Double?
    @Option(help: "Stop after publishing this many telemetry messages.") var count: Int?
    @Option(help: "QoS of telemetry (0 or 1).") var qos: Int = 1
    @Option(name: .customLong("firmware-version"), help: "Firmware version reported at start.") var firmwareVersion = "1.0.0"
    @Option(name: .customLong("firmware-file"), help: "Where OTA updates are downloaded to.") var firmwareFile = "firmware.bin"
    @Flag(help: "Log the SDK's debug messages.") var verbose = false

    func validate() throws {
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
        if let count, count < 0 { throw ValidationError("--count must not be negative") }
        guard qos == 0 || qos == 1 else { throw ValidationError("--qos must be 0 or 1") }
        if identity == nil, productId == nil || deviceName == nil {
            throw ValidationError("give --identity FILE, or --product-id and --device-name")
        }
    }

    /// The identity store: the file (created from the flags when missing), or memory.
    func makeStore() throws -> any DeviceIdentityStore {
        try Self.makeStore(identity: identity, productId: productId, productSecret: productSecret, deviceName: deviceName, psk: psk)
    }

    static func makeStore(identity: String?, productId: String?, productSecret: String?, deviceName: String?, psk: String?) throws -> any DeviceIdentityStore {
        if let identity {
            if FileManager.default.fileExists(atPath: identity) { return FileIdentityStore(path: identity) }
            guard let productId, let deviceName else {
                throw ValidationError("\(identity) does not exist: give --product-id, --product-secret and --device-name to create it")
            }
            let directory = (identity as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            let store = try FileIdentityStore.create(path: identity, productId: productId, productSecret: productSecret, deviceName: deviceName)
            if let psk { try store.storeCredential(.psk(psk)) }
            return store
        }
        return InMemoryIdentityStore(DeviceIdentity(
            productId: productId ?? "", deviceName: deviceName ?? "", productSecret: productSecret, credential: psk.map { .psk($0) }
        ))
    }

    func run() async throws {
        bootstrapLogging(level: verbose ? .debug : .warning)
        var logger = Logger(label: "iothub-device")
        logger.logLevel = verbose ? .debug : .warning
        let configuration = try hub.deviceConfiguration()
        let store = try makeStore()
        let device: DeviceClient
        do {
            device = try await DeviceClient.boot(store: store, configuration: configuration, logger: logger)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let session = DeviceSession(
            device: device,
            interval: .milliseconds(Int64(interval * 1000)),
            count: count,
            qos: qos == 0 ? .atMostOnce : .atLeastOnce,
            firmwareFile: firmwareFile
        )
        say("connected \(device.identity.productId)/\(device.identity.deviceName) to \(configuration.mqttHost):\(configuration.mqttPort)")
        do {
            try await device.reportFirmwareVersion(firmwareVersion)
            say("firmware version \(firmwareVersion) reported")
        } catch {
            printError("warning: the firmware version could not be reported: \(error)")
        }
        let stopReason = await session.run(duration: duration.map { Duration.milliseconds(Int64($0 * 1000)) })
        await device.disconnect()
        say("stopped (\(stopReason)): \(await session.published) message(s) published, disconnected")
        if let failure = await session.failure {
            printError("error: \(failure)")
            throw ExitCode(1)
        }
    }
}
