import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX file helpers for the CA directory.
///
/// Writes are atomic: the content goes to a temporary file in the same directory (created with the final
/// mode, so a key is never readable by others, not even briefly), is fsynced, and is then published under
/// its final name, either by `rename` (replace) or by `link` (publish only if absent, so that two
/// processes starting at once cannot overwrite each other's CA).
enum FileStore {
    static func errnoMessage(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    static func ensureDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw HubCAError(.fileSystem, "\(path) exists and is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            // Another process may have created it concurrently.
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                return
            }
            throw HubCAError(.fileSystem, "cannot create directory \(path): \(error)")
        }
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// Reads a UTF-8 text file; nil if it does not exist.
    static func readText(_ path: String) throws -> String? {
        guard exists(path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HubCAError(.fileSystem, "cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw HubCAError(.invalidStoredMaterial, "\(path) is not UTF-8 text")
        }
        return text
    }

    /// Writes `text` to `path` atomically with permission bits `mode`.
    ///
    /// - Parameter replace: true to replace an existing file (`rename`); false to publish only if no file
    ///   exists yet (`link`).
    /// - Returns: false if `replace` is false and the file already existed (nothing was written).
    @discardableResult
    static func writeAtomically(_ text: String, to path: String, mode: mode_t, replace: Bool) throws -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let suffix = KeyEncoding.hex((0..<8).map { _ in UInt8.random(in: 0...255) })
        let temporary = (directory.isEmpty ? "." : directory) + "/.\(name).\(suffix).tmp"

        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw HubCAError(.fileSystem, "cannot create \(temporary): \(errnoMessage())")
        }
        var published = false
        defer { if !published { unlink(temporary) } }
        do {
            defer { close(fd) }
            // The umask may have removed bits; set exactly what was asked.
            guard fchmod(fd, mode) == 0 else {
                throw HubCAError(.fileSystem, "cannot chmod \(temporary): \(errnoMessage())")
            }
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw HubCAError(.fileSystem, "cannot write \(temporary): \(errnoMessage())")
                }
                offset += written
            }
            guard fsync(fd) == 0 else {
                throw HubCAError(.fileSystem, "cannot fsync \(temporary): \(errnoMessage())")
            }
        }

        if replace {
            guard rename(temporary, path) == 0 else {
                throw HubCAError(.fileSystem, "cannot rename \(temporary) to \(path): \(errnoMessage())")
            }
            published = true
        } else {
            if link(temporary, path) != 0 {
                let code = errno
                if code == EEXIST { return false }
                // Filesystems without hard links: fall back to check-then-rename.
                guard code == EPERM || code == ENOTSUP || code == EOPNOTSUPP || code == EXDEV || code == EMLINK else {
                    throw HubCAError(.fileSystem, "cannot publish \(path): \(errnoMessage(code))")
                }
                if exists(path) { return false }
                guard rename(temporary, path) == 0 else {
                    throw HubCAError(.fileSystem, "cannot rename \(temporary) to \(path): \(errnoMessage())")
                }
                published = true
            }
            // After a successful link the temporary name is removed by the deferred unlink.
        }
        syncDirectory(directory.isEmpty ? "." : directory)
        return true
    }

    /// Makes a rename/link durable; best effort.
    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func permissions(_ path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o7777
    }
}
