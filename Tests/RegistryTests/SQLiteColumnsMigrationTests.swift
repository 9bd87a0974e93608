import DeviceAuth
import Foundation
import Logging
import SQLiteNIO
import XCTest

@testable import Registry
@testable import RegistrySQLite

/// Schema step 10 turns the JSON documents older hubs wrote into columns (issue #16 item 2): a registry.sqlite
/// written by an older hub opens with every record as it was.
final class SQLiteColumnsMigrationTests: RegistryTestCase {
    private var path: String { directory + "/registry.sqlite" }

    /// The step that converts documents to columns.
    private var columnsStep: Int {
        SQLiteMigrations.steps.firstIndex { if case .program = $0 { true } else { false } }!
    }

    /// A database as the hub wrote it before step 10: the schema up to step 9 and `rows` (table, key columns,
    /// document) written the way that store wrote them (`JSONEncoder` with sorted keys of the model).
    private func writeOldDatabase(_ rows: [(table: String, keys: [SQLiteData], document: String)]) async throws {
        let db = try await SQLiteConnection.open(storage: .file(path: path), logger: Logger(label: "test"))
        do {
            try await writeOldSchema(db, rows)
        } catch {
            try await db.close()
            throw error
        }
        try await db.close()
    }

    private func writeOldSchema(_ db: SQLiteConnection, _ rows: [(table: String, keys: [SQLiteData], document: String)]) async throws {
        try await db.exec("PRAGMA journal_mode=WAL")
        try await db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for function in SQLiteMigrations.makeFunctions() { try await db.install(customFunction: function) }
        for (index, step) in SQLiteMigrations.steps.prefix(columnsStep).enumerated() {
            for sql in step.statements { try await db.exec(sql) }
            _ = try await db.query("INSERT INTO schema_version (version) VALUES (?)", [.integer(index + 1)])
        }
        for row in rows {
            let columns = ["products": "id, name", "devices": "product_id, name", "applications": "id", "firmwares": "product_id, version",
                "firmware_tasks": "id, product_id, version", "firmware_task_devices": "task_id, device_name", "source_bans": "address",
                "console_operators": "name"][row.table]!
            let parameters = Array(repeating: "?", count: row.keys.count + 1).joined(separator: ", ")
            _ = try await db.query("INSERT INTO \(row.table) (\(columns), data) VALUES (\(parameters))", row.keys + [.text(row.document)])
        }
    }

