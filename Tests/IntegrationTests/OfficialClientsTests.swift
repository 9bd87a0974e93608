import Dispatch
import Foundation
import HubServer
import HubTesting
import XCTest

/// Runs `Tests/Python/official_clients_test.py` — every management action through Tencent's official
/// Python SDK (both API versions, all signature methods) and through `tccli` — against a hub started
/// in-process. Needs `IOTHUB_PYTHON` (and `IOTHUB_TCCLI`), which `scripts/test` sets up.
final class OfficialClientsTests: XCTestCase {
    /// Upper bound for the whole script (tccli is slow to start on a loaded machine).
    static let timeoutSeconds: Double = 1800

    func testOfficialPythonSDKAndTccli() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["IOTHUB_PYTHON"], !python.isEmpty else {
            let message = "IOTHUB_PYTHON is not set: run scripts/test, which creates .venv with the official "
                + "TencentCloud clients (tencentcloud-sdk-python-iotcloud, tccli) and exports IOTHUB_PYTHON and IOTHUB_TCCLI."
            // Never a skip: the official-client coverage is the point of this test.
            XCTFail(message)
            return
        }
        let tccli = environment["IOTHUB_TCCLI"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("tccli").path
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // IntegrationTests
            .deletingLastPathComponent()  // Tests
            .appendingPathComponent("Python/official_clients_test.py")
        XCTAssertTrue(FileManager.default.fileExists(atPath: script.path), "missing \(script.path)")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: python), "IOTHUB_PYTHON=\(python) is not executable")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: tccli), "IOTHUB_TCCLI=\(tccli) is not executable")

        let hub = try await TestHub.start()
        let credentials = hub.credentials
        var childEnvironment = environment
        childEnvironment["HUB_API_ENDPOINT"] = hub.apiEndpoint
        childEnvironment["HUB_SECRET_ID"] = credentials.secretId
        childEnvironment["HUB_SECRET_KEY"] = credentials.secretKey
        childEnvironment["HUB_HTTP_URL"] = hub.httpURL
        childEnvironment["IOTHUB_TCCLI"] = tccli
        let noProxy = ["127.0.0.1", environment["NO_PROXY"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ",")
        childEnvironment["NO_PROXY"] = noProxy
        childEnvironment["no_proxy"] = noProxy
        childEnvironment["PYTHONUNBUFFERED"] = "1"
        childEnvironment["PYTHONIOENCODING"] = "utf-8"

        let run = ChildProcess(executable: python, arguments: [script.path], environment: childEnvironment)
        let outcome: ChildProcess.Outcome
        do {
            outcome = try await run.run(timeoutSeconds: Self.timeoutSeconds)
        } catch {
            await hub.stopAndRemove()
            throw error
        }
        await hub.stopAndRemove()

        XCTAssertFalse(outcome.timedOut, "official_clients_test.py did not finish within \(Int(Self.timeoutSeconds)) s")
        let summary = outcome.output.split(separator: "\n").last(where: { $0.contains(" passed, ") }).map(String.init)
        XCTAssertNotNil(summary, "official_clients_test.py printed no summary line")
        XCTAssertEqual(
            outcome.status, 0,
            "official_clients_test.py exited with \(outcome.status): \(summary ?? "no summary") (full output above)"
        )
    }
}

/// A child process whose combined stdout/stderr is forwarded to this process's stdout while it runs
/// and collected. Waiting happens on a dispatch thread, never on the Swift concurrency pool (the hub
/// under test runs there). Also runs the console's browser test (ConsoleBrowserTests).
final class ChildProcess: @unchecked Sendable {
    struct Outcome: Sendable {
        var status: Int32
        var output: String
        var timedOut: Bool
    }

    private let process = Process()
    private let pipe = Pipe()
    private let lock = NSLock()
    private var collected = Data()
    private var timedOut = false

    init(executable: String, arguments: [String], environment: [String: String]) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
    }

    func run(timeoutSeconds: Double) async throws -> Outcome {
        try process.run()
        let deadline = DispatchTime.now() + timeoutSeconds
        DispatchQueue.global().asyncAfter(deadline: deadline) { [self] in
            guard process.isRunning else { return }
            lock.withLock { timedOut = true }
            process.terminate()
        }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async { [self] in
                let reader = pipe.fileHandleForReading
                while true {
                    let data = reader.availableData
                    if data.isEmpty { break }  // EOF: the child (and its children) closed the pipe
                    FileHandle.standardOutput.write(data)
                    lock.withLock { collected.append(data) }
                }
                process.waitUntilExit()
                let outcome = lock.withLock {
                    Outcome(status: process.terminationStatus, output: String(decoding: collected, as: UTF8.self), timedOut: timedOut)
                }
                continuation.resume(returning: outcome)
            }
        }
    }
}
