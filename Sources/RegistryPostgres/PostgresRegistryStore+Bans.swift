import PostgresNIO
public import Registry

/// Operator bans (`source_bans`, one row per address).
extension PostgresRegistryStore: SourceBanStore {
    public func loadBans() async throws -> [SourceBan] {
        var bans: [SourceBan] = []
        for try await row in try await client.query("SELECT * FROM source_bans ORDER BY address", logger: logger) {
            let row = row.makeRandomAccess()
            bans.append(
                SourceBan(
                    address: try row["address"].decode(String.self), until: try row["until_ms"].decode(Int64?.self),
                    created: try row["created_ms"].decode(Int64.self), reason: try row["reason"].decode(String.self),
                    automatic: try row["automatic"].decode(Bool.self)
                )
            )
        }
        return bans
    }

    public func saveBan(_ ban: SourceBan) async throws {
        try await client.query(
            """
            INSERT INTO source_bans (address, until_ms, created_ms, reason, automatic)
            VALUES (\(ban.address), \(ban.until), \(ban.created), \(ban.reason), \(ban.automatic))
            ON CONFLICT (address) DO UPDATE SET until_ms = excluded.until_ms, created_ms = excluded.created_ms,
                reason = excluded.reason, automatic = excluded.automatic
            """,
            logger: logger
        )
        try await notifyBansChanged()
    }

    public func deleteBan(address: String) async throws {
        try await client.query("DELETE FROM source_bans WHERE address = \(address)", logger: logger)
        try await notifyBansChanged()
    }

    /// Tells the other stores on the database that the bans changed (they read them again: `RegistryChange.sourceBans`).
    private func notifyBansChanged() async throws {
        try await client.query("SELECT pg_notify(\(Self.changeChannel), \(origin + "\tb\t*"))", logger: logger)
    }
}
