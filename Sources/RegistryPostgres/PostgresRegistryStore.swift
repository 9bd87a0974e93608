import Foundation
import Synchronization
public import Logging
public import PostgresNIO
public import Registry

/// The registry's store on PostgreSQL: the shared registry of a cluster of hubs (issue 16).
///
/// Every record is a row with a column per field (see ``PostgresMigrations``). A `PostgresClient` (a connection
/// pool) carries the queries; the store runs it in a task of its own from `open` until `close`. `apply` is one
/// transaction; the schema is migrated when the store opens.
public final class PostgresRegistryStore: RegistryStore {
    let client: PostgresClient
    let logger: Logger
    /// How long an operation may wait for the server.
    let timeout: Duration
    /// Tells this store's own change notifications from other processes' (PostgresRegistryStore+Changes).
    let origin: String
    /// This node's id in the shared database (its `hub_nodes` heartbeat row; what other stores of the node, such as
    /// the broker's, key their rows by).
    public var node: String { origin }
    /// Creations by registration, decided a batch per transaction (PostgresRegistryStore+Shared).
    let registrations = RequestBatcher<SharedCreation, SharedRegistration>(maxBatch: 256)
    /// Reads of devices and of products by key (every registration and batch of logins reads first): those that
    /// arrive while one runs are read together, in one query.
    let deviceReads = RequestBatcher<[DeviceKey], [Device]>(maxBatch: 256)
    let productReads = RequestBatcher<[String], [Product]>(maxBatch: 256)
    /// The listening tasks of `changes()`, cancelled by `close`.
    let changeFeeds = Mutex<[Task<Void, Never>]>([])
    private let runTask: Task<Void, Never>

    private init(client: PostgresClient, runTask: Task<Void, Never>, node: String, timeout: Duration, logger: Logger) {
        self.origin = node
        self.client = client
        self.timeout = timeout
        self.runTask = runTask
        self.logger = logger
    }

    /// Connects (the pool opens connections as they are needed) and migrates the schema. `timeout` bounds each
    /// operation that waits for the server (the pool waits for a connection without end while the server is down):
    /// beyond it the operation fails with ``PostgresStoreError/timedOut(_:)``, and the store stays usable.
    ///
    /// `node`: this process's id among the nodes (a fresh one when nil); a hub keeps its id in its data directory, so
    /// that after a restart it takes up its own rows (the broker's sessions) at once. Devices the id held online
    /// before (a process killed) are marked offline first: a starting node holds no connection.
    public static func open(
        configuration: PostgresClient.Configuration, node: String? = nil, timeout: Duration = .seconds(10), logger: Logger
    ) async throws -> PostgresRegistryStore {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runTask = Task { await client.run() }
        let store = PostgresRegistryStore(client: client, runTask: runTask, node: node ?? UUID().uuidString, timeout: timeout, logger: logger)
        do {
            _ = try await store.withDeadline("schema migration") { try await PostgresMigrations.migrate(client, logger: logger) }
            if node != nil {
                try await store.refuseIfAnotherProcessBeatsAsThisNode()
                try await store.withDeadline("presence") { try await store.clearOwnPresence() }
            }
            // This node's first heartbeat before anything it writes can mark a device as held by it.
            try await store.withDeadline("heartbeat") { try await store.beatAndSweep() }
            let presence = Task { await store.runPresence() }
            store.changeFeeds.withLock { $0.append(presence) }
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    /// A connection URL `postgres://USER:PASSWORD@HOST:PORT/DATABASE` as a client configuration (plaintext:
    /// TLS is not configurable here yet).
    public static func configuration(url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty,
            let user = components.user, !user.isEmpty
        else { throw PostgresStoreError.invalidURL }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? nil : database, tls: .disable
        )
    }

    /// The URL with its password replaced by `***`, for logs and errors.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://***"
    }

    /// The versions the schema migration applied now (none when current): what a repeated migration must leave alone.
    public func migrate() async throws -> [Int] {
        try await PostgresMigrations.migrate(client, logger: logger)
    }

