extension RegistryEngine {
    /// How floods of refused registrations are folded (see `AuditAggregator`): per source and reason, the
    /// first `individualRows` within `windowMillis` are rows of their own, the rest one counted row.
    /// A window of 0 writes every attempt as its own row.
    public func configureAuditAggregation(windowMillis: Int64, individualRows: Int) {
        auditAggregator.windowMillis = windowMillis
        auditAggregator.individualRows = individualRows
    }

    /// Writes the counted rows whose window has ended (called about once a second).
    public func flushAuditAggregates() {
        takeRefusals()
        enqueue(auditAggregator.expired(now: now()).map { .appendAudit($0) })
    }

    /// Audit retention: deletes rows older than `maxAgeMillis` (nil = keep) and the oldest beyond
    /// `maxRows` (nil = no cap). Returns the rows deleted.
    public func pruneAudit(maxAgeMillis: Int64?, maxRows: Int?) async throws -> Int {
        takeRefusals()
        return try await store.pruneAudit(before: maxAgeMillis.map { now() - $0 }, maxRows: maxRows)
    }
}
