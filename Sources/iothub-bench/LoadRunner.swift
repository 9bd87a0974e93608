import NIOCore
import NIOPosix

/// Runs a scenario with one `LoadDriver` per generator thread and merges what they measured.
enum LoadRunner {
    static func run(_ scenario: any Scenario, load: LoadOptions, limits: LoadLimits) async throws -> BenchResult {
        let threads = load.threads
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let serverCPU = load.serverPid.flatMap(ProcessCPU.seconds(pid:))
        let ownCPU = ProcessCPU.ownSeconds()
        do {
            let host = load.host
            let port = load.port
            let results = try await withThrowingTaskGroup(of: DriverResult.self) { tasks in
                for thread in 0..<threads {
                    let loop = group.next()
                    let share = LoadLimits(
                        connections: split(limits.connections, thread, threads),
                        warmup: split(limits.warmup, thread, threads),
                        count: split(limits.count, thread, threads),
                        duration: limits.duration,
                        drainTimeout: limits.drainTimeout
                    )
                    tasks.addTask {
                        try await loop.flatSubmit {
                            LoadDriver(loop: loop, scenario: scenario, limits: share, offset: thread, stride: threads)
                                .run(host: host, port: port)
                        }.get()
                    }
                }
                var results: [DriverResult] = []
                for try await result in tasks { results.append(result) }
                return results
            }
            let serverCPUAfter = load.serverPid.flatMap(ProcessCPU.seconds(pid:))
            let ownCPUAfter = ProcessCPU.ownSeconds()
            try await group.shutdownGracefully()
            var result = BenchResult(setup: load.setup, scenario: scenario.name, connections: limits.connections, merged: results)
            let sent = Double(max(results.reduce(0) { $0 + $1.totalRequests }, 1))
            if let before = serverCPU, let after = serverCPUAfter { result.serverCPUMicros = (after - before) / sent * 1e6 }
            if let before = ownCPU, let after = ownCPUAfter { result.generatorCPUMicros = (after - before) / sent * 1e6 }
            return result
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Share `index` of `total` split into `parts` near-equal parts.
    private static func split(_ total: Int, _ index: Int, _ parts: Int) -> Int {
        total / parts + (index < total % parts ? 1 : 0)
    }
}
