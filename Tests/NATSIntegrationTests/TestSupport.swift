import HubTesting
import Foundation
import Logging
import NATSClient
import NATSCore
import NIOCore

/// Log level from `NATS_TEST_LOG_LEVEL` (e.g. `debug`); quiet by default.
let testLogger: Logger = {
    var logger = Logger(label: "nats-test")
    let level = ProcessInfo.processInfo.environment["NATS_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
    logger.logLevel = level ?? .critical
    return logger
}()

struct TestTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Builds a configuration for a local server; `configure` adjusts it.
func configuration(
    ports: [Int],
    _ configure: (inout NATSConfiguration) -> Void = { _ in }
) -> NATSConfiguration {
    var configuration = NATSConfiguration(servers: ports.map { NATSConfiguration.Server(host: "127.0.0.1", port: $0) })
    configuration.reconnect.initialDelay = .milliseconds(20)
    configuration.reconnect.maxDelay = .milliseconds(200)
    configuration.connectTimeout = .seconds(2)
    configure(&configuration)
    return configuration
}

/// A connected client; closed by the caller.
func connect(
    to server: NATSServerProcess,
    _ configure: (inout NATSConfiguration) -> Void = { _ in }
) async throws -> NATSConnection {
    let connection = NATSConnection(configuration: configuration(ports: [server.port], configure), logger: testLogger)
    try await connection.connect()
    return connection
}

/// Runs `operation`, failing with `TestTimeout` if it takes longer than `limit` (a safety bound, not a measurement).
func withTimeout<T: Sendable>(
    _ what: String,
    limit: Duration = .seconds(20),
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TestTimeout(description: "timed out: \(what)")
        }
        return value
    }
}

/// Polls `condition` until it holds (bounded by a safety timeout).
func eventually(
    _ what: String,
    limit: Duration = .seconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestTimeout(description: "timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// The next `count` messages of `subscription`.
func next(_ count: Int, of subscription: NATSSubscription) async throws -> [NATSMessage] {
    try await withTimeout("\(count) messages on \(subscription.subject)") {
        var messages: [NATSMessage] = []
        for try await message in subscription {
            messages.append(message)
            if messages.count == count { break }
        }
        return messages
    }
}

/// Every message until the subscription's sequence ends.
func all(of subscription: NATSSubscription) async throws -> [NATSMessage] {
    try await withTimeout("end of \(subscription.subject)") {
        var messages: [NATSMessage] = []
        for try await message in subscription {
            messages.append(message)
        }
        return messages
    }
}

extension NATSConnection {
    func publish(_ subject: String, _ text: String, headers: NATSHeaders? = nil, replyTo: String? = nil) async throws {
        try await self.publish(subject, payload: Array(text.utf8), headers: headers, replyTo: replyTo)
    }
}
