import CloudAPI
import Foundation
import HubServer
import HubTesting
import JSONCore
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import Registry
import XCTest

/// `iothub-device run` and `iothub-device fleet`, run as the real executable against an in-process hub.
final class DeviceSimulatorCLITests: XCTestCase {
    var hub: TestHub!
    var directory = ""

    override func setUp() async throws {
        hub = try await TestHub.start()
        directory = NSTemporaryDirectory() + "iothub-sim-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        await hub.stopAndRemove()
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: helpers

    /// A product with dynamic registration in auto-create mode; returns (ProductId, ProductSecret).
    func makeProduct(limit: Int = 100, certificates: Bool = false) async throws -> (String, String) {
        let created = try await hub.api.call(
            "CreateProduct",
            [("ProductName", .string("sim\(UInt16.random(in: 0...9999))")), ("ProductProperties", .object(["EncryptionType": .string(certificates ? "1" : "2")]))]
        )
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        let dynreg = try await hub.api.call(
            "UpdateProductDynamicRegister", [("ProductId", .string(id)), ("RegisterType", .int(2)), ("RegisterLimit", .int(Int64(limit)))]
        )
        return (id, try XCTUnwrap(dynreg["ProductSecret"]?.stringValue))
    }

    func hubArguments() async -> [String] {
        ["--http", hub.httpURL, "--mqtt", "127.0.0.1:\(await hub.port(.mqtt))"]
    }

    func deviceCount(_ productId: String) async throws -> Int64? {
        let list = try await hub.api.call("DescribeDevices", [("ProductId", .string(productId)), ("Offset", .int(0)), ("Limit", .int(100))])
        return list["TotalCount"]?.int64Value
    }

    func fleet(_ productId: String, _ secret: String, count: Int, concurrency: Int, messages: Int) async throws -> (ExternalTools.Result, JSONValue) {
        let run = try await SimulatorRun.run(
            [
                "fleet", "--count", String(count), "--concurrency", String(concurrency), "--product-id", productId, "--product-secret", secret,
                "--name-pattern", "SN-{n}", "--dir", directory, "--messages", String(messages), "--qos", "1", "--json",
            ] + (await hubArguments())
        )
        let summary = try JSONValue(parsing: Array(run.stdout.utf8))
        return (run, summary)
    }

    // MARK: fleet

    func testFleetRegistersEveryUnitOnceAndReusesStoredCredentials() async throws {
        let (productId, secret) = try await makeProduct()
        let (first, summary) = try await fleet(productId, secret, count: 20, concurrency: 5, messages: 3)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(summary["units"], .int(20))
        XCTAssertEqual(summary["registered"], .int(20))
        XCTAssertEqual(summary["reused"], .int(0))
        XCTAssertEqual(summary["connected"], .int(20))
        XCTAssertEqual(summary["messages"], .int(60))
        XCTAssertEqual(summary["failed"], .int(0))
        XCTAssertEqual(summary["completed"], .int(20))
        XCTAssertEqual(summary["failures"], .array([]))
        XCTAssertEqual(summary["phases"]?["register"]?["count"], .int(20))
        XCTAssertEqual(summary["phases"]?["connect"]?["count"], .int(20))
        XCTAssertEqual(summary["phases"]?["publish"]?["count"], .int(60))
        for phase in ["register", "connect", "publish"] {
            let p50 = try XCTUnwrap(summary["phases"]?[phase]?["p50Ms"]?.doubleValue)
            let p99 = try XCTUnwrap(summary["phases"]?[phase]?["p99Ms"]?.doubleValue)
            let max = try XCTUnwrap(summary["phases"]?[phase]?["maxMs"]?.doubleValue)
            XCTAssertTrue(0 < p50 && p50 <= p99 && p99 <= max, "\(phase): \(p50) \(p99) \(max)")
        }
        // The hub has the 20 units, each activated with the credential its file holds.
        let total = try await deviceCount(productId)
        XCTAssertEqual(total, 20)
        for n in 1...20 {
            let device = try await hub.hub.registry.device(productId: productId, name: "SN-\(n)")
            XCTAssertNotNil(device.firstOnlineTime, "SN-\(n) never connected")
            let file = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/SN-\(n).json"))))
            XCTAssertEqual(file["key_deviceinfo"]?["deviceSecret"]?.stringValue, device.psk)
            XCTAssertEqual(file["productSecret"]?.stringValue, secret)
        }

        // A second power-on of the same units: nothing registers, every stored credential is reused.
        let (second, again) = try await fleet(productId, secret, count: 20, concurrency: 5, messages: 3)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(again["registered"], .int(0))
        XCTAssertEqual(again["reused"], .int(20))
        XCTAssertEqual(again["connected"], .int(20))
        XCTAssertEqual(again["messages"], .int(60))
        XCTAssertEqual(again["failed"], .int(0))
        XCTAssertEqual(again["phases"]?["register"]?["count"], .int(0))
        let totalAfter = try await deviceCount(productId)
        XCTAssertEqual(totalAfter, 20)
    }

    func testFleetOverTheRegisterLimitReportsFailuresByReason() async throws {
        let (productId, secret) = try await makeProduct(limit: 4)
        let (run, summary) = try await fleet(productId, secret, count: 7, concurrency: 3, messages: 1)
        XCTAssertNotEqual(run.status, 0, "a fleet with failed units must not exit 0")
        XCTAssertEqual(summary["registered"], .int(4))
        XCTAssertEqual(summary["connected"], .int(4))
        XCTAssertEqual(summary["messages"], .int(4))
        XCTAssertEqual(summary["failed"], .int(3))
        let failures = try XCTUnwrap(summary["failures"]?.arrayValue)
        XCTAssertEqual(failures.count, 1, "\(failures)")
        XCTAssertEqual(failures.first?["phase"], .string("register"))
        XCTAssertEqual(failures.first?["reason"], .string("register_limit_reached"))
        XCTAssertEqual(failures.first?["count"], .int(3))
        let total = try await deviceCount(productId)
        XCTAssertEqual(total, 4)

        // The text summary names the reason too.
        let text = try await SimulatorRun.run(
            [
                "fleet", "--count", "7", "--concurrency", "3", "--product-id", productId, "--product-secret", secret, "--dir", directory,
                "--messages", "0",
            ] + (await hubArguments())
        )
        XCTAssertNotEqual(text.status, 0)
        XCTAssertTrue(text.stdout.contains("register_limit_reached"), text.stdout)
        XCTAssertTrue(text.stdout.contains("reused 4"), text.stdout)
    }

    func testFleetOfCertificateUnitsOverTLS() async throws {
        let (productId, secret) = try await makeProduct(certificates: true)
        let run = try await SimulatorRun.run(
            [
                "fleet", "--count", "4", "--concurrency", "2", "--product-id", productId, "--product-secret", secret, "--dir", directory,
                "--messages", "2", "--json", "--http", hub.httpURL, "--mqtt", "127.0.0.1:\(await hub.port(.mqtts))", "--tls",
                "--ca", "\(hub.dataDirectory)/ca/ca.cert.pem",
            ]
        )
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        let summary = try JSONValue(parsing: Array(run.stdout.utf8))
        XCTAssertEqual(summary["registered"], .int(4))
        XCTAssertEqual(summary["connected"], .int(4))
        XCTAssertEqual(summary["messages"], .int(8))
        XCTAssertEqual(summary["failed"], .int(0))
        let file = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/SN-1.json"))))
        XCTAssertEqual(file["auth_mode"], .string("CERT"))
        XCTAssertTrue(file["cert_deviceinfo"]?["devCert"]?.stringValue?.contains("BEGIN CERTIFICATE") == true)
        let device = try await hub.hub.registry.device(productId: productId, name: "SN-1")
        XCTAssertNotNil(device.firstOnlineTime)
    }

    // MARK: run

    func testRunPublishesTheRequestedCountAndExits() async throws {
        let (productId, secret) = try await makeProduct()
        let port = await hub.port(.mqtt)
        let app = try await hub.api.call("CreateApplication", [("Name", .string("watch")), ("ProductIds", .array([.string(productId)]))])
        let (watcher, ack) = try await TestMQTTClient.plain(
            port: port, clientId: "watch", username: app["AppId"]?.stringValue, password: app["AppSecret"]?.stringValue
        )
        defer { Task { await watcher.close() } }
        XCTAssertEqual(ack?.returnCode, 0)
        let granted = try await watcher.subscribe("\(productId)/+/event", qos: .atLeastOnce)
        XCTAssertEqual(granted, [1])

        let identity = "\(directory)/device_info.json"
        let run = try await SimulatorRun.run(
            [
                "run", "--identity", identity, "--product-id", productId, "--product-secret", secret, "--device-name", "unit-1",
                "--count", "3", "--interval", "0.1",
            ] + (await hubArguments())
        )
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("3 message(s) published"), run.stdout)
        for counter in 1...3 {
            let message = try await watcher.message()
            XCTAssertEqual(message.topic, "\(productId)/unit-1/event")
            let payload = try JSONValue(parsing: Array(message.payload.readableBytesView))
            XCTAssertEqual(payload["counter"], .int(Int64(counter)))
            XCTAssertNotNil(payload["timestamp"]?.int64Value)
        }
        let device = try await hub.hub.registry.device(productId: productId, name: "unit-1")
        XCTAssertEqual(device.firmwareVersion, "1.0.0")
        let file = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: identity))))
        XCTAssertEqual(file["key_deviceinfo"]?["deviceSecret"]?.stringValue, device.psk)

        // Booted again from the file alone: no registration, the stored credential connects.
        let again = try await SimulatorRun.run(["run", "--identity", identity, "--count", "1"] + (await hubArguments()))
        XCTAssertEqual(again.status, 0, again.stderr)
        let fourth = try await watcher.message()
        XCTAssertEqual(try JSONValue(parsing: Array(fourth.payload.readableBytesView))["counter"], .int(1))
    }

    func testRegisterKeepsTheCredentialInTheDirectoryForRun() async throws {
        let (productId, secret) = try await makeProduct()
        let registered = try await SimulatorRun.run(
            ["register", "--product-id", productId, "--product-secret", secret, "--device-name", "unit-5", "--http", hub.httpURL, "--dir", directory, "--json"]
        )
        XCTAssertEqual(registered.status, 0, registered.stderr)
        let printed = try JSONValue(parsing: Array(registered.stdout.utf8))
        let path = "\(directory)/unit-5.json"
        let file = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        XCTAssertEqual(file["key_deviceinfo"]?["deviceSecret"], printed["psk"])
        XCTAssertEqual(file["productSecret"], .string(secret))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)

        let run = try await SimulatorRun.run(["run", "--identity", path, "--count", "1"] + (await hubArguments()))
        XCTAssertEqual(run.status, 0, run.stderr)
        let device = try await hub.hub.registry.device(productId: productId, name: "unit-5")
        XCTAssertEqual(printed["psk"]?.stringValue, device.psk)
        XCTAssertNotNil(device.firstOnlineTime)
    }

    func testRunWithALostCredentialAfterActivationAsksForAnOperatorReset() async throws {
        let (productId, secret) = try await makeProduct()
        let identity = "\(directory)/device_info.json"
        let arguments = ["run", "--identity", identity, "--product-id", productId, "--product-secret", secret, "--device-name", "unit-2", "--count", "1"]
        let first = try await SimulatorRun.run(arguments + (await hubArguments()))
        XCTAssertEqual(first.status, 0, first.stderr)
        try FileManager.default.removeItem(atPath: identity)

        let lost = try await SimulatorRun.run(arguments + (await hubArguments()))
        XCTAssertNotEqual(lost.status, 0)
        XCTAssertTrue(lost.stderr.contains("operator must reset"), lost.stderr)
        XCTAssertTrue(lost.stderr.contains("FailedOperation.DeviceAlreadyActivated"), lost.stderr)
        XCTAssertFalse(lost.stdout.contains("published"), lost.stdout)
    }

    func testRunAnswersShadowDeltasAndRRPCAndStopsOnSIGTERM() async throws {
        let (productId, secret) = try await makeProduct()
        let process = try SimulatorProcess(
            [
                "run", "--product-id", productId, "--product-secret", secret, "--device-name", "unit-3", "--interval", "60",
                "--duration", "600",
            ] + (await hubArguments())
        )
        defer { process.kill() }
        try await process.waitForOutput("firmware version 1.0.0 reported")

        let names = [("ProductId", JSONValue.string(productId)), ("DeviceName", JSONValue.string("unit-3"))]
        let rrpc = try await hub.api.call("PublishRRPCMessage", names + [("Payload", .string(#"{"cmd":"ping"}"#))])
        let answer = rrpc["PayloadBase64"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        XCTAssertEqual(answer, #"{"cmd":"ping"}"#)

        let shadow = try await hub.api.call("DescribeDeviceShadow", names)
        let version = try JSONValue(parsing: try XCTUnwrap(shadow["Data"]?.stringValue))["payload"]?["version"]?.int64Value ?? 0
        try await hub.api.call("UpdateDeviceShadow", names + [("State", .string(#"{"desired":{"color":"red"}}"#)), ("ShadowVersion", .int(version))])
        try await process.waitForOutput("desired cleared")
        let after = try await hub.api.call("DescribeDeviceShadow", names)
        let document = try JSONValue(parsing: try XCTUnwrap(after["Data"]?.stringValue))
        XCTAssertEqual(document["payload"]?["state"]?["reported"]?["color"], .string("red"), "\(document)")
        XCTAssertNil(document["payload"]?["state"]?["desired"]?["color"], "\(document)")
        XCTAssertNil(document["payload"]?["state"]?["delta"]?["color"], "\(document)")

        let status = try await process.terminate()
        XCTAssertEqual(status, 0, process.stderr)
        XCTAssertTrue(process.stdout.contains("stopped (SIGTERM)"), process.stdout)
    }

    func testRunAppliesAnOTAUpdateToItsFirmwareFileAndReportsTheNewVersion() async throws {
        let (productId, secret) = try await makeProduct()
        var state: UInt32 = 11
        let image = Data((0..<150_000).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        })
        let imagePath = "\(directory)/image-2.0.0.bin"
        try image.write(to: URL(fileURLWithPath: imagePath))
        let operator_ = ["--endpoint", hub.apiEndpoint, "--data-dir", hub.dataDirectory]
        let upload = try await SimulatorRun.run(tool: "iothub", ["firmware", "upload", imagePath, "--product", productId, "--version", "2.0.0"] + operator_)
        XCTAssertEqual(upload.status, 0, upload.stderr)

        let flash = "\(directory)/flash.bin"
        let process = try SimulatorProcess(
            [
                "run", "--product-id", productId, "--product-secret", secret, "--device-name", "unit-4", "--interval", "60", "--duration", "600",
                "--firmware-file", flash,
            ] + (await hubArguments())
        )
        defer { process.kill() }
        try await process.waitForOutput("firmware version 1.0.0 reported")
        let update = try await SimulatorRun.run(
            tool: "iothub", ["firmware", "update", "--product", productId, "--version", "2.0.0", "--devices", "unit-4"] + operator_
        )
        XCTAssertEqual(update.status, 0, update.stderr)
        try await process.waitForOutput("version 2.0.0 reported")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: flash)), image)
        let device = try await hub.hub.registry.device(productId: productId, name: "unit-4")
        XCTAssertEqual(device.firmwareVersion, "2.0.0")
        let status = try await process.terminate()
        XCTAssertEqual(status, 0, process.stderr)
    }
}

/// Finished runs of `iothub-device` (or `iothub`).
enum SimulatorRun {
    /// Runs the tool to its end, off the test's cooperative threads (the hub runs in this process).
    static func run(tool: String = "iothub-device", _ arguments: [String]) async throws -> ExternalTools.Result {
        try await HubProcess.runTool(tool, arguments)
    }
}

/// `iothub-device` (or `iothub`) as a child process whose output is collected while it runs.
final class SimulatorProcess: @unchecked Sendable {
    private let process = Process()
    private let output = NIOLockedValueBox((stdout: "", stderr: ""))
    /// Left when the process exited and when each pipe reached its end.
    private let done = DispatchGroup()

    init(tool: String = "iothub-device", _ arguments: [String]) throws {
        process.executableURL = try HubProcess.executable().deletingLastPathComponent().appendingPathComponent(tool)
        process.arguments = arguments
        let output = output
        let done = done
        for isError in [false, true] {
            let pipe = Pipe()
            if isError { process.standardError = pipe } else { process.standardOutput = pipe }
            done.enter()
            // A thread of its own per pipe, blocking in read (readabilityHandler can lose the end of file).
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread {
                while case let data = handle.availableData, !data.isEmpty {
                    let text = String(decoding: data, as: UTF8.self)
                    output.withLockedValue { if isError { $0.stderr += text } else { $0.stdout += text } }
                }
                done.leave()
            }
        }
        done.enter()
        process.terminationHandler = { _ in done.leave() }
        try process.run()
    }

    var stdout: String { output.withLockedValue { $0.stdout } }
    var stderr: String { output.withLockedValue { $0.stderr } }

    /// Waits for the exit and the end of its output (killing the process after a generous safety limit)
    /// and returns its status.
    func wait(limit: TimeInterval = 180) async throws -> Int32 {
        let done = done
        let finished: Bool = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: done.wait(timeout: .now() + limit) == .success)
            }
        }
        if !finished {
            let running = process.isRunning
            process.terminate()
            XCTFail(
                "\(process.executableURL?.lastPathComponent ?? "") \(process.arguments ?? []) \(running ? "did not exit" : "exited but its output did not end"); output: \(stdout) \(stderr)"
            )
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits until stdout contains `text` (fails if the process exits first).
    func waitForOutput(_ text: String, limit: TimeInterval = 60) async throws {
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            if stdout.contains(text) { return }
            if !process.isRunning {
                _ = try await wait()
                if stdout.contains(text) { return }
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("no \"\(text)\" in the output: \(stdout) \(stderr)")
        throw CancellationError()
    }

    /// SIGTERM, then the exit status.
    func terminate() async throws -> Int32 {
        process.terminate()
        return try await wait()
    }

    func kill() {
        if process.isRunning { process.terminate() }
    }
}
