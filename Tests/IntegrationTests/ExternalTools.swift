import Dispatch
import Foundation
import XCTest

/// External clients the MQTT transport tests drive (mosquitto_pub/sub, openssl, Python with paho-mqtt).
/// `scripts/test` installs them; without them a test fails (never skips: a skipped test proves nothing).
enum ExternalTools {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // IntegrationTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()
    }

    static var pythonScripts: URL { packageRoot.appendingPathComponent("Tests/Python") }

    /// Fails the test because a tool is missing.
    static func missing(_ message: String, file: StaticString = #filePath, line: UInt = #line) throws -> Never {
        let text = message + " (scripts/test installs it)"
        XCTFail(text, file: file, line: line)
        throw MissingTool(description: text)
    }

    /// An executable found in `PATH` (or an absolute path).
    static func executable(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if name.hasPrefix("/") {
            if FileManager.default.isExecutableFile(atPath: name) { return name }
            try missing("\(name) is not installed", file: file, line: line)
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/sbin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        try missing("\(name) is not installed", file: file, line: line)
    }

    /// Python with paho-mqtt: `IOTHUB_PYTHON`, else `.venv/bin/python`.
    static func pythonWithPaho(file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let python = environment["IOTHUB_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? packageRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            try missing("no Python venv at \(python)", file: file, line: line)
        }
        let check = try await run(python, ["-c", "import paho.mqtt.client"], timeout: 60)
        guard check.status == 0 else {
            try missing("paho-mqtt is not installed in \(python): \(check.stderr)", file: file, line: line)
        }
        return python
    }

    struct MissingTool: Error, CustomStringConvertible {
        var description: String
    }

    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool

        /// The last stdout line parsed as a JSON object (the probe script's answer).
        var json: [String: Any]? {
            guard let line = stdout.split(separator: "\n").last,
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            else { return nil }
            return object
        }

        var combined: String { stdout + stderr }
    }

    /// Runs a process to its end (or terminates it after `timeout` seconds). All blocking happens on
    /// threads of its own: on Linux the Swift concurrency pool runs on Dispatch's global queues, whose
    /// width is the number of cores, so blocking Dispatch workers here would starve the in-process hub.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Double = 60, input: String? = nil
    ) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var childEnvironment = environment ?? ProcessInfo.processInfo.environment
        childEnvironment["NO_PROXY"] = "127.0.0.1,localhost"
        childEnvironment["no_proxy"] = "127.0.0.1,localhost"
        process.environment = childEnvironment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
        if let stdin, let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let outReader = PipeReader(stdout.fileHandleForReading)
        let errReader = PipeReader(stderr.fileHandleForReading)
        let box = UncheckedProcess(process: process)
        return await withCheckedContinuation { continuation in
            let waiter = Thread {
                let process = box.process
                let deadline = Date().addingTimeInterval(timeout)
                while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
                var timedOut = false
                if process.isRunning {
                    timedOut = true
                    process.terminate()
                }
                process.waitUntilExit()
                continuation.resume(
                    returning: Result(
                        status: process.terminationStatus,
                        stdout: String(decoding: outReader.wait(), as: UTF8.self),
                        stderr: String(decoding: errReader.wait(), as: UTF8.self),
                        timedOut: timedOut
                    )
                )
            }
            waiter.start()
        }
    }

    private struct UncheckedProcess: @unchecked Sendable {
        let process: Process
    }

    /// Reads a pipe to its end on a thread of its own.
    private final class PipeReader: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var data = Data()

        init(_ handle: FileHandle) {
            let thread = Thread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
            thread.start()
        }

        func wait() -> Data {
            done.wait()
            return data
        }
    }
}
