import Logging
import SQLiteNIO

/// One version of the schema: statements, or a program for what statements cannot do.
enum SQLiteMigrationStep: Sendable {
    case sql([String])
    case program(@Sendable (SQLiteConnection, Logger) async throws -> Void)

    /// The statements of a `.sql` step (none for a program).
    var statements: [String] {
        if case .sql(let statements) = self { return statements }
        return []
    }
}

/// Versioned schema. Each step runs once, in order, inside a transaction. Steps that must compute what SQL
/// cannot call the SQL functions of `SQLiteMigrations+Functions` (installed while migrating) or are programs.
enum SQLiteMigrations {
    static let steps: [SQLiteMigrationStep] = [
        // 1: products, devices, registration audit.
        .sql([
            "CREATE TABLE products (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, data TEXT NOT NULL)",
            """
            CREATE TABLE devices (product_id TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL,
                PRIMARY KEY (product_id, name))
            """,
            """
            CREATE TABLE registration_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,
                product_id TEXT NOT NULL, device_name TEXT NOT NULL, source TEXT NOT NULL, endpoint TEXT NOT NULL,
                accepted INTEGER NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL, nonce TEXT NOT NULL,
                timestamp TEXT NOT NULL)
            """,
            "CREATE INDEX registration_audit_product ON registration_audit (product_id, device_name)",
            "CREATE INDEX registration_audit_time ON registration_audit (time_ms)",
        ]),
        // 2: business applications (MQTT application access).
        .sql([
            "CREATE TABLE applications (id TEXT PRIMARY KEY, data TEXT NOT NULL)"
        ]),
        // 3: OTA: firmware metadata, update tasks and their per-device entries.
        .sql([
            "CREATE TABLE firmwares (product_id TEXT NOT NULL, version TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (product_id, version))",
            "CREATE TABLE firmware_tasks (id INTEGER PRIMARY KEY, product_id TEXT NOT NULL, version TEXT NOT NULL, data TEXT NOT NULL)",
            """
            CREATE TABLE firmware_task_devices (task_id INTEGER NOT NULL, device_name TEXT NOT NULL, data TEXT NOT NULL,
                PRIMARY KEY (task_id, device_name))
            """,
        ]),
        // 4: AppSecrets kept as salted hashes: every stored clear secret is replaced by its hash (rows already
        // hashed are returned unchanged by the function).
        .sql([
            "UPDATE applications SET data = \(SQLiteMigrations.hashApplicationSecretFunction)(data)"
        ]),
        // 5: source addresses banned by the operator (automatic bans stay in memory).
        .sql([
            "CREATE TABLE source_bans (address TEXT PRIMARY KEY, data TEXT NOT NULL)"
        ]),
        // 6: refused registrations of one source counted into one audit row during a flood.
        .sql([
            "ALTER TABLE registration_audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1"
        ]),
        // 7: device log uploads (device-protocol §7.5), per device newest first, bounded by count and age.
        .sql([
            """
            CREATE TABLE device_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, product_id TEXT NOT NULL, device_name TEXT NOT NULL,
                time_ms INTEGER NOT NULL, level TEXT NOT NULL, date_time TEXT NOT NULL, content TEXT NOT NULL)
            """,
            "CREATE INDEX device_logs_device ON device_logs (product_id, device_name, id)",
            "CREATE INDEX device_logs_time ON device_logs (time_ms)",
        ]),
        // 8: resource management (device-protocol §6.12): product resources with their push tasks and per-device
        // entries, and the files devices upload.
        .sql([
            """
            CREATE TABLE product_resources (product_id TEXT NOT NULL, name TEXT NOT NULL, md5 TEXT NOT NULL, size INTEGER NOT NULL,
                description TEXT NOT NULL, file_token TEXT NOT NULL, created_ms INTEGER NOT NULL, PRIMARY KEY (product_id, name))
            """,
            """
            CREATE TABLE resource_tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, product_id TEXT NOT NULL, name TEXT NOT NULL,
                created_ms INTEGER NOT NULL)
            """,
            "CREATE INDEX product_resources_file ON product_resources (file_token)",
            "CREATE INDEX resource_tasks_resource ON resource_tasks (product_id, name, id)",
            """
            CREATE TABLE resource_pushes (product_id TEXT NOT NULL, device_name TEXT NOT NULL, name TEXT NOT NULL, task_id INTEGER NOT NULL,
                status INTEGER NOT NULL, percent INTEGER NOT NULL, result_code INTEGER NOT NULL, result_msg TEXT NOT NULL,
                updated_ms INTEGER NOT NULL, PRIMARY KEY (product_id, device_name, name))
            """,
            "CREATE INDEX resource_pushes_task ON resource_pushes (product_id, name, task_id)",
            """
            CREATE TABLE device_resources (product_id TEXT NOT NULL, device_name TEXT NOT NULL, name TEXT NOT NULL, md5 TEXT NOT NULL,
                size INTEGER NOT NULL, status INTEGER NOT NULL, percent INTEGER NOT NULL, file_token TEXT, upload_error TEXT,
                updated_ms INTEGER NOT NULL, PRIMARY KEY (product_id, device_name, name))
            """,
            "CREATE INDEX device_resources_time ON device_resources (updated_ms)",
        ]),
        // 9: web console operators (bcrypt password hashes) and the operator audit trail (who changed what).
        .sql([
            "CREATE TABLE console_operators (name TEXT PRIMARY KEY, data TEXT NOT NULL)",
            """
            CREATE TABLE operator_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL, operator TEXT NOT NULL,
                action TEXT NOT NULL, target TEXT NOT NULL, result TEXT NOT NULL, detail TEXT NOT NULL, source TEXT NOT NULL)
            """,
        ]),
        // 10: every record as columns (the documents of steps 1-9 read once and written field by field).
        .program(SQLiteColumnsMigration.run),
    ]