    /// The schema version the database is at.
    public func schemaVersion() async throws -> Int {
        var version = 0
        for try await value in try await client.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", logger: logger).decode(Int.self) {
            version = value
        }
        return version
    }

    public func load(auditSince: Int64) async throws -> RegistrySnapshot {
        var snapshot = RegistrySnapshot()
        for try await row in try await client.query("SELECT * FROM products ORDER BY id", logger: logger) {
            snapshot.products.append(try PostgresRecords.product(row.makeRandomAccess()))
        }
        var tags: [DeviceKey: [DeviceTag]] = [:]
        for try await row in try await client.query("SELECT * FROM device_tags ORDER BY product_id, device_name, position", logger: logger) {
            let (key, tag) = try PostgresRecords.tag(row.makeRandomAccess())
            tags[key, default: []].append(tag)
        }
        for try await row in try await client.query("SELECT * FROM devices ORDER BY product_id, name", logger: logger) {
            var device = try PostgresRecords.device(row.makeRandomAccess())
            device.tags = tags[device.key] ?? []
            snapshot.devices.append(device)
        }
        let small = try await loadApplicationsAndOTA()
        snapshot.applications = small.applications
        snapshot.firmwares = small.firmwares
        snapshot.firmwareTasks = small.firmwareTasks
        snapshot.firmwareTaskDevices = small.firmwareTaskDevices
        let recent = try await client.query(
            "SELECT * FROM registration_audit WHERE time_ms >= \(auditSince) AND nonce <> '' ORDER BY id",
            logger: logger
        )
        for try await row in recent {
            snapshot.recentAttempts.append(try PostgresRecords.attempt(row.makeRandomAccess()))
        }
        return snapshot
    }

    public func loadApplicationsAndOTA() async throws -> RegistrySnapshot {
        var snapshot = RegistrySnapshot()
        for try await row in try await client.query("SELECT * FROM applications ORDER BY id", logger: logger) {
            snapshot.applications.append(try PostgresRecords.application(row.makeRandomAccess()))
        }
        for try await row in try await client.query("SELECT * FROM firmwares ORDER BY product_id, version", logger: logger) {
            snapshot.firmwares.append(try PostgresRecords.firmware(row.makeRandomAccess()))
        }
        for try await row in try await client.query("SELECT * FROM firmware_tasks ORDER BY id", logger: logger) {
            snapshot.firmwareTasks.append(try PostgresRecords.firmwareTask(row.makeRandomAccess()))
        }
        for try await row in try await client.query("SELECT * FROM firmware_task_devices ORDER BY task_id, seq", logger: logger) {
            snapshot.firmwareTaskDevices.append(try PostgresRecords.firmwareTaskDevice(row.makeRandomAccess()))
        }
        return snapshot
    }

    public func apply(_ mutations: [RegistryMutation]) async throws {
        guard !mutations.isEmpty else { return }
        let logger = self.logger
        try await withDeadline("write") { try await self.client.withTransaction(logger: logger) { connection in
            for query in try PostgresRecords.queries(for: mutations, node: self.origin) {
                try await connection.query(query, logger: logger)
            }
            try await self.notify(mutations, on: connection)
        } }
    }

    public func queryAudit(_ query: AuditQuery) async throws -> (total: Int, attempts: [RegistrationAttempt]) {
        var clauses: [String] = []
        var binds = PostgresBindings()
        func bind(_ clause: String, _ value: some PostgresDynamicTypeEncodable) {
            binds.append(value)
            clauses.append(clause.replacingOccurrences(of: "?", with: "$\(binds.count)"))
        }
        if let productId = query.productId { bind("product_id = ?", productId) }
        if let deviceName = query.deviceName { bind("device_name = ?", deviceName) }
        if let accepted = query.accepted { bind("accepted = ?", accepted) }
        if let reason = query.reason { bind("reason = ?", reason) }
        if let since = query.since { bind("time_ms >= ?", since) }
        if let until = query.until { bind("time_ms < ?", until) }
        let whereSQL = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        var total = 0
        for try await count in try await client.query(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM registration_audit" + whereSQL, binds: binds), logger: logger)
            .decode(Int.self)
        {
            total = count
        }
        var pageBinds = binds
        pageBinds.append(max(query.limit, 0))
        pageBinds.append(max(query.offset, 0))
        let page = PostgresQuery(
            unsafeSQL: "SELECT * FROM registration_audit" + whereSQL + " ORDER BY id DESC LIMIT $\(binds.count + 1) OFFSET $\(binds.count + 2)",
            binds: pageBinds
        )
        var attempts: [RegistrationAttempt] = []
        for try await row in try await client.query(page, logger: logger) {
            attempts.append(try PostgresRecords.attempt(row.makeRandomAccess()))
        }
        return (total, attempts)
    }

    public func pruneAudit(before: Int64?, maxRows: Int?) async throws -> Int {
        var deleted = 0
        if let before {
            deleted += try await count(
                "WITH gone AS (DELETE FROM registration_audit WHERE time_ms < \(before) RETURNING 1) SELECT COUNT(*) FROM gone"
            )
        }
        if let maxRows {
            deleted += try await count(
                """
                WITH gone AS (DELETE FROM registration_audit WHERE id <= (SELECT id FROM registration_audit ORDER BY id DESC \
                LIMIT 1 OFFSET \(max(maxRows, 0))) RETURNING 1) SELECT COUNT(*) FROM gone
                """
            )
        }
        return deleted
    }

    /// Stops the connection pool. The store is unusable afterwards.
    public func close() async throws {
        for feed in changeFeeds.withLock({ $0 }) {
            feed.cancel()
            await feed.value
        }
        runTask.cancel()
        await runTask.value
    }

    /// Runs `body`, failing with ``PostgresStoreError/timedOut(_:)`` (and cancelling it) when it takes longer than
    /// the store's timeout.
    func withDeadline<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        // The caller is answered at the deadline even if the operation does not notice its cancellation (a wait for
        // a pooled connection to an unreachable server): the operation is cancelled and left to end on its own.
        let timeout = self.timeout
        let race = DeadlineRace<T>()
        return try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            let work = Task {
                do { race.finish(.success(try await body())) } catch { race.finish(.failure(error)) }
            }
            let timer = Task {
                try await Task.sleep(for: timeout)
                if race.finish(.failure(PostgresStoreError.timedOut(what))) { work.cancel() }
            }
            race.onFinish { timer.cancel() }
        }
    }

    /// Runs a query whose one row holds one count.
    func count(_ query: PostgresQuery) async throws -> Int {
        var result = 0
        for try await value in try await client.query(query, logger: logger).decode(Int.self) { result = value }
        return result
    }
}