    private func document(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func testDocumentsOfAnOlderDatabaseBecomeColumnsWithEveryField() async throws {
        var product = Product(
            id: "PRODUCTAAA", name: "Thermo \"pro\" ✓", description: "line1\nline2", encryptionType: .psk, registerType: .autoCreate,
            registerLimit: 123, productSecret: "c2VjcmV0", forbidden: true, createdAt: 1_700_000_000, productType: 5, format: "custom",
            replayProtection: true
        )
        product.webhookURL = "http://127.0.0.1:9000/hook"
        product.remoteConfig = #"{"interval":5}"#
        let bare = Product(id: "PRODUCTBBB", name: "bare", createdAt: -1)
        var psk = Device(
            productId: "PRODUCTAAA", name: "dev-1", credential: .psk("a+b/c=="), enabled: false, createdByRegistration: true,
            createdAt: 1_700_000_001, credentialFetched: true, clientKeyFetched: true, firstOnlineTime: 1_700_000_002, loginTime: 1_700_000_003,
            lastOfflineTime: 1_700_000_004, online: true, clientIP: "127.0.0.1:5000", firmwareVersion: "1.2.3", logLevel: 4,
            tags: [DeviceTag(tag: "b-tag", type: 2, value: "x", name: "Name ✓"), DeviceTag(tag: "a-tag", type: 1, value: "42")]
        )
        psk.updatedAt = Int64.max
        psk.shadow = #"{"state":{"reported":{"a":1}},"version":3}"#
        var certificate = Device(
            productId: "PRODUCTBBB", name: "sub-1",
            credential: .certificate(certificatePEM: "-----BEGIN CERTIFICATE-----\nMIIB\n", privateKeyPEM: "KEY", serialNumber: "01FF"), createdAt: 5
        )
        certificate.binding = GatewayBinding(gateway: psk.key, boundAt: 1_700_000_000_123, attached: true)
        let erasedKey = Device(
            productId: "PRODUCTBBB", name: "dev-2", credential: .certificate(certificatePEM: "PEM", privateKeyPEM: nil, serialNumber: "02"), createdAt: 6
        )
        let application = Application(
            id: "appABCDEFGHIJ", name: "dashboard", secretHash: SaltedSecretHash(hashing: "secret"), productIds: ["PRODUCTBBB", "PRODUCTAAA"], createdAt: 9
        )
        let firmware = Firmware(
            productId: "PRODUCTAAA", version: "2.0.0", name: "fw", description: "d", userDefined: #"{"k":"v"}"#, fwType: "mcu",
            md5: "0123456789abcdef0123456789abcdef", size: 5_000_000_000, createdAt: 11, fileToken: "tok1"
        )
        let task = FirmwareTask(
            id: 7, productId: "PRODUCTAAA", version: "2.0.0", mode: .originalVersion, originalVersion: "1.2.3", timeoutInterval: 3600,
            upgradeMethod: 1, type: 1, createdAt: 13, cancelled: true,
            command: FirmwareCommand(fileSize: 5_000_000_000, md5: "0123456789abcdef0123456789abcdef", url: "https://127.0.0.1/tok1.bin", version: "2.0.0")
        )
        // Written out of name order: they load in the order they were written.
        let entries = [
            FirmwareTaskDevice(taskId: 7, productId: "PRODUCTAAA", deviceName: "zz", dstVersion: "2.0.0", oriVersion: "1.0", status: .pending, lastProcessMillis: 1),
            FirmwareTaskDevice(
                taskId: 7, productId: "PRODUCTAAA", deviceName: "aa", dstVersion: "2.0.0", oriVersion: "", status: .failed, percent: 40, retcode: -6,
                errMsg: "cancelled ✓", lastProcessMillis: 2
            ),
        ]
        let ban = SourceBan(address: "192.0.2.7", until: 1_800_000_000_000, created: 1_700_000_000_000, reason: "flood", automatic: false)
        let forever = SourceBan(address: "2001:db8::1", until: nil, created: 1, reason: "", automatic: false)
        let admin = ConsoleOperator(name: "root", role: .admin, passwordHash: "$2b$10$abcdefghijklmnopqrstuv", created: 5, passwordChanged: 6)

        var rows: [(table: String, keys: [SQLiteData], document: String)] = []
        for p in [product, bare] { rows.append(("products", [.text(p.id), .text(p.name)], try document(p))) }
        for d in [psk, certificate, erasedKey] { rows.append(("devices", [.text(d.productId), .text(d.name)], try document(d))) }
        rows.append(("applications", [.text(application.id)], try document(application)))
        rows.append(("firmwares", [.text(firmware.productId), .text(firmware.version)], try document(firmware)))
        rows.append(("firmware_tasks", [.integer(Int(task.id)), .text(task.productId), .text(task.version)], try document(task)))
        for e in entries { rows.append(("firmware_task_devices", [.integer(Int(e.taskId)), .text(e.deviceName)], try document(e))) }
        for b in [ban, forever] { rows.append(("source_bans", [.text(b.address)], try document(b))) }
        rows.append(("console_operators", [.text(admin.name)], try document(admin)))
        try await writeOldDatabase(rows)

        let store = try await openStore()
        let snapshot = try await store.load(auditSince: 0)
        XCTAssertEqual(Set(snapshot.products), [product, bare])
        XCTAssertEqual(Set(snapshot.devices), [psk, certificate, erasedKey])
        XCTAssertEqual(snapshot.devices.first { $0.key == psk.key }?.tags, psk.tags, "tags keep their order")
        XCTAssertEqual(snapshot.applications, [application])
        XCTAssertEqual(snapshot.firmwares, [firmware])
        XCTAssertEqual(snapshot.firmwareTasks, [task])
        XCTAssertEqual(snapshot.firmwareTaskDevices, entries)
        let bans = try await store.loadBans()
        XCTAssertEqual(bans, [ban, forever])
        let operators = try await store.operators()
        XCTAssertEqual(operators, [admin])

        // No document is left: the schema is the new one, and no table has a `data` column.
        let version = try await store.reader.query("SELECT MAX(version) AS v FROM schema_version", []).first?.column("v")?.integer
        XCTAssertEqual(version, SQLiteMigrations.steps.count)
        let tables = try await store.reader.query("SELECT name FROM sqlite_master WHERE type = 'table'", []).compactMap { $0.column("name")?.string }
        XCTAssertFalse(tables.contains { $0.hasSuffix("_documents") }, "\(tables)")
        // The old tables' pages were given back (VACUUM after the rewrite).
        let free = try await store.reader.query("PRAGMA freelist_count", []).first?.column("freelist_count")?.integer
        XCTAssertEqual(free, 0)
        for table in tables {
            let columns = try await store.reader.query("SELECT name FROM pragma_table_info(?)", [.text(table)]).compactMap { $0.column("name")?.string }
            XCTAssertFalse(columns.contains("data"), "\(table) still has a data column")
        }
        try await store.close()

        // The engine opens on the migrated file and has the device as it was (offline: a start forgets presence).
        let engine = try await openEngine()
        let reopened = try await engine.device(productId: psk.productId, name: psk.name)
        var offline = psk
        offline.online = false
        XCTAssertEqual(reopened, offline)
        await engine.shutdown()
    }

    func testAnUnreadableDocumentStopsTheMigrationAndLeavesTheOldDatabaseIntact() async throws {
        let good = Product(id: "PRODUCTAAA", name: "good", createdAt: 1)
        try await writeOldDatabase([
            ("products", [.text(good.id), .text(good.name)], try document(good)),
            ("devices", [.text("PRODUCTAAA"), .text("broken")], #"{"productId":"PRODUCTAAA","name":"broken"}"#),
        ])
        do {
            _ = try await openStore()
            XCTFail("a database with an unreadable device document opened")
        } catch let error as SQLiteStoreError {
            XCTAssertEqual(error, .unreadableDocument(table: "devices", key: "rowid 1"))
        }
        // Nothing of the step was kept: still version 9, the documents where they were.
        let db = try await SQLiteConnection.open(storage: .file(path: path), logger: Logger(label: "test"))
        let version = try await db.query("SELECT MAX(version) AS v FROM schema_version", []).first?.column("v")?.integer
        XCTAssertEqual(version, columnsStep)
        let documents = try await db.query("SELECT data FROM devices", []).compactMap { $0.column("data")?.string }
        XCTAssertEqual(documents, [#"{"productId":"PRODUCTAAA","name":"broken"}"#])
        let products = try await db.query("SELECT data FROM products", []).count
        XCTAssertEqual(products, 1)
        try await db.close()
    }

    func testARegistryLargerThanOneChunkConvertsEveryDevice() async throws {
        let count = SQLiteColumnsMigration.chunk * 2 + 500
        var rows: [(table: String, keys: [SQLiteData], document: String)] = []
        let product = Product(id: "PRODUCTAAA", name: "many", createdAt: 1)
        rows.append(("products", [.text(product.id), .text(product.name)], try document(product)))
        var devices: [Device] = []
        for index in 0..<count {
            let tags = index % 7 == 0 ? [DeviceTag(tag: "n", type: 1, value: "\(index)")] : []
            let device = Device(productId: product.id, name: "dev-\(index)", credential: .psk("c2VjcmV0\(index)"), createdAt: Int64(index), tags: tags)
            devices.append(device)
            rows.append(("devices", [.text(device.productId), .text(device.name)], try document(device)))
        }
        try await writeOldDatabase(rows)
        let store = try await openStore()
        let snapshot = try await store.load(auditSince: 0)
        try await store.close()
        XCTAssertEqual(snapshot.devices.count, count)
        let missing = Set(devices).subtracting(snapshot.devices)
        XCTAssertTrue(missing.isEmpty, "\(missing.count) devices differ or are missing, e.g. \(String(describing: missing.first))")
    }

    func testAFileOfANewerSchemaIsRefusedUntouched() async throws {
        let store = try await openStore()
        _ = try await store.writer.query("INSERT INTO schema_version (version) VALUES (?)", [.integer(SQLiteMigrations.steps.count + 1)])
        try await store.close()
        do {
            _ = try await openStore()
            XCTFail("a registry of a newer schema opened")
        } catch let error as SQLiteStoreError {
            XCTAssertEqual(error, .newerSchema(found: SQLiteMigrations.steps.count + 1, known: SQLiteMigrations.steps.count))
        }
    }
}
