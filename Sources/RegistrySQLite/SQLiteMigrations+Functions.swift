import DeviceAuth
import Foundation
import Registry
import SQLiteNIO

/// SQL functions the migration steps call for what SQL cannot compute.
extension SQLiteMigrations {
    static let hashApplicationSecretFunction = "iothub_hash_application_secret"

    static func makeFunctions() -> [SQLiteCustomFunction] {
        [
            SQLiteCustomFunction(hashApplicationSecretFunction, argumentCount: 1) { arguments in
                guard let text = arguments.first?.string else { return nil }
                return try hashingApplicationSecret(text)
            }
        ]
    }

    /// An application row as stored before AppSecrets were hashed.
    struct ClearSecretApplication: Decodable {
        var id: String
        var name: String
        var secret: String
        var productIds: [String]
        var createdAt: Int64
    }

    /// The stored application document with its clear `secret` replaced by a `secretHash` (a fresh salt);
    /// a document without a clear secret is returned unchanged.
    static func hashingApplicationSecret(_ document: String) throws -> String {
        guard let old = try? JSONDecoder().decode(ClearSecretApplication.self, from: Data(document.utf8)) else { return document }
        let application = Application(
            id: old.id, name: old.name, secretHash: SaltedSecretHash(hashing: old.secret), productIds: old.productIds, createdAt: old.createdAt
        )
        // The document as the store of that schema wrote it.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(application), as: UTF8.self)
    }
}
