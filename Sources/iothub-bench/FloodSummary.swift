import Foundation

/// Everything one flood run measured: the legit load in each phase (baseline, flood, after), what the
/// flood's requests got back, and the hub's descriptors and memory over time. Stored in the `flood` field
/// of a `BenchResult` line, rendered by `FloodTable`.
struct FloodSummary: Codable, Sendable {
    /// Nearest-rank percentiles of one latency series, in milliseconds.
    struct Latency: Codable, Sendable {
        var count: Int
        var p50: Double
        var p99: Double
        var max: Double

        init(_ nanos: [UInt64]) {
            let sorted = nanos.sorted()
            count = sorted.count
            p50 = BenchResult.percentile(sorted, 0.50)
            p99 = BenchResult.percentile(sorted, 0.99)
            max = sorted.last.map { Double($0) / 1e6 } ?? 0
        }
    }

    /// The legit load in one phase. Samples belong to the phase in which their request was sent.
    struct Phase: Codable, Sendable {
        var name: String
        var seconds: Double
        /// QoS 1 publishes sent; publish → PUBACK at the device; publish → receipt at the application.
        var published: Int
        var publishAck: Latency
        var delivery: Latency
        /// Dynamic registrations (v2 auto-create, one new TCP connection each): connect → reply.
        var registration: Latency
        /// Device reconnects (new TCP connection, CONNECT → CONNACK 0, DISCONNECT): connect → CONNACK.
        var connect: Latency
        /// Legit failures by reason (a request with no answer by the end of the run included).
        var failures: [String: Int]

        var failureCount: Int { failures.values.reduce(0, +) }
    }

    /// One kind of flood request: how many were made and what they got back.
    struct Attack: Codable, Sendable {
        var kind: String
        var attempts: Int
        var outcomes: [String: Int]
        /// For sockets that are held open (slowloris, garbage): median seconds until the hub closed them.
        var medianHeldSeconds: Double?
    }

    /// One reading of the hub process.
    struct Sample: Codable, Sendable {
        /// Seconds since the start of the baseline.
        var at: Double
        var descriptors: Int?
        var resident: Int?
        /// CPU seconds so far (user + system): the hub's, this generator's, and the machine's busy and total
        /// jiffies (all cores, /proc/stat), from which each phase's share of the CPU follows.
        var hubCPU: Double?
        var generatorCPU: Double?
        var machineBusy: Double?
        var machineTotal: Double?
    }

    var baselineSeconds: Double
    var floodSeconds: Double
    var afterSeconds: Double
    var phases: [Phase]
    var attacks: [Attack]
    var samples: [Sample]
    /// The hub's VmHWM (peak resident set of the whole process life) at the end of the run, bytes.
    var highWaterMark: Int?
    /// Flood sockets were spread over this many source addresses; the legit load used others.
    var floodSources: Int
    /// How many descriptors above the baseline still count as "back to baseline" (the legit
    /// registrations' and reconnects' own short-lived sockets).
    var descriptorSlack: Int

    private func samples(in range: ClosedRange<Double>) -> [Sample] { samples.filter { range.contains($0.at) } }
    private var floodRange: ClosedRange<Double> { baselineSeconds...(baselineSeconds + floodSeconds) }
    private var afterStart: Double { baselineSeconds + floodSeconds }

    /// Median descriptor count during the baseline.
    var descriptorsBaseline: Int? { Self.median(samples(in: 0...baselineSeconds).compactMap(\.descriptors)) }
    var descriptorsPeakFlood: Int? { samples(in: floodRange).compactMap(\.descriptors).max() }
    var descriptorsEnd: Int? { samples.last?.descriptors }
    /// Seconds after the flood stopped until the descriptors were back within `descriptorSlack` of the
    /// baseline (and stayed there until the end); nil if they never were.
    var secondsBackToBaseline: Double? {
        guard let baseline = descriptorsBaseline else { return nil }
        let after = samples.filter { $0.at >= afterStart && $0.descriptors != nil }
        guard let last = after.last, last.descriptors! <= baseline + descriptorSlack else { return nil }
        var back = last.at
        for sample in after.reversed() {
            guard sample.descriptors! <= baseline + descriptorSlack else { break }
            back = sample.at
        }
        return back - afterStart
    }
    var residentBaseline: Int? { Self.median(samples(in: 0...baselineSeconds).compactMap(\.resident)) }
    var residentPeakFlood: Int? { samples(in: floodRange).compactMap(\.resident).max() }
    var residentEnd: Int? { samples.last?.resident }

    /// CPU used in a phase, as a percentage of one core: the hub, the generator (legit load and flood in one
    /// process) and the whole machine (of all its cores, 100 % = every core busy).
    struct CPUShare {
        var hub: Double?
        var generator: Double?
        var machine: Double?
    }

    func cpu(phase index: Int) -> CPUShare {
        let bounds = [0, baselineSeconds, afterStart, afterStart + afterSeconds]
        let inPhase = samples(in: bounds[index]...bounds[index + 1])
        guard let first = inPhase.first, let last = inPhase.last, last.at > first.at else { return CPUShare() }
        let seconds = last.at - first.at
        func rate(_ value: KeyPath<Sample, Double?>) -> Double? {
            guard let a = first[keyPath: value], let b = last[keyPath: value] else { return nil }
            return (b - a) / seconds * 100
        }
        var machine: Double?
        if let busy0 = first.machineBusy, let busy1 = last.machineBusy, let total0 = first.machineTotal, let total1 = last.machineTotal, total1 > total0 {
            machine = (busy1 - busy0) / (total1 - total0) * 100
        }
        return CPUShare(hub: rate(\.hubCPU), generator: rate(\.generatorCPU), machine: machine)
    }

    static func median(_ values: [Int]) -> Int? {
        guard !values.isEmpty else { return nil }
        return values.sorted()[values.count / 2]
    }
}
