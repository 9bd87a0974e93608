import Foundation
import Logging
import XCTest

@testable import Registry
@testable import RegistrySQLite

/// A registry on a real SQLite file in a temporary directory of its own per test.
class RegistryTestCase: XCTestCase {
    var directory: String!

    override func setUp() {
        directory = NSTemporaryDirectory() + "registry-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The test's SQLite store (a second call opens a second connection to the same file).
    func openStore(durability: SQLiteRegistryStore.Durability = .normal) async throws -> SQLiteRegistryStore {
        try await SQLiteRegistryStore.open(path: directory + "/registry.sqlite", durability: durability, logger: Logger(label: "test"))
    }

    func openEngine(durability: SQLiteRegistryStore.Durability = .normal, now: RegistryEngine.Clock? = nil) async throws -> RegistryEngine {
        let store = try await openStore(durability: durability)
        if let now {
            return try await RegistryEngine.open(store: store, issuer: RegistryEngineTests.issuer, logger: Logger(label: "test"), now: now)
        }
        return try await RegistryEngine.open(store: store, issuer: RegistryEngineTests.issuer, logger: Logger(label: "test"))
    }
}
