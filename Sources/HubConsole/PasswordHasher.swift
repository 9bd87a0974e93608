import HummingbirdBcrypt
import NIOPosix

/// bcrypt through hummingbird-auth, on NIO's blocking thread pool (a hash takes tens of milliseconds).
public enum PasswordHasher {
    /// log2 of bcrypt's rounds. 10 is the least OWASP accepts; raise it as machines get faster (stored
    /// hashes carry their own cost, so old ones keep verifying).
    public static let cost: UInt8 = 10

    public static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash checked when the name is unknown, so that a wrong name costs as long as a wrong password.
    static let decoy = Bcrypt.hash("decoy password of no operator", cost: cost)
}
