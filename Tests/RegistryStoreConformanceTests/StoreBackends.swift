import Foundation
import Logging
import PostgresNIO
import Registry
import RegistryPostgres
import RegistrySQLite
import Testing

/// What every registry store is: the registry's own store, the operator store and the ban store (both backends
/// implement all three).
typealias ConformingStore = RegistryStore & OperatorStore & SourceBanStore

/// The backends the conformance suite runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

struct MissingPostgres: Error, CustomStringConvertible {
    var description: String {
        "IOTHUB_TEST_POSTGRES_URL is not set: start a throwaway server with `eval \"$(scripts/postgres-test-server start)\"` (scripts/test does)"
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "store-conformance")
    logger.logLevel = .warning
    return logger
}()

/// The throwaway server's URL; every PostgreSQL test fails (never skips) without it.
func postgresURL() throws -> String {
    guard let url = ProcessInfo.processInfo.environment["IOTHUB_TEST_POSTGRES_URL"], !url.isEmpty else {
        throw MissingPostgres()
    }
    return url
}

/// Runs `body` with a client of the throwaway server's own database (`iothub_test`), or of `database`.
func withAdminClient<T: Sendable>(database: String? = nil, _ body: (PostgresClient) async throws -> T) async throws -> T {
    var configuration = try PostgresRegistryStore.configuration(url: try postgresURL())
    if let database { configuration.database = database }
    let client = PostgresClient(configuration: configuration, backgroundLogger: testLogger)
    let run = Task { await client.run() }
    defer { run.cancel() }
    return try await body(client)
}

/// One empty store location of a backend (a temporary SQLite file, or a fresh PostgreSQL database on the throwaway
/// server) that stores can be opened on, any number of times; `remove` deletes it.
struct StoreLocation: Sendable {
    let backend: Backend
    /// The SQLite file's path, or the PostgreSQL database's name.
    let name: String

    static func make(_ backend: Backend) async throws -> StoreLocation {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-conformance-\(suffix)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return StoreLocation(backend: backend, name: directory.appendingPathComponent("registry.sqlite").path)
        case .postgres:
            let name = "iothub_t_\(suffix)"
            try await withAdminClient { client in
                _ = try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: testLogger)
            }
            return StoreLocation(backend: backend, name: name)
        }
    }

    func open() async throws -> any ConformingStore {
        switch backend {
        case .sqlite:
            return try await SQLiteRegistryStore.open(path: name, logger: testLogger)
        case .postgres:
            var configuration = try PostgresRegistryStore.configuration(url: try postgresURL())
            configuration.database = name
            return try await PostgresRegistryStore.open(configuration: configuration, logger: testLogger)
        }
    }

    func remove() async {
        switch backend {
        case .sqlite:
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: name).deletingLastPathComponent())
        case .postgres:
            _ = try? await withAdminClient { client in
                _ = try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: testLogger)
            }
        }
    }
}

/// Runs `body` with a store on a fresh location, then closes the store and removes the location.
func withStore(_ backend: Backend, _ body: (any ConformingStore, StoreLocation) async throws -> Void) async throws {
    let location = try await StoreLocation.make(backend)
    do {
        let store = try await location.open()
        do {
            try await body(store, location)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    } catch {
        await location.remove()
        throw error
    }
    await location.remove()
}

/// Runs `body` with a fresh location (stores opened and closed by `body`), then removes it.
func withLocation(_ backend: Backend, _ body: (StoreLocation) async throws -> Void) async throws {
    let location = try await StoreLocation.make(backend)
    do {
        try await body(location)
    } catch {
        await location.remove()
        throw error
    }
    await location.remove()
}

/// The versions recorded in `schema_migrations` of a PostgreSQL database, in order.
func migrationVersions(database: String) async throws -> [Int] {
    try await withAdminClient(database: database) { client in
        var versions: [Int] = []
        for try await version in try await client.query("SELECT version FROM schema_migrations ORDER BY version", logger: testLogger).decode(Int.self) {
            versions.append(version)
        }
        return versions
    }
}
