import Foundation
import HubConsole
import HubServer
import HubTesting
import Registry
import XCTest

/// Runs `Tests/Python/console_browser_test.py`: the web console in a real headless Chromium (Debian's
/// `chromium` and `chromium-driver`, driven by selenium from `.venv`) against a hub started in-process, with
/// units registering through the real `iothub-device fleet` executable. Needs `IOTHUB_PYTHON`, which
/// `scripts/test` sets up with selenium; a missing browser, driver or selenium fails the test (never a skip).
/// With `IOTHUB_CONSOLE_SCREENSHOTS=DIR` the script also saves the README's screenshots into DIR.
final class ConsoleBrowserTests: XCTestCase {
    /// Upper bound for the whole script (it takes seconds; this only stops a hung browser).
    static let timeoutSeconds: Double = 300
    static let password = "correct horse battery"

    func testConsoleInHeadlessChromium() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["IOTHUB_PYTHON"], !python.isEmpty else {
            // Never a skip: the browser is the point of this test.
            XCTFail("IOTHUB_PYTHON is not set: run scripts/test, which installs chromium, chromium-driver and selenium into .venv and exports IOTHUB_PYTHON.")
            return
        }
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // IntegrationTests
            .deletingLastPathComponent()  // Tests
            .appendingPathComponent("Python/console_browser_test.py")
        XCTAssertTrue(FileManager.default.fileExists(atPath: script.path), "missing \(script.path)")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: python), "IOTHUB_PYTHON=\(python) is not executable")
        let deviceTool = try HubProcess.executable().deletingLastPathComponent().appendingPathComponent("iothub-device").path
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: deviceTool), "\(deviceTool) was not built")

        // A firmware limit the script can exceed quickly (its upload of a larger file must be refused on the page).
        let hub = try await TestHub.start { $0.firmwareMaxSize = 1 << 20 }
        // The first operators, as `iothub console user add` makes them (ConsoleTests does the same).
        try await hub.addConsoleOperators(password: Self.password)

        var childEnvironment = environment
        childEnvironment["HUB_CONSOLE_URL"] = "http://127.0.0.1:\(hub.apiPort)/console"
        childEnvironment["HUB_HTTP_URL"] = hub.httpURL
        childEnvironment["HUB_MQTT"] = "127.0.0.1:\(await hub.port(.mqtt))"
        childEnvironment["HUB_ADMIN"] = "alice"
        childEnvironment["HUB_VIEWER"] = "victor"
        childEnvironment["HUB_PASSWORD"] = Self.password
        childEnvironment["IOTHUB_DEVICE"] = deviceTool
        let noProxy = ["127.0.0.1,localhost", environment["NO_PROXY"]].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ",")
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

        XCTAssertFalse(outcome.timedOut, "console_browser_test.py did not finish within \(Int(Self.timeoutSeconds)) s")
        XCTAssertEqual(outcome.status, 0, "console_browser_test.py exited with \(outcome.status):\n\(outcome.output)")
    }
}
