import ArgumentParser
import Foundation
import MQTTCore
import NIOCore
import NIOPosix

/// Options of every MQTT scenario.
struct MQTTOptions: ParsableArguments {
    @Option(help: "Broker host; must be a loopback address.") var host = "127.0.0.1"
    @Option(name: .customLong("mqtt-port"), help: "MQTT (TCP) port of the broker.") var mqttPort: Int
    @Option(help: "Label of the broker in result tables: iothub or mosquitto.") var setup = "iothub"
    @Option(help: "Device credentials file (`ProductId DeviceName PSK` per line, from `mqtt-register`); topics are the devices' event topics.")
    var credentials: String
    @Option(help: "Clients authenticate as: device (Tencent device auth; subscribers as the application) or anonymous.")
    var auth = "anonymous"
    @Option(help: "AppId of the hub application the subscribers log in as (with --auth device).") var appId: String?
    @Option(help: "Its AppSecret.") var appSecret: String?
    @Option(help: "Client sockets bind to <prefix>.2, <prefix>.3, … before they connect.") var sourcePrefix = "127.0.1"
    @Option(help: "Clients per source address.") var perSource = 10_000
    @Option(help: "Append each result as a JSON line to this file.") var results: String?
    @Option(help: "PID of the broker process (CPU time per message or connection; VmRSS).") var serverPid: Int32?

    func validate() throws {
        guard host == "localhost" || host == "::1" || host.hasPrefix("127.") else {
            throw ValidationError("--host must be a loopback address (127.x.x.x, ::1, localhost)")
        }
        guard sourcePrefix.hasPrefix("127.") else { throw ValidationError("--source-prefix must be in 127.0.0.0/8") }
        guard auth == "device" || auth == "anonymous" else { throw ValidationError("--auth is device or anonymous") }
        if auth == "device", appId == nil || appSecret == nil { throw ValidationError("--auth device needs --app-id and --app-secret") }
    }

    var connector: MQTTBenchConnector {
        MQTTBenchConnector(host: host, port: mqttPort, sourcePrefix: sourcePrefix, perSource: perSource)
    }

    func record(_ result: BenchResult) throws {
        print(result.summary)
        if let results { try result.append(to: results) }
    }
}

