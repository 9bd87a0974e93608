import Logging
import PostgresNIO
public import Registry

/// What makes the PostgreSQL store one several hub processes share: exact creation by registration, and reads of the
/// current rows (``SharedRegistryStore``).
extension PostgresRegistryStore: SharedRegistryStore {
    /// Creations that arrive while a transaction runs wait and are decided together in the next one (the product rows'
    /// locks are held until its commit, so one transaction per creation would allow one creation per commit).
    public func createRegisteredDevice(_ device: Device, audit: RegistrationAttempt) async throws -> SharedRegistration {
        // Bounded twice: each batch (so that one stuck transaction does not hold the ones behind it) and the wait of
        // this caller, queue included.
        try await withDeadline("registration") {
            try await self.registrations.submit(SharedCreation(device: device, audit: audit)) { batch in
                try await self.withDeadline("registration") { try await self.createRegisteredDevices(batch) }
            }
        }
    }

    /// Decides a batch of creations in one transaction, in their order: the products' rows are locked (`FOR UPDATE`,
    /// in id order, so concurrent batches never deadlock), then names and counts are read once; under READ COMMITTED
    /// each statement after the lock sees what the previous holder committed.
    func createRegisteredDevices(_ batch: [SharedCreation]) async throws -> [SharedRegistration] {
        let logger = self.logger
        let origin = self.origin
        return try await client.withTransaction(logger: logger) { connection in
            let productIds = Array(Set(batch.map(\.device.productId))).sorted()
            var limits: [String: Int] = [:]
            for try await (id, limit) in try await connection.query(
                "SELECT id, register_limit FROM products WHERE id = ANY(\(productIds)) ORDER BY id FOR UPDATE", logger: logger
            ).decode((String, Int).self) {
                limits[id] = limit
            }
            var stored: [DeviceKey: Device] = [:]
            for device in try await Self.devices(connection, keys: batch.map(\.device.key), logger: logger) { stored[device.key] = device }
            var counts: [String: Int] = [:]
            for try await (id, count) in try await connection.query(
                """
                SELECT product_id, COUNT(*) FROM devices WHERE product_id = ANY(\(productIds)) AND created_by_registration
                GROUP BY product_id
                """,
                logger: logger
            ).decode((String, Int).self) {
                counts[id] = count
            }
            var outcomes: [SharedRegistration] = []
            var created: [SharedCreation] = []
            for creation in batch {
                let device = creation.device
                guard let limit = limits[device.productId] else {
                    outcomes.append(.productNotFound)
                    continue
                }
                if let existing = stored[device.key] {
                    outcomes.append(.existing(existing))
                    continue
                }
                let count = counts[device.productId, default: 0]
                guard count < limit else {
                    outcomes.append(.limitReached(count: count, limit: limit))
                    continue
                }
                counts[device.productId] = count + 1
                stored[device.key] = device
                created.append(creation)
                outcomes.append(.created)
            }
            guard !created.isEmpty else { return outcomes }
            // One statement for the devices and one for their audit rows, whatever the batch's size.
            var inserted: Set<DeviceKey> = []
            for try await (productId, name) in try await connection.query(
                PostgresRecords.insertNewDevices(created.map(\.device), node: origin), logger: logger
            ).decode((String, String).self) {
                inserted.insert(DeviceKey(productId: productId, name: name))
            }
            if inserted.count < created.count {
                // A name created meanwhile outside registration (CreateDevice does not lock the product): that device
                // is the one its registrations get.
                let raced = created.map(\.device.key).filter { !inserted.contains($0) }
                var current: [DeviceKey: Device] = [:]
                for device in try await Self.devices(connection, keys: raced, logger: logger) { current[device.key] = device }
                for (index, creation) in batch.enumerated() where !inserted.contains(creation.device.key) {
                    guard case .created = outcomes[index] else { continue }
                    // Created and deleted again within this transaction's statements: decided again by the caller's retry.
                    guard let device = current[creation.device.key] else { throw PostgresStoreError.deviceChanged("\(creation.device.key)") }
                    outcomes[index] = .existing(device)
                }
                created.removeAll { !inserted.contains($0.device.key) }
            }
            for creation in created {
                for (position, tag) in creation.device.tags.enumerated() {
                    try await connection.query(PostgresRecords.insertTag(tag, at: position, of: creation.device), logger: logger)
                }
            }
            if !created.isEmpty {
                try await connection.query(PostgresRecords.insertAudits(created.map(\.audit)), logger: logger)
            }
            try await self.notify(created.flatMap { [RegistryMutation.upsertDevice($0.device), .appendAudit($0.audit)] }, on: connection)
            return outcomes
        }
    }

