import Foundation
import HubHTTP
import Logging
import SQLiteNIO

/// The durable webhook backlog: `DATA/webhooks.sqlite`, one row per event, per product at most
/// `maxBacklog` (the oldest are dropped and counted beyond it). Survives restarts.
actor WebhookOutbox {
    struct Entry: Sendable {
        var id: Int
        var productId: String
        var body: String
    }

    let db: SQLiteConnection
    let maxBacklog: Int
    private(set) var pending: [String: Int] = [:]
    private(set) var dropped: [String: Int] = [:]
    private(set) var delivered: [String: Int] = [:]
    private(set) var failed: [String: Int] = [:]

    private init(db: SQLiteConnection, maxBacklog: Int) {
        self.db = db
        self.maxBacklog = maxBacklog
    }

    static func open(path: String, maxBacklog: Int = 10_000, logger: Logger) async throws -> WebhookOutbox {
        let db = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        _ = try await db.query("PRAGMA journal_mode=WAL", [])
        _ = try await db.query(
            "CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, product_id TEXT NOT NULL, body TEXT NOT NULL)", []
        )
        let outbox = WebhookOutbox(db: db, maxBacklog: maxBacklog)
        try await outbox.loadCounts()
        return outbox
    }

    private func loadCounts() async throws {
        for row in try await db.query("SELECT product_id, COUNT(*) AS n FROM outbox GROUP BY product_id", []) {
            if let product = row.column("product_id")?.string, let count = row.column("n")?.integer { pending[product] = count }
        }
    }

    func append(productId: String, body: String) async throws {
        try await append([(productId, body)])
    }

    /// Appends events (product id, body) in order, in one transaction.
    /// The pending counts change as rows are written (deliveries may interleave at the awaits); after a
    /// failed transaction they are read again from the file. Drops count only once committed.
    func append(_ events: [(String, String)]) async throws {
        _ = try await db.query("BEGIN IMMEDIATE", [])
        do {
            var droppedNow: [String: Int] = [:]
            for (productId, body) in events {
                if pending[productId, default: 0] >= maxBacklog {
                    _ = try await db.query(
                        "DELETE FROM outbox WHERE id = (SELECT MIN(id) FROM outbox WHERE product_id = ?)", [.text(productId)]
                    )
                    pending[productId, default: 0] -= 1
                    droppedNow[productId, default: 0] += 1
                }
                _ = try await db.query("INSERT INTO outbox (product_id, body) VALUES (?, ?)", [.text(productId), .text(body)])
                pending[productId, default: 0] += 1
            }
            _ = try await db.query("COMMIT", [])
            dropped.merge(droppedNow, uniquingKeysWith: +)
        } catch {
            _ = try? await db.query("ROLLBACK", [])
            pending = [:]
            try? await loadCounts()
            throw error
        }
    }

    /// The oldest pending events of each product, in order.
    func oldest(limit: Int) async throws -> [Entry] {
        try await db.query("SELECT id, product_id, body FROM outbox ORDER BY id LIMIT ?", [.integer(limit)]).compactMap { row in
            guard let id = row.column("id")?.integer, let product = row.column("product_id")?.string, let body = row.column("body")?.string else {
                return nil
            }
            return Entry(id: id, productId: product, body: body)
        }
    }

    func markDelivered(_ entry: Entry) async throws {
        _ = try await db.query("DELETE FROM outbox WHERE id = ?", [.integer(entry.id)])
        pending[entry.productId, default: 1] -= 1
        delivered[entry.productId, default: 0] += 1
    }

    /// A delivery attempt of the entry failed (it stays pending and is tried again).
    func markFailed(_ entry: Entry) {
        failed[entry.productId, default: 0] += 1
    }

    func counts(productId: String) -> WebhookCounts {
        WebhookCounts(
            pending: pending[productId, default: 0], dropped: dropped[productId, default: 0], delivered: delivered[productId, default: 0],
            failed: failed[productId, default: 0]
        )
    }

    func close() async {
        try? await db.close()
    }
}
