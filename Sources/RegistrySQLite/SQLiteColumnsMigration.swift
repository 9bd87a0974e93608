import DeviceAuth
import Foundation
import Logging
import Registry
import SQLiteNIO

/// Schema step 10: the JSON documents of the older schema (`data` columns of products, devices, applications,
/// firmware, update tasks and their entries, source bans and console operators) become columns, as in
/// PostgreSQL's schema. Each old table is renamed, the new one created under its name, every document decoded
/// with the model's `Codable` (the form the older store wrote) and written field by field, and the old table
/// dropped. It runs inside the migration's transaction: all of it or none.
enum SQLiteColumnsMigration {
    static let tables = [
        """
        CREATE TABLE products (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL,
            encryption_type TEXT NOT NULL, register_type INTEGER NOT NULL, register_limit INTEGER NOT NULL,
            product_secret TEXT NOT NULL, forbidden INTEGER NOT NULL, created_at INTEGER NOT NULL, product_type INTEGER NOT NULL,
            format TEXT NOT NULL, replay_protection INTEGER NOT NULL, webhook_url TEXT, remote_config TEXT)
        """,
        """
        CREATE TABLE devices (product_id TEXT NOT NULL, name TEXT NOT NULL,
            psk TEXT, certificate_pem TEXT, private_key_pem TEXT, certificate_serial TEXT,
            enabled INTEGER NOT NULL, created_by_registration INTEGER NOT NULL, created_at INTEGER NOT NULL,
            credential_fetched INTEGER NOT NULL, client_key_fetched INTEGER NOT NULL, first_online_time INTEGER,
            login_time INTEGER NOT NULL, last_offline_time INTEGER, online INTEGER NOT NULL, client_ip TEXT,
            firmware_version TEXT NOT NULL, log_level INTEGER NOT NULL, updated_at INTEGER NOT NULL, shadow TEXT,
            gateway_product_id TEXT, gateway_name TEXT, bound_at INTEGER, attached INTEGER,
            PRIMARY KEY (product_id, name),
            -- Exactly one credential: a PSK, or a certificate (whose private key may be erased).
            CHECK ((psk IS NOT NULL AND certificate_pem IS NULL AND certificate_serial IS NULL AND private_key_pem IS NULL)
                OR (psk IS NULL AND certificate_pem IS NOT NULL AND certificate_serial IS NOT NULL)),
            -- A gateway binding is all four columns or none.
            CHECK ((gateway_product_id IS NULL) = (gateway_name IS NULL) AND (gateway_name IS NULL) = (bound_at IS NULL)
                AND (bound_at IS NULL) = (attached IS NULL)))
        """,
        // A device's tags in their order; written and deleted with the device (SQLiteBatch).
        """
        CREATE TABLE device_tags (product_id TEXT NOT NULL, device_name TEXT NOT NULL, position INTEGER NOT NULL,
            tag TEXT NOT NULL, type INTEGER NOT NULL, value TEXT NOT NULL, tag_name TEXT,
            PRIMARY KEY (product_id, device_name, position))
        """,
        """
        CREATE TABLE applications (id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_salt BLOB NOT NULL, secret_hash BLOB NOT NULL,
            created_at INTEGER NOT NULL)
        """,
        // An application's products in their order.
        """
        CREATE TABLE application_products (application_id TEXT NOT NULL, position INTEGER NOT NULL, product_id TEXT NOT NULL,
            PRIMARY KEY (application_id, position))
        """,
        """
        CREATE TABLE firmwares (product_id TEXT NOT NULL, version TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL,
            user_defined TEXT NOT NULL, fw_type TEXT NOT NULL, md5 TEXT NOT NULL, size INTEGER NOT NULL, created_at INTEGER NOT NULL,
            file_token TEXT NOT NULL, PRIMARY KEY (product_id, version))
        """,
        """
        CREATE TABLE firmware_tasks (id INTEGER PRIMARY KEY, product_id TEXT NOT NULL, version TEXT NOT NULL, mode TEXT NOT NULL,
            original_version TEXT NOT NULL, timeout_interval INTEGER NOT NULL, upgrade_method INTEGER NOT NULL, type INTEGER NOT NULL,
            created_at INTEGER NOT NULL, cancelled INTEGER NOT NULL, command_file_size INTEGER NOT NULL, command_md5 TEXT NOT NULL,
            command_url TEXT NOT NULL, command_version TEXT NOT NULL)
        """,
        // Entries load per task in the order they were first written: the rowid, which an upsert keeps.
        """
        CREATE TABLE firmware_task_devices (task_id INTEGER NOT NULL, device_name TEXT NOT NULL, product_id TEXT NOT NULL,
            dst_version TEXT NOT NULL, ori_version TEXT NOT NULL, status INTEGER NOT NULL, percent INTEGER NOT NULL,
            retcode INTEGER NOT NULL, err_msg TEXT NOT NULL, last_process_ms INTEGER NOT NULL, PRIMARY KEY (task_id, device_name))
        """,
        """
        CREATE TABLE source_bans (address TEXT PRIMARY KEY, until_ms INTEGER, created_ms INTEGER NOT NULL, reason TEXT NOT NULL,
            automatic INTEGER NOT NULL)
        """,
        """
        CREATE TABLE console_operators (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
            created_ms INTEGER NOT NULL, password_changed_ms INTEGER NOT NULL)
        """,
    ]

