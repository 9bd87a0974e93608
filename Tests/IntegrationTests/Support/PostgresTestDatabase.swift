import Foundation
import PostgresNIO
import RegistryPostgres

/// A fresh database on the throwaway server of scripts/postgres-test-server (IOTHUB_TEST_POSTGRES_URL), dropped by
/// `drop`.
struct PostgresTestDatabase: Sendable {
    let name: String
    let url: String

    var configuration: PostgresClient.Configuration {
        get throws { try PostgresRegistryStore.configuration(url: url) }
    }

    static func create() async throws -> PostgresTestDatabase {
        let name = "iothub_t_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        try await SharedRegistryProcessTests.psql("CREATE DATABASE \(name)")
        var url = URLComponents(string: try SharedRegistryProcessTests.serverURL())!
        url.path = "/\(name)"
        return PostgresTestDatabase(name: name, url: url.string!)
    }

    /// Runs `sql` on this database.
    @discardableResult
    func psql(_ sql: String) async throws -> String {
        try await SharedRegistryProcessTests.psql(sql, database: name)
    }

    func drop() async {
        _ = try? await SharedRegistryProcessTests.psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