extension BenchCommand {
    struct MQTTRegister: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mqtt-register",
            abstract: "Registers devices (v2 auto-create) and writes their credentials for the MQTT scenarios."
        )
        @Option(help: "Hub host (loopback).") var host = "127.0.0.1"
        @Option(help: "Device HTTP port of the hub.") var port: Int
        @Option(help: "ProductId of a PSK product with auto-create.") var productId: String
        @Option(help: "Its ProductSecret.") var productSecret: String
        @Option(help: "Devices to register.") var count = 20_000
        @Option(help: "Output file.") var out: String

        func run() async throws {
            let runId = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let load = try LoadOptions.parse(["--host", host, "--port", String(port), "--connections", "64", "--setup", "credentials"])
            let scenario = CredentialRegistration(
                host: host, port: port, productId: productId, productSecret: productSecret, runId: runId, count: count + 200
            )
            let result = try await LoadRunner.run(
                scenario, load: load, limits: LoadLimits(connections: 64, warmup: 0, count: count, duration: .seconds(600))
            )
            print(result.summary)
            let credentials = scenario.credentials
            guard credentials.count >= count else {
                throw ValidationError("only \(credentials.count) of \(count) registrations succeeded")
            }
            try MQTTDeviceCredential.save(Array(credentials.prefix(count)), to: out)
            print("mqtt-register: \(count) device credentials in \(out)")
        }
    }

    struct MQTTConnectRun: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mqtt-connect",
            abstract: "Connect storm, then idle connections: connects/s, CONNACK latency, broker VmRSS per connection."
        )
        @OptionGroup var mqtt: MQTTOptions
        @Option(help: "Clients.") var count = 20_000
        @Option(help: "TCP connects + CONNECT exchanges in flight at a time.") var concurrency = 200
        @Option(help: "Seconds the connections stay idle before the broker's VmRSS is read.") var settle = 3.0

        func run() async throws {
            let limit = ProcessResources.raiseFileLimit()
            guard limit < 0 || limit > count + 100 else {
                throw ValidationError("RLIMIT_NOFILE is \(limit) (hard limit); \(count) connections need more")
            }
            let credentials = try MQTTDeviceCredential.load(mqtt.credentials)
            let packets: [ByteBuffer] = (0..<count).map { index in
                if mqtt.auth == "device" {
                    return MQTTBenchPackets.connect(clientId: "", auth: .device(credentials[index % credentials.count]))
                }
                return MQTTBenchPackets.connect(clientId: "bench-\(index)", auth: .anonymous)
            }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let loop = group.next()
            let cpuBefore = mqtt.serverPid.flatMap(ProcessCPU.seconds(pid:))
            let ownBefore = ProcessCPU.ownSeconds()
            let connector = mqtt.connector
            let settleTime = TimeAmount.nanoseconds(Int64(self.settle * 1e9))
            let inFlight = self.concurrency
            let serverPid = mqtt.serverPid
            let outcome = try await loop.flatSubmit {
                MQTTConnectStorm(loop: loop, connector: connector, packets: packets, concurrency: inFlight, settle: settleTime, brokerPid: serverPid).run()
            }.get()
            let cpuAfter = mqtt.serverPid.flatMap(ProcessCPU.seconds(pid:))
            let ownAfter = ProcessCPU.ownSeconds()
            try await group.shutdownGracefully()

            let driver = DriverResult(
                completed: outcome.connected, seconds: outcome.seconds, latencies: outcome.latencies, failures: outcome.failures, endedBy: "count"
            )
            var storm = BenchResult(setup: mqtt.setup, scenario: "mqtt connect storm", connections: count, merged: [driver])
            // CPU per connection over the whole storm: connect, the idle time and the close.
            let connected = Double(max(outcome.connected, 1))
            if let cpuBefore, let cpuAfter { storm.serverCPUMicros = (cpuAfter - cpuBefore) / connected * 1e6 }
            if let ownBefore, let ownAfter { storm.generatorCPUMicros = (ownAfter - ownBefore) / connected * 1e6 }
            try mqtt.record(storm)
            if let before = outcome.residentBefore, let after = outcome.residentAfter {
                var idle = BenchResult(setup: mqtt.setup, scenario: "mqtt idle memory", connections: count, merged: [driver])
                idle.bytesPerConnection = Double(after - before) / Double(max(outcome.connected, 1))
                idle.residentBefore = before
                idle.residentAfter = after
                try mqtt.record(idle)
            }
        }
    }

    struct MQTTThroughputRun: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mqtt-throughput",
            abstract: "Messages delivered per second: shapes 1-1, 100-1 (fan-in), 1-100 (fan-out) at QoS 0 or 1."
        )
        @OptionGroup var mqtt: MQTTOptions
        @Option(help: "1-1, 100-1 or 1-100 (publishers-subscribers).") var shape = "1-1"
        @Option(help: "0 or 1.") var qos = 0
        @Option(help: "Payload bytes.") var payload = 64
        @Option(help: "Messages per publisher not yet delivered to all its subscribers (default: 500, 5 per publisher for 100-1).")
        var window: Int?
        @Option(help: "Warm-up seconds.") var warmup = 1.0
        @Option(help: "Measured seconds.") var duration = 3.0
        @Flag(help: "Persistent sessions (CleanSession 0) for every client, under client ids new to this run: the broker keeps each subscriber's QoS 1 messages (durably, where it persists sessions).")
        var persistent = false

        func run() async throws {
            ProcessResources.raiseFileLimit()
            let parts = shape.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 2, parts[0] >= 1, parts[1] >= 1, parts[0] == 1 || parts[1] == 1 else {
                throw ValidationError("--shape is P-S with P or S equal to 1")
            }
            guard let level = MQTTQoS(rawValue: UInt8(self.qos)), level != .exactlyOnce else { throw ValidationError("--qos is 0 or 1") }
            let (publisherCount, subscriberCount) = (parts[0], parts[1])
            let credentials = try MQTTDeviceCredential.load(mqtt.credentials)
            guard credentials.count >= publisherCount else { throw ValidationError("need \(publisherCount) credentials") }
            let device = mqtt.auth == "device"
            let persistent = self.persistent
            // Persistent sessions of earlier runs keep their messages: this run's clients are new ones.
            let run = persistent ? "-" + String(UInt32.random(in: 0...UInt32.max), radix: 36) : ""
            let publishers = (0..<publisherCount).map { index in
                (
                    connect: device
                        ? MQTTBenchPackets.connect(clientId: "", auth: .device(credentials[index]), persistent: persistent)
                        : MQTTBenchPackets.connect(clientId: "benchpub-\(index)\(run)", auth: .anonymous, persistent: persistent),
                    topic: credentials[index].eventTopic
                )
            }
            // 1-1 and 1-100: every subscriber takes the one publisher's topic; 100-1: the product's event wildcard.
            let filter = publisherCount == 1 ? credentials[0].eventTopic : "\(credentials[0].productId)/+/event"
            let subscribers = (0..<subscriberCount).map { index in
                (
                    connect: MQTTBenchPackets.connect(
                        clientId: "benchsub-\(index)\(run)",
                        auth: device ? .application(id: mqtt.appId!, secret: mqtt.appSecret!) : .anonymous, persistent: persistent
                    ),
                    filter: filter
                )
            }
            let perPublisher = self.window ?? (publisherCount > 1 ? 5 : 500)
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let loop = group.next()
            let connector = mqtt.connector
            let warmupTime = TimeAmount.nanoseconds(Int64(self.warmup * 1e9))
            let measured = TimeAmount.nanoseconds(Int64(self.duration * 1e9))
            let payloadSize = self.payload
            let cpuBefore = mqtt.serverPid.flatMap(ProcessCPU.seconds(pid:))
            let ownBefore = ProcessCPU.ownSeconds()
            let outcome = try await loop.flatSubmit {
                MQTTThroughput(
                    loop: loop, connector: connector, qos: level, payloadSize: payloadSize, publishers: publishers, subscribers: subscribers,
                    fanout: subscriberCount, window: perPublisher, warmup: warmupTime, duration: measured
                ).run()
            }.get()
            let cpuAfter = mqtt.serverPid.flatMap(ProcessCPU.seconds(pid:))
            let ownAfter = ProcessCPU.ownSeconds()
            try await group.shutdownGracefully()

            let driver = DriverResult(
                completed: outcome.received, seconds: outcome.seconds, latencies: outcome.latencies, failures: outcome.failures,
                endedBy: outcome.endedBy
            )
            var result = BenchResult(
                setup: mqtt.setup, scenario: "mqtt qos\(level.rawValue) \(shape)\(persistent ? " persistent" : "")",
                connections: publisherCount + subscriberCount, merged: [driver]
            )
            // CPU per delivered message over the whole run (warm-up included).
            let delivered = Double(max(outcome.sent * subscriberCount, 1))
            if let cpuBefore, let cpuAfter { result.serverCPUMicros = (cpuAfter - cpuBefore) / delivered * 1e6 }
            if let ownBefore, let ownAfter { result.generatorCPUMicros = (ownAfter - ownBefore) / delivered * 1e6 }
            try mqtt.record(result)
        }
    }
}

