import DeviceAuth
public import Foundation
#if canImport(FoundationNetworking)
public import FoundationNetworking
#endif

/// A failed firmware download, with the OTA `result_code` to report for it.
public struct FirmwareDownloadError: Error, Sendable, CustomStringConvertible {
    public var failure: FirmwareFailure
    public var message: String

    public init(_ failure: FirmwareFailure, _ message: String) {
        self.failure = failure
        self.message = message
    }

    public var description: String { "\(failure): \(message)" }
}

/// Downloads a firmware image in ranged chunks, resumable across connection losses and restarts, and
/// checks its size and MD5 (device-protocol.md §6.4, §7.4).
///
/// Bytes go to `<path>.<md5>.part` first; a later call for the same firmware (same MD5) continues from
/// the bytes already there. The finished, verified file is renamed to `path`.
public struct FirmwareDownloader: Sendable {
    /// Bytes per ranged request (each is one progress step).
    public var chunkSize: Int
    /// Attempts per chunk before the download fails with `-1`.
    public var attemptsPerChunk: Int
    public var requestTimeout: TimeInterval
    private let session: URLSession

    public init(chunkSize: Int = 64 * 1024, attemptsPerChunk: Int = 3, requestTimeout: TimeInterval = 30, session: URLSession = .shared) {
        self.chunkSize = max(1, chunkSize)
        self.attemptsPerChunk = max(1, attemptsPerChunk)
        self.requestTimeout = requestTimeout
        self.session = session
    }

    /// Where the partial download of `update` for `path` is kept.
    public static func partialPath(for update: FirmwareUpdate, at path: String) -> String {
        "\(path).\(update.md5.lowercased()).part"
    }

    /// Downloads `update` to `path`. `progress` gets (bytes so far, total) after each chunk.
    public func download(
        _ update: FirmwareUpdate,
        to path: String,
        progress: @Sendable (Int64, Int64) async -> Void = { _, _ in }
    ) async throws(FirmwareDownloadError) {
        guard let url = URL(string: update.url), update.fileSize > 0 else {
            throw FirmwareDownloadError(.fileNotFound, "invalid firmware URL or size: \(update.url) (\(update.fileSize) bytes)")
        }
        let partial = Self.partialPath(for: update, at: path)
        let fileManager = FileManager.default
        var offset: Int64 = 0
        if let attributes = try? fileManager.attributesOfItem(atPath: partial), let size = attributes[.size] as? Int64 {
            offset = size <= update.fileSize ? size : 0
            if size > update.fileSize { try? fileManager.removeItem(atPath: partial) }
        }
        if !fileManager.fileExists(atPath: partial) {
            guard fileManager.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw FirmwareDownloadError(.upgradeFailed, "cannot create \(partial)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: partial) else {
            throw FirmwareDownloadError(.upgradeFailed, "cannot open \(partial)")
        }
        defer { try? handle.close() }
        do {
            try handle.truncate(atOffset: UInt64(offset))
            try handle.seek(toOffset: UInt64(offset))
        } catch {
            throw FirmwareDownloadError(.upgradeFailed, "cannot write \(partial): \(error)")
        }
        await progress(offset, update.fileSize)
        while offset < update.fileSize {
            let end = min(offset + Int64(chunkSize), update.fileSize) - 1
            let bytes = try await fetch(url: url, from: offset, through: end, total: update.fileSize)
            do {
                try handle.write(contentsOf: bytes)
            } catch {
                throw FirmwareDownloadError(.upgradeFailed, "cannot write \(partial): \(error)")
            }
            offset += Int64(bytes.count)
            await progress(offset, update.fileSize)
        }
        do {
            try handle.synchronize()
        } catch {
            throw FirmwareDownloadError(.upgradeFailed, "cannot sync \(partial): \(error)")
        }
        let digest = try md5(ofFileAt: partial)
        guard digest == update.md5.lowercased() else {
            try? fileManager.removeItem(atPath: partial)
            throw FirmwareDownloadError(.md5Mismatch, "MD5 \(digest), expected \(update.md5)")
        }
        _ = try? fileManager.removeItem(atPath: path)
        do {
            try fileManager.moveItem(atPath: partial, toPath: path)
        } catch {
            throw FirmwareDownloadError(.upgradeFailed, "cannot move the firmware to \(path): \(error)")
        }
    }

    /// One chunk, retried a few times on transport errors.
    private func fetch(url: URL, from start: Int64, through end: Int64, total: Int64) async throws(FirmwareDownloadError) -> Data {
        var lastError = ""
        for attempt in 1...attemptsPerChunk {
            var request = URLRequest(url: url)
            request.setValue("bytes=\(start)-\(end)", forHTTPHeaderField: "Range")
            request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
            request.timeoutInterval = requestTimeout
            do {
                let (data, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                switch status {
                case 206:
                    guard !data.isEmpty, data.count <= end - start + 1 else {
                        throw FirmwareDownloadError(.downloadTimeout, "206 with \(data.count) bytes for \(end - start + 1)")
                    }
                    return data
                case 200:
                    // A server that ignores Range sends the whole file.
                    guard Int64(data.count) == total else {
                        throw FirmwareDownloadError(.downloadTimeout, "200 with \(data.count) bytes, expected \(total)")
                    }
                    return data.subdata(in: Int(start)..<Int(end + 1))
                case 404, 410:
                    throw FirmwareDownloadError(.fileNotFound, "HTTP \(status)")
                case 401, 403:
                    throw FirmwareDownloadError(.authorizationFailed, "HTTP \(status)")
                case 416:
                    throw FirmwareDownloadError(.downloadTimeout, "HTTP 416: the file is shorter than announced")
                default:
                    lastError = "HTTP \(status)"
                }
            } catch let error as FirmwareDownloadError {
                throw error
            } catch {
                lastError = error.localizedDescription
            }
            if attempt < attemptsPerChunk { try? await Task.sleep(for: .milliseconds(200 * attempt)) }
        }
        throw FirmwareDownloadError(.downloadTimeout, "bytes \(start)-\(end): \(lastError)")
    }

    private func md5(ofFileAt path: String) throws(FirmwareDownloadError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FirmwareDownloadError(.upgradeFailed, "cannot read \(path)") }
        defer { try? handle.close() }
        var digest = MD5Digest()
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 16)
            } catch {
                throw FirmwareDownloadError(.upgradeFailed, "cannot read \(path): \(error)")
            }
            guard let chunk, !chunk.isEmpty else { break }
            digest.update(chunk)
        }
        return digest.hex()
    }
}
