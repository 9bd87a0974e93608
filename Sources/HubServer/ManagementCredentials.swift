import DeviceAuth
import Foundation

/// The management API key pair, in Tencent's shapes, kept in `DATA/credentials.json` (mode 0600) as
/// `{"SecretId": "…", "SecretKey": "…"}`.
public struct ManagementCredentials: Sendable, Codable, Equatable {
    public var secretId: String
    public var secretKey: String

    enum CodingKeys: String, CodingKey {
        case secretId = "SecretId"
        case secretKey = "SecretKey"
    }

    public init(secretId: String, secretKey: String) {
        self.secretId = secretId
        self.secretKey = secretKey
    }

    public static func path(dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("credentials.json")
    }

    /// Reads the stored credentials.
    public static func load(dataDirectory: String) throws -> ManagementCredentials {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(dataDirectory: dataDirectory)))
        return try JSONDecoder().decode(ManagementCredentials.self, from: data)
    }

    /// Reads the stored credentials, or creates and stores new ones. `created` tells which.
    public static func loadOrCreate(dataDirectory: String) throws -> (credentials: ManagementCredentials, created: Bool) {
        let file = path(dataDirectory: dataDirectory)
        if FileManager.default.fileExists(atPath: file) {
            return (try load(dataDirectory: dataDirectory), false)
        }
        let credentials = ManagementCredentials(
            secretId: "AKID" + randomAlphanumeric(32),
            secretKey: randomAlphanumeric(32)
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try SecureFile.write(try encoder.encode(credentials), to: file)
        return (credentials, true)
    }

    static func randomAlphanumeric(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}

/// Writes files atomically with mode 0600.
enum SecureFile {
    static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw HubConfigurationError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw HubConfigurationError("cannot move \(temporary) to \(path)")
        }
    }
}
