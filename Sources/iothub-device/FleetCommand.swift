import ArgumentParser
import Foundation
import IoTHubDevice
import JSONCore
import Logging
import MQTTCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// N units burned with the same firmware (ProductId + ProductSecret), each with its own DeviceName and
/// its own credential file: register once, connect, publish, disconnect.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Simulate a production run: N units register (once), connect and publish, C at a time.",
        discussion: """
            Unit n is named by --name-pattern ({n}, or {n:06} for zero padding) and keeps its credential in \
            DIR/<name>.json; a unit whose file holds a credential does not register again. Prints a summary \
            (per phase: count, rate, p50/p99/max latency; failures by reason code). Exits 1 if any unit failed.
            """
    )

    @Option(help: "Number of units.") var count: Int
    @Option(help: "Units in flight at once.") var concurrency = 10
    @Option(name: .customLong("product-id"), help: "ProductId burned into every unit.") var productId: String
    @Option(name: .customLong("product-secret"), help: "ProductSecret burned into every unit.") var productSecret: String
    @Option(name: .customLong("name-pattern"), help: "DeviceName pattern, e.g. 'SN-{n}' or 'SN-{n:06}'.") var namePattern = "SN-{n}"
    @Option(help: "First unit number.") var start = 1
    @Option(help: "Directory of the units' credential files.") var dir: String
    @Option(help: "Messages each unit publishes on {pid}/{dn}/event.") var messages = 1
    @Option(help: "QoS of the messages (0 or 1; QoS 1 latency is the PUBACK).") var qos = 1
    @OptionGroup var hub: HubOptions
    @Flag(help: "Print the summary as one JSON object.") var json = false

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must not be negative") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard messages >= 0 else { throw ValidationError("--messages must not be negative") }
        guard qos == 0 || qos == 1 else { throw ValidationError("--qos must be 0 or 1") }
        _ = try NamePattern(namePattern)
    }

    func run() async throws {
        bootstrapLogging(level: .error)
        let pattern = try NamePattern(namePattern)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let configuration = try hub.deviceConfiguration(reconnect: .disabled, reregister: false)
        let sessionConfiguration = URLSessionConfiguration.ephemeral
        sessionConfiguration.httpMaximumConnectionsPerHost = concurrency
        sessionConfiguration.timeoutIntervalForRequest = 30
        let session = URLSession(configuration: sessionConfiguration)
        defer { session.finishTasksAndInvalidate() }
        let registration = RegistrationClient(baseURL: try hub.registrationURL(), endpoint: hub.endpoint.endpoint, session: session)
        let units = (0..<count).map { offset in
            let name = pattern.name(start + offset)
            return FleetUnit(
                name: name,
                storePath: (dir as NSString).appendingPathComponent(name + ".json"),
                productId: productId,
                productSecret: productSecret,
                messages: messages,
                qos: qos == 0 ? .atMostOnce : .atLeastOnce,
                configuration: configuration,
                registration: registration
            )
        }

        let recorder = FleetRecorder()
        let progress = ProgressBar(total: count, recorder: recorder)
        let started = ContinuousClock.now
        let drawing = Task { await progress.run(started: started) }
        await withTaskGroup(of: Void.self) { group in
            var next = units.makeIterator()
            for _ in 0..<min(concurrency, units.count) {
                if let unit = next.next() { group.addTask { await unit.run(recorder: recorder) } }
            }
            while await group.next() != nil {
                if let unit = next.next() { group.addTask { await unit.run(recorder: recorder) } }
            }
        }
        drawing.cancel()
        await drawing.value
        if !progress.interactive { progress.draw(started: started) }

        let summary = FleetSummary(
            units: count, concurrency: concurrency, messagesPerUnit: messages, qos: qos,
            seconds: (ContinuousClock.now - started).seconds, state: recorder.snapshot
        )
        print(json ? summary.json.serializedString() : summary.text)
        if summary.state.failedUnits > 0 { throw ExitCode(1) }
    }
}

/// `SN-{n}` or `SN-{n:06}` (zero-padded to 6 digits).
struct NamePattern {
    var prefix: String
    var suffix: String
    var width: Int

    init(_ pattern: String) throws {
        guard let open = pattern.range(of: "{n"), let close = pattern[open.upperBound...].firstIndex(of: "}") else {
            throw ValidationError("--name-pattern must contain {n} (e.g. 'SN-{n}' or 'SN-{n:06}')")
        }
        let format = pattern[open.upperBound..<close]
        if format.isEmpty {
            width = 0
        } else if format.hasPrefix(":"), let digits = Int(format.dropFirst()), (0...20).contains(digits) {
            width = digits
        } else {
            throw ValidationError("--name-pattern: unknown placeholder {n\(format)}; use {n} or {n:06}")
        }
        prefix = String(pattern[..<open.lowerBound])
        suffix = String(pattern[pattern.index(after: close)...])
    }

    func name(_ number: Int) -> String {
        let digits = String(number)
        return prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits + suffix
    }
}
