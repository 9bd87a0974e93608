import Logging
import Registry
import ServiceLifecycle

/// Deletes uploaded device log entries older than the retention age, at start and every `pruneInterval`
/// (the per-device count limit is kept by every append).
struct DeviceLogRetentionService: Service {
    let store: any DeviceLogStore
    /// nil = keep entries whatever their age (the service then only waits for shutdown).
    let maxAgeMillis: Int64?
    let logger: Logger
    var pruneInterval: Duration = .seconds(600)

    func run() async throws {
        // Runs until shutdown even with nothing to do: a service that returns ends the whole group.
        await prune()
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: pruneInterval)
                await prune()
            }
        }
    }

    func prune() async {
        guard let maxAgeMillis else { return }
        do {
            let deleted = try await store.pruneDeviceLogs(before: RegistryEngine.systemMillis() - maxAgeMillis)
            if deleted > 0 { logger.info("device logs pruned", metadata: ["hub.rows": "\(deleted)"]) }
        } catch {
            logger.error("device log pruning failed", metadata: ["error": "\(error)"])
        }
    }
}
