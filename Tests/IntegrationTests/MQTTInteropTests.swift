import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The broker against real MQTT clients, MQTT 3.1.1 and 3.1: `mosquitto_pub` / `mosquitto_sub` (Debian
/// `mosquitto-clients`) and Eclipse paho-mqtt 2.2.0 (`Tests/Python/mqtt_interop_test.py`, in `.venv`).
/// Devices get their credentials through real dynamic registration over HTTP; a business application
/// receives their telemetry and commands them; anonymous clients exercise QoS 2, retained messages and wills.
///
/// `scripts/test` installs the tools. Missing tools skip the tests locally and fail them in CI (`CI=true`).
final class MQTTInteropTests: MQTTConformanceCase {
    static let versions: [(MQTTBytes.Version, mosquitto: String)] = [(.v3_1_1, "mqttv311"), (.v3_1, "mqttv31")]

    // MARK: mosquitto-clients

    func testMosquittoDeviceTelemetryToApplicationAndCommandsBack() async throws {
        let pub = try requireTool("mosquitto_pub")
        let sub = try requireTool("mosquitto_sub")
        let setup = try await deviceAndApplication("mosq-dev")
        let port = try await hub().port(.mqtt)
        let (device, app) = (setup.device, setup.app)
        for (version, flag) in Self.versions {
            let base = ["-h", "127.0.0.1", "-p", "\(port)", "-V", flag]
            let username = DeviceUsername.make(productId: device.productId, deviceName: device.name, expiry: .never)
            let password = try MQTTPassword.make(username: username, devicePSK: device.psk, method: .hmacSHA1)
            let deviceArgs = base + ["-i", device.clientId, "-u", username, "-P", password]
            let appArgs = ["-u", app.id, "-P", app.secret]
            let event = "\(device.productId)/\(device.name)/event"
            let control = "\(device.productId)/\(device.name)/control"

            // The application subscribes to the events of every device of its product.
            let appSub = try await startSubscriber(
                sub, base + ["-i", "app-\(flag)"] + appArgs + ["-t", "\(device.productId)/+/event", "-q", "2"]
            )
            // Telemetry: `-l` publishes one message per stdin line, QoS 1. mosquitto_pub -l may exit with
            // messages still in flight, so what arrived is counted rather than assumed.
            let lines = (0..<10).map { "t\($0)" }
            let telemetry = try await runTool(pub, deviceArgs + ["-t", event, "-q", "1", "-l"], stdin: lines.joined(separator: "\n") + "\n")
            XCTAssertEqual(telemetry.status, 0, "\(version) mosquitto_pub -l: \(telemetry.output)")
            // One QoS 2 message and an end marker, each acknowledged before mosquitto_pub exits.
            for (payload, qos) in [("q2", "2"), ("end", "1")] {
                let single = try await runTool(pub, deviceArgs + ["-t", event, "-q", qos, "-m", payload])
                XCTAssertEqual(single.status, 0, "\(version) mosquitto_pub -m \(payload): \(single.output)")
            }
            let sawEnd = await appSub.waitForOutput(containing: "|end\n", timeout: .seconds(10))
            appSub.kill()
            XCTAssertTrue(sawEnd, "\(version): the application did not receive the end marker:\n\(appSub.output)")
            let received = messageLines(appSub.output)
            let telemetryReceived = received.filter { $0.payload.hasPrefix("t") }
            XCTAssertFalse(telemetryReceived.isEmpty, "\(version): no telemetry arrived")
            XCTAssertEqual(
                telemetryReceived.map(\.payload), Array(lines.prefix(telemetryReceived.count)),
                "\(version): telemetry must arrive once each, in order (possibly missing the last ones still in flight)"
            )
            XCTAssertTrue(telemetryReceived.allSatisfy { $0.topic == event && $0.qos == "1" && $0.retained == "0" })
            XCTAssertTrue(received.contains { $0.payload == "q2" && $0.qos == "2" }, "\(version): QoS 2 event: \(received)")

            // The application commands the device on its control topic.
            let deviceSub = try await startSubscriber(sub, deviceArgs + ["-t", control, "-q", "1", "-C", "1"])
            let command = try await runTool(pub, base + ["-i", "app-cmd-\(flag)"] + appArgs + ["-t", control, "-q", "1", "-m", "reboot"])
            XCTAssertEqual(command.status, 0, "\(version) command: \(command.output)")
            let exited = await deviceSub.waitForExit(timeout: .seconds(10))
            XCTAssertEqual(exited, 0, "\(version): the device did not receive the command:\n\(deviceSub.output)")
            XCTAssertEqual(messageLines(deviceSub.output).map(\.payload), ["reboot"], "\(version)")
        }
    }

    func testMosquittoRetainedQoS2AndWill() async throws {
        let pub = try requireTool("mosquitto_pub")
        let sub = try requireTool("mosquitto_sub")
        let port = try await hub().port(.mqtt)
        for (version, flag) in Self.versions {
            let base = ["-h", "127.0.0.1", "-p", "\(port)", "-V", flag]
            let prefix = "interop/mosquitto/\(flag)"
            // Retained at QoS 2: a later subscriber gets it with the retain flag, at QoS 2.
            let retained = try await runTool(pub, base + ["-i", "rpub-\(flag)", "-t", "\(prefix)/retained", "-q", "2", "-r", "-m", "kept"])
            XCTAssertEqual(retained.status, 0, "\(version): \(retained.output)")
            let reader = try await runTool(sub, base + ["-i", "rsub-\(flag)", "-t", "\(prefix)/retained", "-q", "2", "-C", "1", "-W", "10", "-F", "%t|%q|%r|%p"])
            XCTAssertEqual(reader.status, 0, "\(version): \(reader.output)")
            XCTAssertEqual(messageLines(reader.output).map { "\($0.qos)|\($0.retained)|\($0.payload)" }, ["2|1|kept"], "\(version)")

            // A will, published when the client dies without DISCONNECT.
            let watcher = try await startSubscriber(sub, base + ["-i", "watch-\(flag)", "-t", "\(prefix)/will", "-q", "1"])
            let dying = try await startSubscriber(
                sub,
                base + ["-i", "dying-\(flag)", "-t", "\(prefix)/unused", "--will-topic", "\(prefix)/will", "--will-payload", "gone", "--will-qos", "1"]
            )
            dying.kill()  // SIGKILL: no DISCONNECT
            let sawWill = await watcher.waitForOutput(containing: "|gone\n", timeout: .seconds(10))
            watcher.kill()
            XCTAssertTrue(sawWill, "\(version): no will:\n\(watcher.output)")
            XCTAssertEqual(messageLines(watcher.output).map { "\($0.topic)|\($0.qos)|\($0.payload)" }, ["\(prefix)/will|1|gone"], "\(version)")
        }
    }

    // MARK: paho-mqtt

    func testPahoDevicesApplicationsAndAnonymousClients() async throws {
        let python = try requirePaho()
        let setup = try await deviceAndApplication("paho-dev")
        let hub = try await hub()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Python/mqtt_interop_test.py").path
        var environment = ProcessInfo.processInfo.environment
        environment["HUB_MQTT_PORT"] = "\(await hub.port(.mqtt))"
        environment["HUB_PRODUCT_ID"] = setup.device.productId
        environment["HUB_DEVICE_NAME"] = setup.device.name
        environment["HUB_DEVICE_PSK"] = setup.device.psk
        environment["HUB_APP_ID"] = setup.app.id
        environment["HUB_APP_SECRET"] = setup.app.secret
        environment["PYTHONUNBUFFERED"] = "1"
        let run = try await runTool(python, [script], environment: environment, timeout: .seconds(120))
        print(run.output)
        let summary = run.output.split(separator: "\n").last { $0.contains(" passed, ") }.map(String.init)
        XCTAssertEqual(run.status, 0, "mqtt_interop_test.py: \(summary ?? "no summary")\n\(run.output)")
        XCTAssertEqual(summary, "10 passed, 0 failed")
    }

    // MARK: setup

    struct App {
        var id: String
        var secret: String
    }

    /// A device registered over HTTP and a business application scoped to its product.
    func deviceAndApplication(_ name: String) async throws -> (device: TestDevice, app: App) {
        let product = try await makeProduct()
        let device = try await registerDevice(product, name)
        let created = try await hub().api.call("CreateApplication", [("Name", .string("interop")), ("ProductIds", .array([.string(product.id)]))])
        let app = App(id: try XCTUnwrap(created["AppId"]?.stringValue), secret: try XCTUnwrap(created["AppSecret"]?.stringValue))
        return (device, app)
    }

    /// `name` on PATH; missing: skip locally, fail in CI.
    func requireTool(_ name: String) throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else {
            try missing("\(name) is not installed: run scripts/test (apt-get install mosquitto-clients)")
            return ""
        }
        return path
    }

    /// A Python with paho-mqtt: `IOTHUB_PYTHON`, else `.venv/bin/python` of the package.
    func requirePaho() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let python = ProcessInfo.processInfo.environment["IOTHUB_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? root.appendingPathComponent(".venv/bin/python").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import paho.mqtt.client"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let available = (try? process.run()) != nil && { process.waitUntilExit(); return process.terminationStatus == 0 }()
        guard available else {
            try missing("\(python) has no paho-mqtt: run scripts/test (pip install paho-mqtt==2.2.0 into .venv)")
            return ""
        }
        return python
    }

    func missing(_ message: String) throws {
        // Never a skip: interoperability with real clients is the point of these tests.
        XCTFail(message)
        throw RawMQTTClient.Failure(description: message)
    }

    /// `mosquitto_sub` with a line-buffered stdout (so the test sees SUBACK and messages as they come),
    /// debug output and one line per message `topic|qos|retained|payload`; returns once subscribed.
    fileprivate func startSubscriber(_ sub: String, _ arguments: [String]) async throws -> InteropProcess {
        let stdbuf = "/usr/bin/stdbuf"
        let child = FileManager.default.isExecutableFile(atPath: stdbuf)
            ? InteropProcess(stdbuf, ["-oL", sub] + arguments + ["-d", "-F", "%t|%q|%r|%p"])
            : InteropProcess(sub, arguments + ["-d", "-F", "%t|%q|%r|%p"])
        try child.start()
        guard await child.waitForOutput(containing: "received SUBACK", timeout: .seconds(10)) else {
            child.kill()
            throw RawMQTTClient.Failure(description: "mosquitto_sub \(arguments) did not subscribe:\n\(child.output)")
        }
        return child
    }

    func runTool(
        _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil, timeout: Duration = .seconds(20)
    ) async throws -> (status: Int32?, output: String) {
        let child = InteropProcess(executable, arguments, environment: environment, stdin: stdin)
        try child.start()
        let status = await child.waitForExit(timeout: timeout)
        if status == nil { child.kill() }
        return (status, child.output)
    }

    /// The message lines of `-F %t|%q|%r|%p` output (debug lines start with "Client ").
    func messageLines(_ output: String) -> [(topic: String, qos: String, retained: String, payload: String)] {
        output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "|", maxSplits: 3, omittingEmptySubsequences: false)
            guard !line.hasPrefix("Client "), !line.hasPrefix("Subscribed"), fields.count == 4 else { return nil }
            return (String(fields[0]), String(fields[1]), String(fields[2]), String(fields[3]))
        }
    }
}

/// A child process whose stdout and stderr are collected as they arrive.
private final class InteropProcess: @unchecked Sendable {
    private let process = Process()
    private let pipe = Pipe()
    private let input: String?
    private let lock = NSLock()
    private var collected = Data()

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = pipe
        process.standardError = pipe
        input = stdin
    }

    func start() throws {
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.collected.append(data) }
        }
        if let input {
            let stdin = Pipe()
            process.standardInput = stdin
            try process.run()
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
    }

    var output: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

    /// Polls the output until it contains `text`.
    func waitForOutput(containing text: String, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if output.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return output.contains(text)
    }

    /// The exit status, or nil if still running after `timeout`.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        guard !process.isRunning else { return nil }
        // Let the last output drain.
        try? await Task.sleep(for: .milliseconds(20))
        return process.terminationStatus
    }

    /// SIGKILL: the process ends without any protocol goodbye.
    func kill() {
        guard process.isRunning else { return }
        #if canImport(Glibc)
        Glibc.kill(process.processIdentifier, SIGKILL)
        #else
        process.terminate()
        #endif
        process.waitUntilExit()
    }
}
