import Foundation
public import HubServer
import MQTTServer
import Logging
import ServiceLifecycle

/// A hub running in-process on ports chosen at bind time, with its own temporary data directory.
public final class TestHub: Sendable {
    public let hub: Hub
    public let dataDirectory: String
    public let httpPort: Int
    public let apiPort: Int
    private let group: ServiceGroup
    private let runner: Task<Void, any Error>

    private init(hub: Hub, dataDirectory: String, httpPort: Int, apiPort: Int, group: ServiceGroup, runner: Task<Void, any Error>) {
        self.hub = hub
        self.dataDirectory = dataDirectory
        self.httpPort = httpPort
        self.apiPort = apiPort
        self.group = group
        self.runner = runner
    }

    /// Starts a hub on 127.0.0.1 with ports 0. `dataDirectory` nil = a fresh temporary directory.
    public static func start(
        dataDirectory: String? = nil,
        logLevel: Logger.Level = .warning,
        logger custom: Logger? = nil,
        configure: (inout HubConfiguration) -> Void = { _ in }
    ) async throws -> TestHub {
        let directory = dataDirectory ?? (NSTemporaryDirectory() + "iothub-test-\(UUID().uuidString)")
        var configuration = HubConfiguration()
        configuration.dataDirectory = directory
        configuration.httpHost = "127.0.0.1"
        configuration.httpPort = 0
        configuration.apiHost = "127.0.0.1"
        configuration.apiPort = 0
        configuration.sqliteSynchronous = "normal"
        configuration.mqttHost = "127.0.0.1"
        configuration.mqttPort = 0
        configuration.mqttsPort = 0
        configuration.wsPort = 0
        // scripts/test runs the MQTT conformance suite a second time with the plain-TCP listener on NIO.
        if let engine = ProcessInfo.processInfo.environment["IOTHUB_TEST_MQTT_TCP_ENGINE"] {
            guard let value = MQTTServerConfiguration.TCPEngine(rawValue: engine) else {
                preconditionFailure("IOTHUB_TEST_MQTT_TCP_ENGINE=\(engine) is not poll or nio")
            }
            configuration.mqttTCPEngine = value
        }
        configure(&configuration)
        // `logger`: where the hub's log lines go (a test capturing them); default the process's handler.
        var logger = custom ?? Logger(label: "test-hub")
        logger.logLevel = logLevel
        let hub = try await Hub.bootstrap(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: try hub.services(), logger: logger))
        let runner = Task { try await group.run() }
        let httpPort = await hub.ports.port(.http)
        let apiPort = await hub.ports.port(.api)
        if configuration.mqttPort != nil { _ = await hub.ports.port(.mqtt) }
        if configuration.mqttsPort != nil { _ = await hub.ports.port(.mqtts) }
        if configuration.wsPort != nil { _ = await hub.ports.port(.websocket) }
        return TestHub(hub: hub, dataDirectory: directory, httpPort: httpPort, apiPort: apiPort, group: group, runner: runner)
    }

    public var httpURL: String { "http://127.0.0.1:\(httpPort)" }

    /// A bound MQTT listener's port (`.mqtt`, `.mqtts`, `.websocket`).
    public func port(_ listener: BoundPorts.Listener) async -> Int { await hub.ports.port(listener) }
    public var apiEndpoint: String { "127.0.0.1:\(apiPort)" }
    public var credentials: ManagementCredentials { hub.credentials }

    /// Graceful shutdown; waits until every service stopped.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await runner.value
    }

    /// Stops the hub and removes its data directory.
    public func stopAndRemove() async {
        await stop()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}
