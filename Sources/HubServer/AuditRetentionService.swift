import Logging
import Registry
import ServiceLifecycle

/// Keeps the registration audit and the console's operator audit bounded: prunes both by age and row count at
/// start and every `pruneInterval`, and writes the counted rows of refused-registration floods once their
/// window ends (every second).
struct AuditRetentionService: Service {
    let registry: RegistryEngine
    var operators: (any OperatorStore)? = nil
    /// Milliseconds; nil = keep rows whatever their age.
    let maxAgeMillis: Int64?
    /// nil = no cap.
    let maxRows: Int?
    let logger: Logger
    var pruneInterval: Duration = .seconds(600)

    func run() async throws {
        await prune()
        try? await cancelWhenGracefulShutdown {
            var sinceLastPrune = Duration.zero
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                await registry.flushAuditAggregates()
                sinceLastPrune += .seconds(1)
                if sinceLastPrune >= pruneInterval {
                    sinceLastPrune = .zero
                    await prune()
                }
            }
        }
    }

    func prune() async {
        guard maxAgeMillis != nil || maxRows != nil else { return }
        do {
            let deleted = try await registry.pruneAudit(maxAgeMillis: maxAgeMillis, maxRows: maxRows)
            if deleted > 0 { logger.info("registration audit pruned", metadata: ["hub.rows": "\(deleted)"]) }
        } catch {
            logger.error("registration audit pruning failed", metadata: ["error": "\(error)"])
        }
        guard let operators else { return }
        do {
            let before = maxAgeMillis.map { RegistryEngine.systemMillis() - $0 }
            let deleted = try await operators.pruneOperatorAudit(before: before, keepNewest: maxRows)
            if deleted > 0 { logger.info("operator audit pruned", metadata: ["hub.rows": "\(deleted)"]) }
        } catch {
            logger.error("operator audit pruning failed", metadata: ["error": "\(error)"])
        }
    }
}
