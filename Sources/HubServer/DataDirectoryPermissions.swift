import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Keeps the data directory private: it holds PSKs, ProductSecrets, the CA key and the management key.
///
/// At start the process umask becomes 0077, so every file the hub creates afterwards (the SQLite database
/// and its `-wal`/`-shm`, the webhook outbox, firmware files, keys) is at most 0600 and every directory
/// 0700, whatever code creates it. What already exists is tightened: a directory with any group or other
/// bit becomes 0700, a file 0600, each with a warning naming the path and its old mode. Symbolic links
/// are left alone (their target may be outside the directory) and not followed.
enum DataDirectoryPermissions {
    static let directoryMode: mode_t = 0o700
    static let fileMode: mode_t = 0o600

    /// One tightened path and the mode it had.
    struct Change: Equatable {
        var path: String
        var oldMode: mode_t
        var newMode: mode_t
    }

    /// Sets the umask; returns the previous one.
    @discardableResult
    static func restrictUmask() -> mode_t {
        umask(0o077)
    }

    /// Creates `directory` (0700) if needed and tightens it and everything under it.
    static func secure(_ directory: String, logger: Logger) throws -> [Change] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: directoryMode])
        var changes: [Change] = []
        try tighten(directory, into: &changes)
        for change in changes {
            logger.warning(
                "data directory entry was readable by others; permissions tightened",
                metadata: [
                    "hub.path": "\(change.path)", "hub.old_mode": "\(octal(change.oldMode))", "hub.new_mode": "\(octal(change.newMode))",
                ]
            )
        }
        return changes
    }

    private static func tighten(_ path: String, into changes: inout [Change]) throws {
        // FileManager reads the entry without following a symbolic link (lstat).
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let permissions = (attributes[.posixPermissions] as? NSNumber)?.uint16Value
        else { return }  // vanished meanwhile
        let mode = mode_t(permissions) & 0o7777
        let type = attributes[.type] as? FileAttributeType
        switch type {
        case .typeDirectory?:
            if mode & ~directoryMode != 0 { try change(path, from: mode, to: directoryMode, into: &changes) }
            for name in try FileManager.default.contentsOfDirectory(atPath: path) {
                try tighten((path as NSString).appendingPathComponent(name), into: &changes)
            }
        case .typeSymbolicLink?:
            return
        default:
            if mode & ~fileMode != 0 { try change(path, from: mode, to: fileMode, into: &changes) }
        }
    }

    private static func change(_ path: String, from old: mode_t, to new: mode_t, into changes: inout [Change]) throws {
        guard chmod(path, new) == 0 else {
            throw HubConfigurationError("cannot restrict the permissions of \(path) to \(octal(new)): \(String(cString: strerror(errno)))")
        }
        changes.append(Change(path: path, oldMode: old, newMode: new))
    }

    static func octal(_ mode: mode_t) -> String {
        "0" + String(mode, radix: 8)
    }
}
