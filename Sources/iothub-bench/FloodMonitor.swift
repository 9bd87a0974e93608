import Foundation
import NIOCore

/// Samples the hub process every `interval` on its own event loop: open descriptors (`/proc/PID/fd`),
/// VmRSS and CPU time, with this process's CPU time and the machine's (`/proc/stat`); at the end, VmHWM
/// (the process's peak resident set). Linux only.
final class FloodMonitor {
    let loop: any EventLoop
    let pid: Int32
    private let origin: UInt64
    private var samples: [FloodSummary.Sample] = []
    private var task: RepeatedTask?

    init(loop: any EventLoop, pid: Int32, origin: UInt64) {
        self.loop = loop
        self.pid = pid
        self.origin = origin
    }

    func start(interval: TimeAmount) {
        loop.preconditionInEventLoop()
        let bound = NIOLoopBound(self, eventLoop: loop)
        task = loop.scheduleRepeatedTask(initialDelay: .zero, delay: interval) { _ in bound.value.sample() }
    }

    private func sample() {
        let machine = Self.machineJiffies()
        samples.append(FloodSummary.Sample(
            at: Double(LoadDriver.now() &- origin) / 1e9, descriptors: Self.descriptors(pid: pid), resident: ProcessResources.residentBytes(pid: pid),
            hubCPU: ProcessCPU.seconds(pid: pid), generatorCPU: ProcessCPU.ownSeconds(), machineBusy: machine?.busy, machineTotal: machine?.total
        ))
    }

    /// Takes a last sample, stops, and returns the samples and VmHWM.
    func stop() -> (samples: [FloodSummary.Sample], highWaterMark: Int?) {
        loop.preconditionInEventLoop()
        task?.cancel()
        sample()
        return (samples, Self.status(pid: pid, field: "VmHWM:"))
    }

    /// Busy and total jiffies of all cores (the `cpu` line of /proc/stat; idle and iowait are not busy).
    static func machineJiffies() -> (busy: Double, total: Double)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = text.split(separator: "\n").first,
            line.hasPrefix("cpu ")
        else { return nil }
        let values = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard values.count == 8 else { return nil }
        let total = values.reduce(0, +)
        return (total - values[3] - values[4], total)
    }

    /// Descriptors open in `pid`.
    static func descriptors(pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    /// A `kB` field of /proc/PID/status, in bytes.
    static func status(pid: Int32, field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kib = Int(fields[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }
}
