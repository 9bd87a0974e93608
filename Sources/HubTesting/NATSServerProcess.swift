import Foundation
import NIOCore
import NIOPosix

/// A real `nats-server` on a loopback port, started and stopped by a test.
///
/// The first start lets the server pick a free port (`-p -1`) and reads it from the ports file, so there is no
/// window in which another process could take a port we chose; a restart reuses that port.
public final class NATSServerProcess: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let port: Int
    let configText: String?
    let extraArguments: [String]
    private let directory: URL
    private var process: Process

    /// Starts a server; `config` is the text of a nats-server configuration file (for options without flags,
    /// such as `max_payload` or `ping_interval`).
    public static func start(config: String? = nil, arguments: [String] = []) async throws -> NATSServerProcess {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("nats-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = try Self.launch(port: -1, config: config, arguments: arguments, directory: directory)
        let port = try await Self.waitForPortsFile(pid: process.processIdentifier, directory: directory)
        let server = NATSServerProcess(
            port: port,
            configText: config,
            extraArguments: arguments,
            directory: directory,
            process: process
        )
        try await server.waitUntilAccepting()
        return server
    }

    private init(port: Int, configText: String?, extraArguments: [String], directory: URL, process: Process) {
        self.port = port
        self.configText = configText
        self.extraArguments = extraArguments
        self.directory = directory
        self.process = process
    }

    deinit {
        if self.process.isRunning {
            self.process.terminate()
            self.process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: self.directory)
    }

    /// The absolute path of `nats-server`; a missing binary fails the test.
    public static func executable() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/usr/local/bin"]
        for directory in candidates {
            let file = "\(directory)/nats-server"
            if FileManager.default.isExecutableFile(atPath: file) { return file }
        }
        throw Failure(description: "nats-server not found on PATH (install Debian's nats-server)")
    }

    private static func launch(port: Int, config: String?, arguments: [String], directory: URL) throws -> Process {
        var launchArguments = ["-a", "127.0.0.1", "-p", String(port), "--ports_file_dir", directory.path]
        if let config {
            let file = directory.appendingPathComponent("nats.conf")
            try config.write(to: file, atomically: true, encoding: .utf8)
            launchArguments += ["-c", file.path]
        }
        launchArguments += arguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable())
        process.arguments = launchArguments
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    private static func waitForPortsFile(pid: Int32, directory: URL) async throws -> Int {
        let file = directory.appendingPathComponent("nats-server_\(pid).ports")
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOf: file, encoding: .utf8),
                let range = text.range(of: #"nats://127\.0\.0\.1:(\d+)"#, options: .regularExpression)
            {
                let url = text[range]
                if let port = Int(url.split(separator: ":").last ?? "") { return port }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure(description: "nats-server did not write its ports file")
    }

    /// Waits until a TCP connection to the port succeeds.
    public func waitUntilAccepting() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: self.port).get()
            if let channel {
                try? await channel.close()
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Failure(description: "nats-server did not accept connections on port \(self.port)")
    }

    /// Stops the server (SIGTERM) and waits for it to exit.
    public func stop() {
        guard self.process.isRunning else { return }
        self.process.terminate()
        self.process.waitUntilExit()
    }

    /// Starts the server again on the same port, with the same options.
    public func restart() async throws {
        self.stop()
        self.process = try Self.launch(
            port: self.port,
            config: self.configText,
            arguments: self.extraArguments,
            directory: self.directory
        )
        try await self.waitUntilAccepting()
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server: it keeps its sockets but stops answering.
    public func suspend() { kill(self.process.processIdentifier, SIGSTOP) }
    public func resume() { kill(self.process.processIdentifier, SIGCONT) }
}
