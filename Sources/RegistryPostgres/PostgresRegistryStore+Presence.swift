import Foundation
import Logging
import PostgresNIO

/// Presence across nodes: each store (one per hub process) is a node with a heartbeat row in `hub_nodes`; a device
/// is online where a node holds it (`devices.presence_node`). Every node sweeps: the rows of nodes whose heartbeat
/// is older than `deadAfter` are removed, and the devices they held are marked offline, with a change notification
/// each (origin `*`: every node reads them again), so a node's death takes its devices offline cluster-wide within
/// `deadAfter` plus one beat.
extension PostgresRegistryStore {
    static let heartbeatInterval: Duration = .seconds(2)
    static let deadAfterMillis: Int64 = 10_000
    /// How long a registration nonce is kept (the registry's replay window).
    static let nonceWindowMillis: Int64 = 24 * 3600 * 1000

    /// Beats and sweeps until cancelled (by `close`).
    func runPresence() async {
        while !Task.isCancelled {
            do {
                try await withDeadline("heartbeat") { try await self.beatAndSweep() }
            } catch {
                if Task.isCancelled { return }
                logger.warning("cluster heartbeat failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: Self.heartbeatInterval)
        }
    }

    func beatAndSweep() async throws {
        let now = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let cutoff = now - Self.deadAfterMillis
        let origin = self.origin
        let logger = self.logger
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO hub_nodes (id, heartbeat_ms, started_ms) VALUES (\(origin), \(now), \(now))
                ON CONFLICT (id) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms
                """,
                logger: logger
            )
            try await connection.query("DELETE FROM hub_nodes WHERE heartbeat_ms < \(cutoff)", logger: logger)
            // Nonces past the replay window (24 h) are no longer needed by any node.
            try await connection.query("DELETE FROM registration_nonces WHERE time_ms < \(now - Self.nonceWindowMillis)", logger: logger)
            let seconds = now / 1000
            var swept = 0
            for try await _ in try await connection.query(
                """
                WITH gone AS (
                    UPDATE devices SET online = false, presence_node = NULL, last_offline_time = \(seconds), updated_at = \(seconds)
                    WHERE presence_node IS NOT NULL AND presence_node NOT IN (SELECT id FROM hub_nodes)
                    RETURNING product_id, name)
                SELECT pg_notify(\(Self.changeChannel), '*' || chr(9) || 'd' || chr(9) || product_id || chr(9) || name) FROM gone
                """,
                logger: logger
            ) {
                swept += 1
            }
            if swept > 0 {
                logger.notice("devices of a stopped hub node marked offline", metadata: ["hub.devices": "\(swept)"])
            }
        }
    }

    /// Marks offline the devices this node id held online (its previous process was killed before its logouts were
    /// written), with a change notification each.
    func clearOwnPresence() async throws {
        let seconds = Int64((Date().timeIntervalSince1970).rounded(.down))
        let origin = self.origin
        var cleared = 0
        for try await _ in try await client.query(
            """
            WITH gone AS (
                UPDATE devices SET online = false, presence_node = NULL, last_offline_time = \(seconds), updated_at = \(seconds)
                WHERE presence_node = \(origin)
                RETURNING product_id, name)
            SELECT pg_notify(\(Self.changeChannel), '*' || chr(9) || 'd' || chr(9) || product_id || chr(9) || name) FROM gone
            """,
            logger: logger
        ) {
            cleared += 1
        }
        if cleared > 0 {
            logger.notice("devices this node held before its restart marked offline", metadata: ["hub.devices": "\(cleared)"])
        }
    }

    /// A node id is one process's: if this id beat within the last heartbeat interval and a half, its heartbeat is
    /// watched for as long again, and if it beats meanwhile another process runs with this id (a data directory
    /// copied with its `node-id`) and opening stops with ``PostgresStoreError/nodeIdInUse(_:)``. A restart after a
    /// crash waits at most that long.
    func refuseIfAnotherProcessBeatsAsThisNode() async throws {
        let origin = self.origin
        func lastBeat() async throws -> Int64? {
            try await withDeadline("heartbeat read") {
                var beat: Int64?
                for try await value in try await self.client.query("SELECT heartbeat_ms FROM hub_nodes WHERE id = \(origin)", logger: self.logger)
                    .decode(Int64.self)
                {
                    beat = value
                }
                return beat
            }
        }
        let window = Int64(Self.heartbeatInterval.components.seconds * 1000) * 3 / 2
        guard let first = try await lastBeat(), Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) - first < window else { return }
        logger.notice("this node id beat recently; checking that no other process uses it", metadata: ["hub.node": "\(origin)"])
        try await Task.sleep(for: .milliseconds(window))
        if let again = try await lastBeat(), again != first { throw PostgresStoreError.nodeIdInUse(origin) }
    }
}
