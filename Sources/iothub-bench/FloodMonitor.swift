import Foundation
import NIOCore

/// Samples the hub process every `interval` on its own event loop: open descriptors (`/proc/PID/fd`) and
/// VmRSS; at the end, VmHWM (the process's peak resident set). Linux only.
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
        samples.append(FloodSummary.Sample(
            at: Double(LoadDriver.now() &- origin) / 1e9, descriptors: Self.descriptors(pid: pid), resident: ProcessResources.residentBytes(pid: pid)
        ))
    }

    /// Takes a last sample, stops, and returns the samples and VmHWM.
    func stop() -> (samples: [FloodSummary.Sample], highWaterMark: Int?) {
        loop.preconditionInEventLoop()
        task?.cancel()
        sample()
        return (samples, Self.status(pid: pid, field: "VmHWM:"))
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
