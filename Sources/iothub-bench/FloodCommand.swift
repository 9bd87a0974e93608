import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

extension BenchCommand {
    /// `iothub-bench flood`: the legit load alone (baseline), then with a flood from other source
    /// addresses, then alone again (after), against one running hub; see `FloodLegitLoad` and `FloodAttack`.
    struct Flood: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Legit devices (QoS 1 publishes, registrations, reconnects) without, during and after a flood of bad requests.",
            discussion: """
                Phases: --baseline seconds of legit load, then --flood-duration seconds with the flood running, then --after \
                seconds of legit load alone while the hub's descriptors are watched. The flood is bounded in count and \
                time and stops by itself. Reports legit latency and failures per phase, the hub's descriptors and memory \
                over the run (/proc/PID), and what the flood's requests got back. Loopback only.
                """
        )
        @Option(help: "Hub host; must be a loopback address.") var host = "127.0.0.1"
        @Option(name: .customLong("mqtt-port"), help: "The hub's MQTT (TCP) port.") var mqttPort: Int
        @Option(name: .customLong("http-port"), help: "The hub's device HTTP port.") var httpPort: Int
        @Option(name: .customLong("api-port"), help: "The management API port (oversize bodies go there too).") var apiPort: Int?
        @Option(help: "ProductId of a PSK product with auto-create (the devices' product).") var productId: String
        @Option(help: "Its ProductSecret (legit registrations).") var productSecret: String
        @Option(help: "Device credentials (`mqtt-register`): the publishers first, then the reconnecting devices.") var credentials: String
        @Option(help: "AppId of the application the subscriber logs in as.") var appId: String
        @Option(help: "Its AppSecret.") var appSecret: String
        @Option(help: "PID of the hub (descriptors and memory from /proc).") var serverPid: Int32
        @Option(help: "Label in result tables.") var setup = "iothub"
        @Option(help: "Append the result as a JSON line to this file.") var results: String?

        @Option(help: "Legit publishing devices.") var publishers = 200
        @Option(help: "QoS 1 messages per second per publishing device.") var publishRate = 5.0
        @Option(help: "Legit registrations per second (each a new device, a new TCP connection).") var registrationRate = 20.0
        @Option(help: "Legit device reconnects per second (CONNECT → CONNACK → DISCONNECT).") var reconnectRate = 5.0
        @Option(help: "Devices that reconnect (taken from the credentials after the publishers).") var reconnectors = 50

        @Option(help: "Seconds of legit load alone before the flood.") var baseline = 20.0
        @Option(name: .customLong("flood-duration"), help: "Seconds the flood runs.") var floodDuration = 20.0
        @Option(help: "Seconds of legit load alone after the flood (the grace period for descriptors).") var after = 10.0
        @Option(help: "Seconds for requests in flight to finish at the end.") var drain = 3.0

        @Option(help: "Flood sockets bind to <flood-prefix>.2, .3, … in turn.") var floodPrefix = "127.0.120"
        @Option(help: "Source addresses of the flood.") var floodSources = 32
        @Option(help: "Legit MQTT clients bind to <prefix>.2 (subscriber), .3 … (one address each).") var legitPrefix = "127.0.100"
        @Option(help: "Legit reconnects bind to <prefix>.2 …") var reconnectPrefix = "127.0.101"
        @Option(help: "Legit registrations bind to <prefix>.2 …") var registrationPrefix = "127.0.102"

        @Option(help: "Wrong-password CONNECTs per second (issue 12 measured its flood at 2,100/s); 0 = a closed loop, as fast as the hub answers.")
        var connectRate = 2_100.0
        @Option(help: "Wrong-signature registrations per second (issue 12: 680/s); 0 = a closed loop.") var registrationFloodRate = 680.0
        @Option(help: "Wrong-password CONNECTs in flight.") var connectConcurrency = 64
        @Option(help: "Most wrong-password CONNECTs.") var connectCount = 200_000
        @Option(help: "Wrong-signature registrations in flight (keep-alive connections).") var registrationConcurrency = 64
        @Option(help: "Most wrong-signature registrations.") var registrationCount = 200_000
        @Option(help: "Slowloris sockets held at a time.") var slowloris = 300
        @Option(help: "Most slowloris sockets opened.") var slowlorisCount = 3_000
        @Option(help: "Seconds between the header lines a slowloris socket trickles.") var trickle = 1.0
        @Option(help: "Oversize-body requests in flight.") var oversizeConcurrency = 4
        @Option(help: "Most oversize-body requests.") var oversizeCount = 1_000
        @Option(help: "Body bytes of an oversize request.") var oversizeBytes = 4 << 20
        @Option(help: "Garbage MQTT sockets held at a time.") var garbage = 200
        @Option(help: "Most garbage sockets opened.") var garbageCount = 2_000
        @Option(help: "Bytes of garbage per socket (a PUBLISH as the first packet).") var garbageBytes = 200_000
        @Option(help: "Descriptors above the baseline that still count as back to baseline (the legit load's short-lived sockets).")
        var descriptorSlack = 20

        func validate() throws {
            for address in [host, floodPrefix, legitPrefix, reconnectPrefix, registrationPrefix] where !address.hasPrefix("127.") {
                throw ValidationError("\(address): only loopback (127.0.0.0/8) addresses")
            }
            let prefixes = [floodPrefix, legitPrefix, reconnectPrefix, registrationPrefix]
            guard Set(prefixes).count == prefixes.count else { throw ValidationError("the legit and flood prefixes must differ") }
            guard publishers >= 1, publishers <= 250 else { throw ValidationError("1 <= --publishers <= 250 (one source address each)") }
        }

        func run() async throws {
            ProcessResources.raiseFileLimit()
            let all = try MQTTDeviceCredential.load(credentials)
            guard all.count >= publishers + (reconnectRate > 0 ? 1 : 0) else {
                throw ValidationError("need at least \(publishers + 1) credentials, \(credentials) has \(all.count)")
            }
            let legitCredentials = Array(all.prefix(publishers + max(0, reconnectors)))
            let total = baseline + floodDuration + after
            let registrations = RegistrationScenario(
                host: host, port: httpPort, productId: productId, productSecret: productSecret,
                runId: "flood" + String(UInt32.random(in: 0...UInt32.max), radix: 36), count: Int(registrationRate * total) + 100, verifyEvery: 10
            )
            let legitConfiguration = FloodLegitLoad.Configuration(
                host: host, mqttPort: mqttPort, httpPort: httpPort, credentials: legitCredentials, publishers: publishers,
                appId: appId, appSecret: appSecret, publishRate: publishRate, registrationRate: registrationRate,
                reconnectRate: reconnectRate, registrations: registrations, mqttPrefix: legitPrefix, reconnectPrefix: reconnectPrefix,
                registrationPrefix: registrationPrefix
            )
            // Wrong passwords for the legit devices' names and for names no device has.
            let names = all.map(\.deviceName) + (0..<all.count).map { "nodevice\($0)" }
            let requests = FloodPlan.requests(productId: productId, names: names, host: host, httpPort: httpPort, count: 4_096)
            let plan = FloodPlan(
                host: host, mqttPort: mqttPort, httpPort: httpPort, apiPort: apiPort,
                sources: BenchSockets.addresses(prefix: floodPrefix, count: floodSources),
                limits: [
                    .badConnect: .init(concurrency: connectConcurrency, count: connectCount),
                    .badRegistration: .init(concurrency: registrationConcurrency, count: registrationCount),
                    .slowloris: .init(concurrency: slowloris, count: slowlorisCount),
                    .oversize: .init(concurrency: oversizeConcurrency, count: oversizeCount),
                    .garbage: .init(concurrency: garbage, count: garbageCount),
                ],
                connects: requests.connects, registrations: requests.registrations, oversizeBytes: oversizeBytes,
                garbageBytes: garbageBytes, trickleInterval: .nanoseconds(Int64(trickle * 1e9)),
                rates: [.badConnect: connectRate, .badRegistration: registrationFloodRate].filter { $0.value > 0 }
            )

            // Three loops: the legit load, the flood, the /proc sampling.
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)
            let legitLoop = group.next()
            let floodLoop = group.next()
            let monitorLoop = group.next()
            let pid = serverPid
            let legit = try await legitLoop.submit { NIOLoopBound(FloodLegitLoad(loop: legitLoop, configuration: legitConfiguration), eventLoop: legitLoop) }.get()
            let attack = try await floodLoop.submit { NIOLoopBound(FloodAttack(loop: floodLoop, plan: plan), eventLoop: floodLoop) }.get()

            print("flood: connecting \(publishers) publishers and the subscriber")
            try await legitLoop.flatSubmit { legit.value.connect() }.get()
            let origin = LoadDriver.now()
            let monitor = try await monitorLoop.submit {
                let monitor = FloodMonitor(loop: monitorLoop, pid: pid, origin: origin)
                monitor.start(interval: .milliseconds(250))
                return NIOLoopBound(monitor, eventLoop: monitorLoop)
            }.get()
            try await legitLoop.submit { legit.value.run() }.get()
            print("flood: baseline, \(baseline) s of legit load (hub: \(Self.describe(pid)))")
            try await Task.sleep(nanoseconds: UInt64(baseline * 1e9))

            try await legitLoop.submit { legit.value.phase = 1 }.get()
            try await floodLoop.submit { attack.value.start() }.get()
            print("flood: flooding for \(floodDuration) s from \(plan.sources.count) source addresses (hub: \(Self.describe(pid)))")
            try await Task.sleep(nanoseconds: UInt64(floodDuration * 1e9))
            let attacks = try await floodLoop.flatSubmit { attack.value.stop() }.get()

            try await legitLoop.submit { legit.value.phase = 2 }.get()
            print("flood: flood stopped (hub: \(Self.describe(pid))); \(after) s of legit load alone")
            try await Task.sleep(nanoseconds: UInt64(after * 1e9))
            let phaseSeconds = [baseline, floodDuration, after]
            let phases = try await legitLoop.flatSubmit {
                legit.value.finish(drain: .nanoseconds(Int64(drain * 1e9)), phaseSeconds: phaseSeconds)
            }.get()
            let (samples, highWaterMark) = try await monitorLoop.submit { monitor.value.stop() }.get()
            try await group.shutdownGracefully()

            let summary = FloodSummary(
                baselineSeconds: baseline, floodSeconds: floodDuration, afterSeconds: after, phases: phases, attacks: attacks,
                samples: samples, highWaterMark: highWaterMark, floodSources: plan.sources.count, descriptorSlack: descriptorSlack
            )
            var result = BenchResult(setup: setup, scenario: "flood", connections: publishers + 1, merged: [])
            let flood = phases[1]
            result.requests = flood.published
            result.seconds = floodDuration
            result.perSecond = Double(flood.published) / floodDuration
            result.p50Millis = flood.publishAck.p50
            result.p99Millis = flood.publishAck.p99
            result.maxMillis = flood.publishAck.max
            result.failures = phases.reduce(into: [:]) { merged, phase in merged.merge(phase.failures, uniquingKeysWith: +) }
            result.endedBy = "duration"
            result.flood = summary
            if let results { try result.append(to: results) }
            print("")
            print(FloodTable.render(result))
        }

        private static func describe(_ pid: Int32) -> String {
            let descriptors = FloodMonitor.descriptors(pid: pid).map(String.init) ?? "?"
            let resident = ProcessResources.residentBytes(pid: pid).map { "\($0 >> 20) MiB" } ?? "?"
            return "\(descriptors) descriptors, VmRSS \(resident)"
        }
    }
}
