import Foundation
import XCTest

/// The `iothub` executable run as a child process, for tests that must kill it.
final class HubProcess {
    let process = Process()
    let output = Pipe()
    private(set) var httpPort = 0
    private(set) var apiPort = 0
    private(set) var mqttPort = 0

    /// The `iothub` binary next to the test bundle (`swift build` builds it with the tests).
    static func executable() throws -> URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("iothub")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw HubProcessFailure(description: "the iothub executable was not built next to the tests (\(directory.path)); run scripts/test")
    }

    /// `arguments` are added to `serve`'s; `descriptorLimit` runs the hub under `prlimit --nofile`; `mergingStandardError`
    /// reads standard error with the output (a start that fails is then reported with its message).
    init(dataDirectory: String, arguments: [String] = [], descriptorLimit: Int? = nil, mergingStandardError: Bool = false) throws {
        let hub = try Self.executable()
        let serve = [
            "serve", "--data-dir", dataDirectory, "--http-host", "127.0.0.1", "--http-port", "0", "--api-port", "0", "--mqtt-host", "127.0.0.1",
            "--mqtt-port", "0", "--mqtts-port", "0", "--ws-port", "0", "--log-level", "warning",
        ] + arguments
        if let descriptorLimit {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--nofile=\(descriptorLimit):\(descriptorLimit)", "--", hub.path] + serve
        } else {
            process.executableURL = hub
            process.arguments = serve
        }
        process.standardOutput = output
        process.standardError = mergingStandardError ? output : FileHandle.nullDevice
    }

    /// Starts the hub and waits for its "ready" line, which names the bound ports.
    func start(timeout: TimeInterval = 30) throws {
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        let handle = output.fileHandleForReading
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("IoTHub ready") }) {
                // "IoTHub ready: device HTTP on port N, management API on 127.0.0.1:M, ..."
                httpPort = Int(line.components(separatedBy: "port ")[1].prefix { $0.isNumber }) ?? 0
                apiPort = Int(line.components(separatedBy: "127.0.0.1:")[1].prefix { $0.isNumber }) ?? 0
                if line.contains("MQTT ") { mqttPort = Int(line.components(separatedBy: "MQTT ")[1].prefix { $0.isNumber }) ?? 0 }
                return
            }
        }
        throw HubProcessFailure(description: "hub did not start: \(text)")
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM; returns the exit status.
    @discardableResult
    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

extension HubProcess {
    /// Runs one of the package's executables (built next to the tests) to its end, with `environment` added
    /// to this process's, through ``ExternalTools/run(_:_:environment:timeout:)`` (pipes read on threads of
    /// their own, a safety timeout).
    static func runTool(_ tool: String, _ arguments: [String], environment: [String: String] = [:], input: String? = nil) async throws -> ExternalTools.Result {
        let url = try executable().deletingLastPathComponent().appendingPathComponent(tool)
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        return try await ExternalTools.run(url.path, arguments, environment: merged, timeout: 180, input: input)
    }
}

/// A hub process that could not be run: always a test failure, never a skip.
struct HubProcessFailure: Error, CustomStringConvertible {
    var description: String
}
