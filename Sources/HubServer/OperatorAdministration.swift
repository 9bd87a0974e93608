import Foundation
public import HubConsole
public import Logging
import RegistrySQLite

/// The console's operator accounts on a data directory's registry file, without a running hub (what
/// `iothub console user …` uses). The file may be open in a running hub at the same time: SQLite's locking
/// orders the writes, and the hub reads operators at each sign-in and request.
public enum OperatorAdministration {
    public static func withAccounts<T: Sendable>(
        dataDirectory: String, logger: Logger, _ body: (OperatorAccounts) async throws -> T
    ) async throws -> T {
        DataDirectoryPermissions.restrictUmask()
        _ = try DataDirectoryPermissions.secure(dataDirectory, logger: logger)
        let store = try await SQLiteRegistryStore.open(path: (dataDirectory as NSString).appendingPathComponent("registry.sqlite"), logger: logger)
        do {
            let result = try await body(OperatorAccounts(store: store))
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}