public enum PostgresStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection URL is not `postgres://USER[:PASSWORD]@HOST[:PORT][/DATABASE]`.
    case invalidURL
    /// A stored value is not one the model knows (the named column).
    case invalidValue(column: String)
    /// The server did not answer within the store's timeout (it is down or unreachable): the named operation.
    case timedOut(String)
    /// Another running process beats with this node's id (a data directory copied with its `node-id`).
    case nodeIdInUse(String)
    /// A device changed under a registration deciding it (created and deleted by other statements meanwhile): the
    /// registration is not decided, and the device asks again.
    case deviceChanged(String)

    public var description: String {
        switch self {
        case .invalidURL: "the database URL is not postgres://USER[:PASSWORD]@HOST[:PORT][/DATABASE]"
        case .invalidValue(let column): "a stored value in column \(column) is not one this hub knows"
        case .timedOut(let operation): "PostgreSQL did not answer within the store's timeout (\(operation))"
        case .nodeIdInUse(let id):
            "another running node uses node id \(id) (nodeIdInUse): is DATA/node-id copied from another node's data directory? Remove it from this one"
        case .deviceChanged(let key): "device \(key) changed while a registration decided it"
        }
    }
}

/// The first of an operation and its deadline to finish answers the caller; the other is ignored.
final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var done = false
        var onFinish: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Runs `action` once the race is decided (at once if it is).
    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.done { return true }
            state.onFinish = action
            return false
        }
        if now { action() }
    }

    /// True for the first call, which answers the caller.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (continuation, action) = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
            guard !state.done else { return (nil, nil) }
            state.done = true
            defer { state.continuation = nil; state.onFinish = nil }
            return (state.continuation, state.onFinish)
        }
        guard let continuation else { return false }
        continuation.resume(with: result)
        action?()
        return true
    }
}