    static func migrate(_ db: SQLiteConnection, logger: Logger) async throws {
        try await db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        let rows = try await db.query("SELECT MAX(version) AS v FROM schema_version", [])
        let current = rows.first?.column("v")?.integer ?? 0
        // A file a newer hub migrated is not read with this one's columns: it is refused before anything is written.
        guard current <= steps.count else { throw SQLiteStoreError.newerSchema(found: current, known: steps.count) }
        guard current < steps.count else { return }
        // Installed on this connection for good (harmless: nothing else calls them).
        for function in makeFunctions() { try await db.install(customFunction: function) }
        // Secrets rewritten by a step leave no copy in freed space (zeroed), nor in the WAL (checkpointed below).
        try await db.exec("PRAGMA secure_delete=ON")
        var rewrote = false
        for (index, step) in steps.enumerated() where index + 1 > current {
            if case .program = step, current > 0 { rewrote = true }
            try await db.exec("BEGIN IMMEDIATE")
            do {
                switch step {
                case .sql(let statements): for sql in statements { try await db.exec(sql) }
                case .program(let program): try await program(db, logger)
                }
                _ = try await db.query("INSERT INTO schema_version (version) VALUES (?)", [.integer(index + 1)])
                try await db.exec("COMMIT")
            } catch {
                try? await db.exec("ROLLBACK")
                throw error
            }
            logger.info("registry schema migrated", metadata: ["hub.schema_version": "\(index + 1)"])
        }
        if rewrote {
            // A program step rewrote existing tables (the documents into columns): their old pages are free space
            // (zeroed) that VACUUM gives back, once (it halved a registry of 105,000 devices).
            try await db.exec("VACUUM")
        }
        try await db.exec("PRAGMA secure_delete=OFF")
        _ = try await db.query("PRAGMA wal_checkpoint(TRUNCATE)", [])
    }
}
