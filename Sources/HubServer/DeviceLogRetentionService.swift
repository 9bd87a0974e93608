import Logging
import Registry
import ServiceLifecycle

/// Deletes uploaded device log entries older than the retention age, and the oldest of all devices beyond the
/// total byte budget, at start and every `pruneInterval` (the per-device limits are kept by every append).
struct DeviceLogRetentionService: Service {
    let store: any DeviceLogStore
    /// nil = keep entries whatever their age.
    let maxAgeMillis: Int64?
    /// Bytes of entries kept over all devices; nil = no total limit.
    var maxTotalBytes: Int64? = nil
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
        do {
            var deleted = 0
            if let maxAgeMillis { deleted += try await store.pruneDeviceLogs(before: RegistryEngine.systemMillis() - maxAgeMillis) }
            if let maxTotalBytes { deleted += try await store.pruneDeviceLogs(keepBytes: maxTotalBytes) }
            if deleted > 0 { logger.info("device logs pruned", metadata: ["hub.rows": "\(deleted)"]) }
        } catch {
            logger.error("device log pruning failed", metadata: ["error": "\(error)"])
        }
    }
}
