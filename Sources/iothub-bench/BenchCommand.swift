import NIOCore
import ArgumentParser
import Foundation

/// `iothub-bench`: a SwiftNIO load generator for the hub's device HTTP port (loopback only).
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iothub-bench",
        abstract: "Load generator for an IoTHub device HTTP port (loopback only).",
        discussion: """
            Each run opens N keep-alive HTTP/1.1 connections with one request in flight on each, warms up,
            then measures until --count requests completed or --duration passed, whichever comes first.
            `all` measures the HTTP floor (GET /health) and then v2 auto-create registration against the
            same hub and prints them side by side.
            """,
        subcommands: [Register.self, Floor.self, All.self, Report.self, MQTTRegister.self, MQTTConnectRun.self, MQTTThroughputRun.self, MQTTFloorServer.self, MQTTFixedRateRun.self, Flood.self, ClusterRevokeRun.self]
    )
}

/// Options every load run shares.
struct LoadOptions: ParsableArguments {
    @Option(help: "Hub host; must be a loopback address.") var host = "127.0.0.1"
    @Option(help: "Device HTTP port of the hub.") var port: Int
    @Option(help: "Concurrent keep-alive connections.") var connections = 64
    @Option(help: "Event-loop threads of the generator (connections are split between them).") var threads = 1
    @Option(help: "Label of the hub setup in result tables.") var setup = "hub"
    @Option(help: "Append each result as a JSON line to this file (see `report`).") var results: String?
    @Option(help: "PID of the hub, to report its CPU time per request (Linux).") var serverPid: Int32?

    func validate() throws {
        guard host == "localhost" || host == "::1" || host.hasPrefix("127.") else {
            throw ValidationError("--host must be a loopback address (127.x.x.x, ::1, localhost)")
        }
        guard connections >= 1, threads >= 1, threads <= connections else {
            throw ValidationError("need 1 <= --threads <= --connections")
        }
    }

    func limits(warmup: Int, count: Int, duration: Double) -> LoadLimits {
        LoadLimits(connections: connections, warmup: warmup, count: count, duration: .nanoseconds(Int64(duration * 1e9)))
    }

    func record(_ result: BenchResult) throws {
        print(result.summary)
        if let results { try result.append(to: results) }
    }
}

/// Options of the registration scenario.
struct RegistrationOptions: ParsableArguments {
    @Option(help: "ProductId of a PSK product with auto-create and a RegisterLimit big enough for the run.")
    var productId: String
    @Option(help: "Its ProductSecret.") var productSecret: String
    @Option(help: "Device names are bench-<run-id>-<n>; default: random.") var runId: String?
    @Option(help: "Registrations before the measured window.") var warmup = 5_000
    @Option(help: "Registrations in the measured window (all requests are signed before the run).") var count = 100_000
    @Option(help: "Longest measured window, seconds.") var duration = 30.0
    @Option(help: "Decrypt and check the PSK of every n-th success (0: never); the rest are checked by shape.")
    var verifyEvery = 50

    func scenario(_ load: LoadOptions) -> RegistrationScenario {
        let runId = runId ?? String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let total = warmup + count + 2 * load.connections + load.threads
        let started = Date()
        let scenario = RegistrationScenario(
            host: load.host, port: load.port, productId: productId, productSecret: productSecret,
            runId: runId, count: total, verifyEvery: verifyEvery
        )
        print("register: signed \(total) requests (devices bench-\(runId)-0…) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        return scenario
    }
}

/// Options of the floor scenario.
struct FloorOptions: ParsableArguments {
    @Option(name: .customLong("floor-warmup"), help: "GET /health requests before the measured window.") var warmup = 20_000
    @Option(name: .customLong("floor-count"), help: "Most GET /health requests in the measured window.") var count = 50_000_000
    @Option(name: .customLong("floor-duration"), help: "Measured window of the floor, seconds.") var duration = 5.0
}

extension BenchCommand {
    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "v2 auto-create registrations (POST /device/register).")
        @OptionGroup var load: LoadOptions
        @OptionGroup var registration: RegistrationOptions

        func run() async throws {
            let scenario = registration.scenario(load)
            let limits = load.limits(warmup: registration.warmup, count: registration.count, duration: registration.duration)
            try load.record(try await LoadRunner.run(scenario, load: load, limits: limits))
        }
    }

    struct Floor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The HTTP floor: GET /health on the same port.")
        @OptionGroup var load: LoadOptions
        @OptionGroup var floor: FloorOptions

        func run() async throws {
            let limits = load.limits(warmup: floor.warmup, count: floor.count, duration: floor.duration)
            try load.record(try await LoadRunner.run(FloorScenario(host: load.host, port: load.port), load: load, limits: limits))
        }
    }

    struct All: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The floor, then registrations, on one hub; prints both.")
        @OptionGroup var load: LoadOptions
        @OptionGroup var floor: FloorOptions
        @OptionGroup var registration: RegistrationOptions

        func run() async throws {
            let registrations = registration.scenario(load)
            let floorResult = try await LoadRunner.run(
                FloorScenario(host: load.host, port: load.port), load: load,
                limits: load.limits(warmup: floor.warmup, count: floor.count, duration: floor.duration)
            )
            try load.record(floorResult)
            let registerResult = try await LoadRunner.run(
                registrations, load: load,
                limits: load.limits(warmup: registration.warmup, count: registration.count, duration: registration.duration)
            )
            try load.record(registerResult)
            print("")
            print(ResultTable.render([floorResult, registerResult]))
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Prints the results of JSON-lines files as one table.")
        @Argument(help: "Files written with --results.") var files: [String]

        func run() async throws {
            let results = try files.flatMap(BenchResult.load)
            let http = results.filter { !$0.scenario.hasPrefix("mqtt ") && $0.flood == nil }
            let mqtt = results.filter { $0.scenario.hasPrefix("mqtt ") }
            var tables: [String] = []
            if !http.isEmpty { tables.append(ResultTable.render(http)) }
            if !mqtt.isEmpty { tables.append(MQTTResultTable.render(mqtt)) }
            tables += results.filter { $0.flood != nil }.map(FloodTable.render)
            print(tables.joined(separator: "\n\n"))
        }
    }
}
