import DeviceAuth
import Foundation
import Logging
import SQLiteNIO
import XCTest

@testable import Registry
@testable import RegistrySQLite

/// AppSecrets are only compared, so the registry keeps salted hashes of them (issue #12 item 10).
final class ApplicationSecretTests: RegistryTestCase {
    private var databaseFiles: [String] {
        ["registry.sqlite", "registry.sqlite-wal", "registry.sqlite-shm"].map { directory + "/" + $0 }
    }

    /// Whether any of the database files holds `text`'s bytes.
    private func databaseContains(_ text: String) throws -> Bool {
        let needle = Data(text.utf8)
        for path in databaseFiles where FileManager.default.fileExists(atPath: path) {
            if try Data(contentsOf: URL(fileURLWithPath: path)).range(of: needle) != nil { return true }
        }
        return false
    }

    func testCreatedSecretIsNotStoredAndStillAuthenticates() async throws {
        let engine = try await openEngine()
        let product = try await engine.createProduct(NewProduct(name: "apps"))
        let (application, secret) = try await engine.createApplication(name: "dashboard", productIds: [product.id])
        XCTAssertEqual(secret.count, 48)
        let accepted = await engine.authenticateApplication(id: application.id, secret: secret)
        XCTAssertEqual(accepted?.id, application.id)
        var flipped = Array(secret.utf8)
        flipped[0] = flipped[0] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        for wrong in [String(decoding: flipped, as: UTF8.self), String(secret.dropLast()), secret + "x", ""] {
            let refused = await engine.authenticateApplication(id: application.id, secret: wrong)
            XCTAssertNil(refused, "accepted \(wrong)")
        }
        XCTAssertFalse(try databaseContains(secret), "the clear AppSecret is in the database files (open)")
        XCTAssertTrue(try databaseContains(application.id), "the application was not written where this test looks")
        await engine.shutdown()
        XCTAssertFalse(try databaseContains(secret), "the clear AppSecret is in the database files (closed)")

        // The hash survives a restart; two applications never share a salt.
        let reopened = try await openEngine()
        let afterRestart = await reopened.authenticateApplication(id: application.id, secret: secret)
        XCTAssertEqual(afterRestart?.id, application.id)
        let wrongAfterRestart = await reopened.authenticateApplication(id: application.id, secret: "wrong")
        XCTAssertNil(wrongAfterRestart)
        let (other, _) = try await reopened.createApplication(name: "other", productIds: [product.id])
        XCTAssertNotEqual(other.secretHash.salt, application.secretHash.salt)
        await reopened.shutdown()
    }

    func testMigrationHashesClearSecretsOfAnOlderDatabase() async throws {
        // A database as the hub wrote it before the hashing step: the schema up to the step before, and an
        // application row with its secret in clear, as the old `Application` encoded it.
        let hashingStep = try XCTUnwrap(
            SQLiteMigrations.steps.firstIndex { $0.statements.contains { $0.contains(SQLiteMigrations.hashApplicationSecretFunction) } }
        )
        let clearSecret = "OldSecretOldSecretOldSecretOldSecretOldSecret123"
        let oldRow = #"{"createdAt":1700000000,"id":"appOLDAPP0001","name":"legacy","productIds":["ABCDEFGHIJ"],"secret":"\#(clearSecret)"}"#
        let db = try await SQLiteConnection.open(storage: .file(path: directory + "/registry.sqlite"), logger: Logger(label: "test"))
        try await db.exec("PRAGMA journal_mode=WAL")
        try await db.exec("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        for (index, step) in SQLiteMigrations.steps.prefix(hashingStep).enumerated() {
            for sql in step.statements { try await db.exec(sql) }
            _ = try await db.query("INSERT INTO schema_version (version) VALUES (?)", [.integer(index + 1)])
        }
        _ = try await db.query("INSERT INTO applications (id, data) VALUES (?, ?)", [.text("appOLDAPP0001"), .text(oldRow)])
        try await db.close()
        XCTAssertTrue(try databaseContains(clearSecret), "the old-format row was not written")

        let engine = try await openEngine()
        let page = await engine.applications(offset: 0, limit: 10)
        let migrated = try XCTUnwrap(page.applications.first)
        XCTAssertEqual(migrated.id, "appOLDAPP0001")
        XCTAssertEqual(migrated.name, "legacy")
        XCTAssertEqual(migrated.productIds, ["ABCDEFGHIJ"])
        XCTAssertEqual(migrated.createdAt, 1_700_000_000)
        let login = await engine.authenticateApplication(id: "appOLDAPP0001", secret: clearSecret)
        XCTAssertEqual(login?.id, "appOLDAPP0001")
        let wrong = await engine.authenticateApplication(id: "appOLDAPP0001", secret: "wrong")
        XCTAssertNil(wrong)
        await engine.shutdown()
        XCTAssertFalse(try databaseContains(clearSecret), "the clear secret is still in the database files after the migration")

        // Migrating again (a later start) leaves hashed rows alone.
        let hashed = try SQLiteMigrations.hashingApplicationSecret(oldRow)
        XCTAssertFalse(hashed.contains(clearSecret))
        XCTAssertEqual(try SQLiteMigrations.hashingApplicationSecret(hashed), hashed)
    }
}