    /// The tables that held documents, in the order they are converted.
    static let documentTables = [
        "products", "devices", "applications", "firmwares", "firmware_tasks", "firmware_task_devices", "source_bans", "console_operators",
    ]

    /// Documents read per query while converting (bounds the memory a large registry needs).
    static let chunk = 1_000

    @Sendable static func run(_ db: SQLiteConnection, logger: Logger) async throws {
        for table in documentTables { try await db.exec("ALTER TABLE \(table) RENAME TO \(table)_documents") }
        for sql in tables { try await db.exec(sql) }
        let decoder = JSONDecoder()
        var converted = 0
        converted += try await convert(db, "products", Product.self, decoder) { SQLiteBatch.upsertProducts([$0]) }
        converted += try await convert(db, "devices", Device.self, decoder) { SQLiteBatch.upsertDevices([$0]) }
        converted += try await convert(db, "applications", Application.self, decoder) { SQLiteBatch.upsertApplications([$0]) }
        converted += try await convert(db, "firmwares", Firmware.self, decoder) { [SQLiteBatch.upsertFirmwares([$0])] }
        converted += try await convert(db, "firmware_tasks", FirmwareTask.self, decoder) { [SQLiteBatch.upsertTasks([$0])] }
        converted += try await convert(db, "firmware_task_devices", FirmwareTaskDevice.self, decoder) { [SQLiteBatch.upsertTaskDevices([$0])] }
        converted += try await convert(db, "source_bans", SourceBan.self, decoder) { [SQLiteBatch.upsertBan($0)] }
        converted += try await convert(db, "console_operators", ConsoleOperator.self, decoder) { [SQLiteBatch.upsertOperator($0)] }
        for table in documentTables { try await db.exec("DROP TABLE \(table)_documents") }
        logger.info("registry records converted from documents to columns", metadata: ["hub.records": "\(converted)"])
    }

    /// Decodes every document of `table`'s old rows (in rowid order, so that update-task entries keep theirs) and
    /// writes the record.
    private static func convert<Record: Decodable>(
        _ db: SQLiteConnection, _ table: String, _ type: Record.Type, _ decoder: JSONDecoder,
        write: (Record) -> [SQLiteBatch.Statement]
    ) async throws -> Int {
        var last = Int.min
        var count = 0
        while true {
            let rows = try await db.query(
                "SELECT rowid AS r, data FROM \(table)_documents WHERE rowid > ? ORDER BY rowid LIMIT \(chunk)", [.integer(SQLiteInt64(last))]
            )
            for row in rows {
                guard let rowid = row.column("r")?.integer else { throw SQLiteStoreError.unreadableDocument(table: table, key: "?") }
                last = Int(rowid)
                guard let text = row.column("data")?.string, let record = try? decoder.decode(Record.self, from: Data(text.utf8)) else {
                    throw SQLiteStoreError.unreadableDocument(table: table, key: "rowid \(rowid)")
                }
                for statement in write(record) { _ = try await db.query(statement.sql, statement.binds) }
                count += 1
            }
            if rows.count < chunk { return count }
        }
    }
}
