import Foundation
import NIOCore
import NIOPosix
import XCTest

/// A mosquitto broker (the Debian `mosquitto` package, which `scripts/test` installs) started for one
/// test on a free loopback port, anonymous, and stopped by the test.
final class MosquittoBroker: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let directory: String

    private init(port: Int, process: Process, directory: String) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    static func start(file: StaticString = #filePath, line: UInt = #line) async throws -> MosquittoBroker {
        let executable = try ExternalTools.executable("mosquitto", file: file, line: line)
        let directory = NSTemporaryDirectory() + "mosquitto-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for _ in 0..<5 {
            let port = try freePort()
            let configuration = "listener \(port) 127.0.0.1\nallow_anonymous true\npersistence false\n"
            let path = directory + "/mosquitto.conf"
            try Data(configuration.utf8).write(to: URL(fileURLWithPath: path))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["-c", path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // Ready when the port accepts connections (or give up on this port if mosquitto exited).
            for _ in 0..<200 where process.isRunning {
                if await accepts(port) { return MosquittoBroker(port: port, process: process, directory: directory) }
                try await Task.sleep(for: .milliseconds(25))
            }
            await terminate(process)
        }
        XCTFail("mosquitto did not start", file: file, line: line)
        throw ExternalTools.MissingTool(description: "mosquitto did not start")
    }

    /// Terminates the broker. Polls instead of `waitUntilExit()`, which spins a run loop and can hang on a
    /// Swift concurrency thread on Linux.
    func stop() async {
        await Self.terminate(process)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func terminate(_ process: Process) async {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<200 where process.isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// A port the kernel just handed out for 127.0.0.1 (closed again; a tiny race is acceptable in tests).
    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        return channel.localAddress?.port ?? 0
    }

    private static func accepts(_ port: Int) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}