extension BenchCommand {
    struct MQTTFixedRateRun: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mqtt-fixed-rate",
            abstract: "Fixed offered load (open loop): P publishers → 1 subscriber at a set total rate; delivery latency p50/p99/p999."
        )
        @OptionGroup var mqtt: MQTTOptions
        @Option(help: "Total messages per second offered (split evenly between the publishers).") var rate = 10_000.0
        @Option(help: "Publishers (devices towards IoTHub); one subscriber takes all of them.") var publishers = 100
        @Option(help: "0 or 1.") var qos = 1
        @Option(help: "Payload bytes.") var payload = 64
        @Option(help: "Warm-up seconds at the same rate (not measured).") var warmup = 2.0
        @Option(help: "Measured seconds.") var duration = 10.0
        @Option(help: "Seconds the subscriber may take to receive the window's last messages.") var drain = 5.0
        @Option(help: "MQTT port the subscriber connects to (another node of a hub cluster); default --mqtt-port.")
        var subscriberMqttPort: Int?

        func run() async throws {
            ProcessResources.raiseFileLimit()
            guard let level = MQTTQoS(rawValue: UInt8(self.qos)), level != .exactlyOnce else { throw ValidationError("--qos is 0 or 1") }
            guard rate > 0, publishers >= 1 else { throw ValidationError("need --rate > 0 and --publishers >= 1") }
            let credentials = try MQTTDeviceCredential.load(mqtt.credentials)
            guard credentials.count >= publishers else { throw ValidationError("need \(publishers) credentials") }
            let device = mqtt.auth == "device"
            let senders = (0..<publishers).map { index in
                (
                    connect: device
                        ? MQTTBenchPackets.connect(clientId: "", auth: .device(credentials[index]))
                        : MQTTBenchPackets.connect(clientId: "benchpub-\(index)", auth: .anonymous),
                    topic: credentials[index].eventTopic
                )
            }
            let subscriber = (
                connect: MQTTBenchPackets.connect(
                    clientId: "benchsub-0", auth: device ? .application(id: mqtt.appId!, secret: mqtt.appSecret!) : .anonymous
                ),
                filter: "\(credentials[0].productId)/+/event"
            )
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let loop = group.next()
            let connector = mqtt.connector
            var otherNode = connector
            if let subscriberMqttPort { otherNode.port = subscriberMqttPort }
            let subscriberConnector = otherNode
            let (rate, payloadSize) = (self.rate, self.payload)
            let (warmupTime, measured, drainTime) = (seconds(warmup), seconds(duration), seconds(drain))
            let cpuBefore = mqtt.serverPid.flatMap(ProcessCPU.seconds(pid:))
            let ownBefore = ProcessCPU.ownSeconds()
            let outcome = try await loop.flatSubmit {
                MQTTFixedRate(
                    loop: loop, connector: connector, subscriberConnector: subscriberConnector, qos: level, payloadSize: payloadSize, rate: rate, publishers: senders,
                    subscriber: subscriber, warmup: warmupTime, duration: measured, drain: drainTime
                ).run()
            }.get()
            let cpuAfter = mqtt.serverPid.flatMap(ProcessCPU.seconds(pid:))
            let ownAfter = ProcessCPU.ownSeconds()
            try await group.shutdownGracefully()

            let driver = DriverResult(
                completed: outcome.receivedInWindow, seconds: outcome.seconds, latencies: outcome.latencies, failures: outcome.failures,
                endedBy: outcome.endedBy
            )
            var result = BenchResult(
                setup: mqtt.setup, scenario: "mqtt fixed-rate qos\(level.rawValue) \(publishers)-1", connections: publishers + 1, merged: [driver]
            )
            result.p999Millis = BenchResult.percentile(outcome.latencies.sorted(), 0.999)
            result.offeredPerSecond = rate
            result.achievedPerSecond = outcome.seconds > 0 ? Double(outcome.sentInWindow) / outcome.seconds : 0
            // CPU per message over the whole run (warm-up and drain included).
            let messages = Double(max(Int(rate * (warmup + duration)), 1))
            if let cpuBefore, let cpuAfter { result.serverCPUMicros = (cpuAfter - cpuBefore) / messages * 1e6 }
            if let ownBefore, let ownAfter { result.generatorCPUMicros = (ownAfter - ownBefore) / messages * 1e6 }
            try mqtt.record(result)
            print("mqtt-fixed-rate: generator send lag at most \(String(format: "%.1f", outcome.maxSendLagMillis)) ms behind the schedule")
        }

        private func seconds(_ value: Double) -> TimeAmount { .nanoseconds(Int64(value * 1e9)) }
    }
}

extension DriverResult {
    /// An MQTT scenario's outcome, in the form the result tables read.
    init(completed: Int, seconds: Double, latencies: [UInt64], failures: [String: Int], endedBy: String) {
        self.init()
        completedInWindow = completed
        windowNanos = UInt64(seconds * 1e9)
        self.latencies = latencies
        self.failures = failures
        self.endedBy = endedBy
    }
}
