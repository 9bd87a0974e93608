import Logging
import PostgresNIO

/// Versioned schema of the PostgreSQL registry. Steps are numbered from 1 and never change once released; a new
/// schema is a new step. `migrate` applies the missing ones in one transaction under an advisory lock, so nodes of
/// a cluster that start at once wait for each other and the schema is created once.
///
/// Records are columns, one per field (a device's credential is four nullable columns, its tags a table of their
/// own), so SQL can read and change them and nothing depends on a JSON encoding of the model types.
enum PostgresMigrations {
    /// The key of the transaction-level advisory lock taken while migrating (any constant unique to the hub).
    static let lockKey: Int64 = 0x696F_7468_7562_0001

    static let steps: [[String]] = [
        // 1: products, devices (with their tags), registration audit, applications, OTA.
        [
            """
            CREATE TABLE products (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL, encryption_type TEXT NOT NULL,
                register_type BIGINT NOT NULL, register_limit BIGINT NOT NULL, product_secret TEXT NOT NULL,
                forbidden BOOLEAN NOT NULL, created_at BIGINT NOT NULL, product_type BIGINT NOT NULL, format TEXT NOT NULL,
                replay_protection BOOLEAN NOT NULL, webhook_url TEXT, remote_config TEXT)
            """,
            """
            CREATE TABLE devices (
                product_id TEXT NOT NULL, name TEXT NOT NULL,
                psk TEXT, certificate_pem TEXT, private_key_pem TEXT, certificate_serial TEXT,
                enabled BOOLEAN NOT NULL, created_by_registration BOOLEAN NOT NULL, created_at BIGINT NOT NULL,
                credential_fetched BOOLEAN NOT NULL, client_key_fetched BOOLEAN NOT NULL, first_online_time BIGINT,
                login_time BIGINT NOT NULL, last_offline_time BIGINT, online BOOLEAN NOT NULL, client_ip TEXT,
                firmware_version TEXT NOT NULL, log_level BIGINT NOT NULL, updated_at BIGINT NOT NULL, shadow TEXT,
                gateway_product_id TEXT, gateway_name TEXT, bound_at BIGINT, attached BOOLEAN,
                PRIMARY KEY (product_id, name),
                -- Exactly one credential: a PSK, or a certificate (whose private key may be erased).
                CHECK ((psk IS NOT NULL AND certificate_pem IS NULL AND certificate_serial IS NULL AND private_key_pem IS NULL)
                    OR (psk IS NULL AND certificate_pem IS NOT NULL AND certificate_serial IS NOT NULL)),
                CHECK ((gateway_product_id IS NULL) = (gateway_name IS NULL) AND (gateway_name IS NULL) = (bound_at IS NULL)
                    AND (bound_at IS NULL) = (attached IS NULL)))
            """,
            """
            CREATE TABLE device_tags (
                product_id TEXT NOT NULL, device_name TEXT NOT NULL, position BIGINT NOT NULL,
                tag TEXT NOT NULL, type BIGINT NOT NULL, value TEXT NOT NULL, tag_name TEXT,
                PRIMARY KEY (product_id, device_name, position),
                FOREIGN KEY (product_id, device_name) REFERENCES devices (product_id, name) ON DELETE CASCADE)
            """,
            """
            CREATE TABLE registration_audit (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, time_ms BIGINT NOT NULL, product_id TEXT NOT NULL,
                device_name TEXT NOT NULL, source TEXT NOT NULL, endpoint TEXT NOT NULL, accepted BOOLEAN NOT NULL,
                reason TEXT NOT NULL, detail TEXT NOT NULL, nonce TEXT NOT NULL, timestamp TEXT NOT NULL,
                count BIGINT NOT NULL DEFAULT 1)
            """,
            "CREATE INDEX registration_audit_product ON registration_audit (product_id, device_name)",
            "CREATE INDEX registration_audit_time ON registration_audit (time_ms)",
            """
            CREATE TABLE applications (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_salt BYTEA NOT NULL, secret_hash BYTEA NOT NULL,
                product_ids TEXT[] NOT NULL, created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE firmwares (
                product_id TEXT NOT NULL, version TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
                user_defined TEXT NOT NULL, fw_type TEXT NOT NULL, md5 TEXT NOT NULL, size BIGINT NOT NULL,
                created_at BIGINT NOT NULL, file_token TEXT NOT NULL, PRIMARY KEY (product_id, version))
            """,
            """
            CREATE TABLE firmware_tasks (
                id BIGINT PRIMARY KEY, product_id TEXT NOT NULL, version TEXT NOT NULL, mode TEXT NOT NULL,
                original_version TEXT NOT NULL, timeout_interval BIGINT NOT NULL, upgrade_method BIGINT NOT NULL,
                type BIGINT NOT NULL, created_at BIGINT NOT NULL, cancelled BOOLEAN NOT NULL,
                command_file_size BIGINT NOT NULL, command_md5 TEXT NOT NULL, command_url TEXT NOT NULL,
                command_version TEXT NOT NULL)
            """,
            """
            CREATE TABLE firmware_task_devices (
                task_id BIGINT NOT NULL, device_name TEXT NOT NULL,
                -- First-insert order of the entries (kept by upserts), the order they load in.
                seq BIGINT GENERATED ALWAYS AS IDENTITY,
                product_id TEXT NOT NULL, dst_version TEXT NOT NULL, ori_version TEXT NOT NULL, status BIGINT NOT NULL,
                percent BIGINT NOT NULL, retcode BIGINT NOT NULL, err_msg TEXT NOT NULL, last_process_ms BIGINT NOT NULL,
                PRIMARY KEY (task_id, device_name))
            """,
        ],
        // 2: web console operators (bcrypt password hashes), the operator audit trail, the operator's source bans.
        [
            """
            CREATE TABLE console_operators (
                name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, created_ms BIGINT NOT NULL,
                password_changed_ms BIGINT NOT NULL)
            """,
            """
            CREATE TABLE operator_audit (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, time_ms BIGINT NOT NULL, operator TEXT NOT NULL,
                action TEXT NOT NULL, target TEXT NOT NULL, result TEXT NOT NULL, detail TEXT NOT NULL, source TEXT NOT NULL)
            """,
            "CREATE INDEX operator_audit_time ON operator_audit (time_ms)",
            """
            CREATE TABLE source_bans (
                address TEXT PRIMARY KEY, until_ms BIGINT, created_ms BIGINT NOT NULL, reason TEXT NOT NULL,
                automatic BOOLEAN NOT NULL)
            """,
        ],
        // 3: the count of a product's devices created by registration, taken under the product's lock at each
        // creation (PostgresRegistryStore+Shared), reads this index instead of the product's devices.
        [
            "CREATE INDEX devices_created_by_registration ON devices (product_id) WHERE created_by_registration",
        ],
        // 4: presence across nodes. A device's `online` is set by the node that holds its connection
        // (`presence_node`), which alone may clear it; the nodes alive (`hub_nodes`, a heartbeat each) clear the
        // presence of those that stopped beating (PostgresRegistryStore+Presence).
        [
            "ALTER TABLE devices ADD COLUMN presence_node TEXT",
            "CREATE INDEX devices_presence_node ON devices (presence_node) WHERE presence_node IS NOT NULL",
            "CREATE TABLE hub_nodes (id TEXT PRIMARY KEY, heartbeat_ms BIGINT NOT NULL, started_ms BIGINT NOT NULL)",
        ],
        // 5: the nonces of signed registrations to products with replay protection, claimed by whichever node a
        // request reaches (PostgresRegistryStore+Shared.claimNonce; the key as bytes: it holds NUL separators); rows older than the window are purged.
        [
            "CREATE TABLE registration_nonces (key BYTEA PRIMARY KEY, time_ms BIGINT NOT NULL)",
            "CREATE INDEX registration_nonces_time ON registration_nonces (time_ms)",
        ],
        // 6: firmware task ids from one sequence, so that tasks created on two nodes at once never share an id;
        // it starts after the tasks there are.
        [
            "CREATE SEQUENCE firmware_task_ids",
            "SELECT setval('firmware_task_ids', COALESCE((SELECT MAX(id) FROM firmware_tasks), 0) + 1, false)",
        ],
    ]

    /// Brings the schema to the newest version; returns the versions it applied (none when it was current).
    @discardableResult
    static func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            // Held until the transaction ends: a second node starting now waits here, then finds the schema current.
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresMigrations.lockKey))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: logger
            )
            var current = 0
            for try await version in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", logger: logger)
                .decode(Int.self)
            {
                current = version
            }
            var applied: [Int] = []
            for (index, step) in PostgresMigrations.steps.enumerated() where index + 1 > current {
                for sql in step {
                    try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                }
                let version = index + 1
                try await connection.query("INSERT INTO schema_migrations (version) VALUES (\(version))", logger: logger)
                applied.append(version)
            }
            if !applied.isEmpty {
                logger.info("registry schema migrated", metadata: ["hub.schema_version": "\(PostgresMigrations.steps.count)"])
            }
            return applied
        }
    }
}
