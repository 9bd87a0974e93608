import ArgumentParser
import DeviceAuth
import DeviceServices
import Foundation
import IoTHubDevice
import Logging
import MQTTCore
import Synchronization

/// A gateway with its sub-devices (device-protocol.md §6.10): boot the gateway, get each sub-device's
/// secret (given, or by dynamic registration with the sub-product's key), bind it, make it online, then
/// publish telemetry on each sub-device's `event` topic and print what arrives on their topics; on exit the
/// sub-devices are taken offline.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run a gateway device for sub-devices: bind, online, telemetry per sub-device, offline at exit.",
        discussion: """
            The gateway's identity as for `run` (its product must be a gateway product: `iothub product create \
            NAME --gateway`). Sub-devices: --sub NAME (registered with --sub-product-secret when no secret is \
            given) or --sub NAME:SECRET, all of --sub-product-id.
            """
    )

    @Option(help: "Gateway identity file (created when missing).") var identity: String?
    @Option(name: .customLong("product-id"), help: "The gateway's ProductId.") var productId: String?
    @Option(name: .customLong("product-secret"), help: "The gateway product's ProductSecret (dynamic registration).") var productSecret: String?
    @Option(name: .customLong("device-name"), help: "The gateway's DeviceName.") var deviceName: String?
    @Option(help: "The gateway's PSK, if it already has one.") var psk: String?
    @OptionGroup var hub: HubOptions

    @Option(name: .customLong("sub-product-id"), help: "ProductId of the sub-devices.") var subProductId: String
    @Option(name: .customLong("sub-product-secret"), help: "ProductSecret of the sub-product, to register sub-devices without a secret.")
    var subProductSecret: String?
    @Option(name: .customLong("sub"), help: "A sub-device: NAME or NAME:SECRET (repeat).") var subs: [String] = []
    @Option(help: "Seconds between telemetry rounds.") var interval: Double = 5
    @Option(help: "Stop after this many seconds.") var duration: Double?
    @Option(help: "Stop after this many telemetry rounds.") var count: Int?
    @Flag(help: "Log the SDK's debug messages.") var verbose = false

    func validate() throws {
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
        guard !subs.isEmpty else { throw ValidationError("give at least one --sub NAME[:SECRET]") }
        if identity == nil, productId == nil || deviceName == nil {
            throw ValidationError("give --identity FILE, or --product-id and --device-name")
        }
        if subProductSecret == nil, subs.contains(where: { !$0.contains(":") }) {
            throw ValidationError("--sub NAME without a secret needs --sub-product-secret")
        }
    }

    func run() async throws {
        bootstrapLogging(level: verbose ? .debug : .warning)
        var logger = Logger(label: "iothub-device")
        logger.logLevel = verbose ? .debug : .warning
        let configuration = try hub.deviceConfiguration()
        let store = try RunCommand.makeStore(identity: identity, productId: productId, productSecret: productSecret, deviceName: deviceName, psk: psk)
        let gateway: DeviceClient
        do {
            gateway = try await DeviceClient.boot(store: store, configuration: configuration, logger: logger)
            try await gateway.startGateway()
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        say("gateway \(gateway.identity.productId)/\(gateway.identity.deviceName) connected")

        var online: [GatewayProtocol.SubDevice] = []
        do {
            let registration = RegistrationClient(baseURL: configuration.registrationURL, endpoint: configuration.registrationEndpoint)
            for entry in subs {
                let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
                let subDevice = GatewayProtocol.SubDevice(productId: subProductId, deviceName: parts[0])
                var secret = parts.count == 2 ? parts[1] : nil
                if secret == nil, let subProductSecret {
                    guard case .psk(let registered) = try await registration.register(productId: subProductId, productSecret: subProductSecret, deviceName: parts[0]) else {
                        throw ValidationError("\(parts[0]) is a certificate device: gateways here bind key devices only")
                    }
                    secret = registered
                    say("registered \(subProductId)/\(parts[0])")
                }
                try await gateway.bindSubDevice(subDevice, deviceSecret: secret ?? "")
                try await gateway.subDeviceOnline(subDevice)
                _ = try await gateway.mqtt.subscribe(DeviceTopics(productId: subProductId, deviceName: parts[0]).control, qos: .atLeastOnce)
                online.append(subDevice)
                say("sub-device \(subProductId)/\(parts[0]) bound and online")
            }
        } catch {
            printError("error: \(error)")
            await gateway.disconnect()
            throw ExitCode(1)
        }

        let printer = Task {
            for await message in gateway.messages {
                say("message on \(message.topic): \(String(decoding: message.payload, as: UTF8.self))")
            }
        }
        let pushes = Task {
            for await push in gateway.gatewayPushes { say("hub: \(push)") }
        }
        let signals = SignalWatcher()
        let stopping = StopFlag()
        let watcher = Task {
            for await name in signals.signals {
                say("\(name): stopping")
                stopping.value.store(true, ordering: .relaxed)
                return
            }
        }
        var rounds = 0
        let started = ContinuousClock.now
        let limit = duration.map { Duration.milliseconds(Int64($0 * 1000)) }
        func ended() -> Bool { stopping.value.load(ordering: .relaxed) || limit.map { ContinuousClock.now - started >= $0 } ?? false }
        while !ended(), count.map({ rounds < $0 }) ?? true {
            for subDevice in online {
                let topic = DeviceTopics(productId: subDevice.productId, deviceName: subDevice.deviceName).event
                try? await gateway.mqtt.publish(topic, #"{"seq":\#(rounds),"sub":"\#(subDevice.deviceName)"}"#, qos: .atLeastOnce)
            }
            rounds += 1
            // Sleep the interval in short steps, so that a signal or the duration ends it promptly.
            let next = ContinuousClock.now + .milliseconds(Int64(interval * 1000))
            while ContinuousClock.now < next, !ended(), count.map({ rounds < $0 }) ?? true {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        for subDevice in online {
            do {
                try await gateway.subDeviceOffline(subDevice)
                say("sub-device \(subDevice.productId)/\(subDevice.deviceName) offline")
            } catch {
                printError("warning: \(subDevice.deviceName) offline failed: \(error)")
            }
        }
        await gateway.disconnect()
        printer.cancel()
        pushes.cancel()
        watcher.cancel()
        say("stopped: \(rounds) round(s) of telemetry for \(online.count) sub-device(s)")
    }
}

/// Set once a signal asks the gateway to stop.
final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}
