import Logging
import PostgresNIO
public import Registry

/// What makes the PostgreSQL store one several hub processes share: exact creation by registration, and reads of the
/// current rows (``SharedRegistryStore``).
extension PostgresRegistryStore: SharedRegistryStore {
    public func createRegisteredDevice(_ device: Device, audit: RegistrationAttempt) async throws -> SharedRegistration {
        let logger = self.logger
        return try await withDeadline("registration") { try await self.client.withTransaction(logger: logger) { connection in
            // The product's row lock orders every creation in the product, from any node; under READ COMMITTED each
            // statement after it sees what the previous holder committed.
            var limit: Int?
            for try await value in try await connection.query(
                "SELECT register_limit FROM products WHERE id = \(device.productId) FOR UPDATE", logger: logger
            ).decode(Int.self) {
                limit = value
            }
            guard let limit else { return .productNotFound }
            let existing = try await Self.devices(
                connection, keys: [device.key], logger: logger
            )
            if let stored = existing.first { return .existing(stored) }
            var count = 0
            for try await value in try await connection.query(
                "SELECT COUNT(*) FROM devices WHERE product_id = \(device.productId) AND created_by_registration", logger: logger
            ).decode(Int.self) {
                count = value
            }
            guard count < limit else { return .limitReached(count: count, limit: limit) }
            for query in try PostgresRecords.queries(for: .upsertDevice(device), node: self.origin) + PostgresRecords.queries(for: .appendAudit(audit), node: self.origin) {
                try await connection.query(query, logger: logger)
            }
            try await self.notify([.upsertDevice(device)], on: connection)
            return .created
        } }
    }

    public func loadDevices(_ keys: [DeviceKey]) async throws -> [Device] {
        guard !keys.isEmpty else { return [] }
        let logger = self.logger
        return try await withDeadline("device read") {
            try await self.client.withConnection { connection in try await Self.devices(connection, keys: keys, logger: logger) }
        }
    }

    public func loadProducts(ids: [String]) async throws -> [Product] {
        guard !ids.isEmpty else { return [] }
        let logger = self.logger
        return try await withDeadline("product read") {
            var products: [Product] = []
            for try await row in try await self.client.query("SELECT * FROM products WHERE id = ANY(\(ids))", logger: logger) {
                products.append(try PostgresRecords.product(row.makeRandomAccess()))
            }
            return products
        }
    }

    /// The devices of `keys` with their tags, read on `connection` (inside a transaction when it has one).
    static func devices(_ connection: PostgresConnection, keys: [DeviceKey], logger: Logger) async throws -> [Device] {
        let productIds = keys.map(\.productId)
        let names = keys.map(\.name)
        var tags: [DeviceKey: [DeviceTag]] = [:]
        for try await row in try await connection.query(
            """
            SELECT t.* FROM device_tags t JOIN unnest(\(productIds)::text[], \(names)::text[]) AS k(product_id, name)
                ON t.product_id = k.product_id AND t.device_name = k.name ORDER BY t.product_id, t.device_name, t.position
            """,
            logger: logger
        ) {
            let (key, tag) = try PostgresRecords.tag(row.makeRandomAccess())
            tags[key, default: []].append(tag)
        }
        var devices: [Device] = []
        for try await row in try await connection.query(
            """
            SELECT d.* FROM devices d JOIN unnest(\(productIds)::text[], \(names)::text[]) AS k(product_id, name)
                ON d.product_id = k.product_id AND d.name = k.name
            """,
            logger: logger
        ) {
            var device = try PostgresRecords.device(row.makeRandomAccess())
            device.tags = tags[device.key] ?? []
            devices.append(device)
        }
        return devices
    }
}