    /// Inserts the nonce, or takes over a row older than the window: a row comes back only then.
    public func claimNonce(_ key: String, at millis: Int64, windowMillis: Int64) async throws -> Bool {
        let logger = self.logger
        let expired = millis - windowMillis
        // As bytes: the key's fields are separated by NUL, which a text column refuses.
        let bytes = ByteBuffer(string: key)
        return try await withDeadline("nonce claim") {
            var claimed = false
            for try await _ in try await self.client.query(
                """
                INSERT INTO registration_nonces (key, time_ms) VALUES (\(bytes), \(millis))
                ON CONFLICT (key) DO UPDATE SET time_ms = excluded.time_ms WHERE registration_nonces.time_ms <= \(expired)
                RETURNING 1
                """,
                logger: logger
            ) {
                claimed = true
            }
            return claimed
        }
    }

    public func nextFirmwareTaskId() async throws -> Int64 {
        let logger = self.logger
        return try await withDeadline("task id") {
            for try await id in try await self.client.query("SELECT nextval('firmware_task_ids')", logger: logger).decode(Int64.self) {
                return id
            }
            throw PostgresStoreError.invalidValue(column: "firmware_task_ids")
        }
    }

    public func loadDevices(_ keys: [DeviceKey]) async throws -> [Device] {
        guard !keys.isEmpty else { return [] }
        let logger = self.logger
        return try await withDeadline("device read") { try await self.deviceReads.submit(keys) { batches in
            let all = Array(Set(batches.joined()))
            let devices = try await self.withDeadline("device read") {
                try await self.client.withConnection { connection in try await Self.devices(connection, keys: all, logger: logger) }
            }
            let byKey = Dictionary(devices.map { ($0.key, $0) }, uniquingKeysWith: { $1 })
            return batches.map { keys in keys.compactMap { byKey[$0] } }
        } }
    }

    public func loadProducts(ids: [String]) async throws -> [Product] {
        guard !ids.isEmpty else { return [] }
        let logger = self.logger
        return try await withDeadline("product read") { try await self.productReads.submit(ids) { batches in
            let all = Array(Set(batches.joined()))
            let products = try await self.withDeadline("product read") {
                var products: [Product] = []
                for try await row in try await self.client.query("SELECT * FROM products WHERE id = ANY(\(all))", logger: logger) {
                    products.append(try PostgresRecords.product(row.makeRandomAccess()))
                }
                return products
            }
            let byId = Dictionary(products.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
            return batches.map { ids in ids.compactMap { byId[$0] } }
        } }
    }

    /// The devices of `keys` with their tags, read on `connection` (inside a transaction when it has one). The tags
    /// are read only for the devices found (a registration's new name costs one query).
    static func devices(_ connection: PostgresConnection, keys: [DeviceKey], logger: Logger) async throws -> [Device] {
        var devices: [Device] = []
        for try await row in try await connection.query(
            """
            SELECT d.* FROM devices d JOIN unnest(\(keys.map(\.productId))::text[], \(keys.map(\.name))::text[]) AS k(product_id, name)
                ON d.product_id = k.product_id AND d.name = k.name
            """,
            logger: logger
        ) {
            devices.append(try PostgresRecords.device(row.makeRandomAccess()))
        }
        guard !devices.isEmpty else { return [] }
        var tags: [DeviceKey: [DeviceTag]] = [:]
        for try await row in try await connection.query(
            """
            SELECT t.* FROM device_tags t
                JOIN unnest(\(devices.map(\.productId))::text[], \(devices.map(\.name))::text[]) AS k(product_id, name)
                ON t.product_id = k.product_id AND t.device_name = k.name ORDER BY t.product_id, t.device_name, t.position
            """,
            logger: logger
        ) {
            let (key, tag) = try PostgresRecords.tag(row.makeRandomAccess())
            tags[key, default: []].append(tag)
        }
        for index in devices.indices { devices[index].tags = tags[devices[index].key] ?? [] }
        return devices
    }
}

/// A creation waiting for ``PostgresRegistryStore/createRegisteredDevice(_:audit:)``'s next transaction.
struct SharedCreation: Sendable {
    var device: Device
    var audit: RegistrationAttempt
}
