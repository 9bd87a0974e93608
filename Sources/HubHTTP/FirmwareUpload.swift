import DeviceAuth
import Foundation
import NIOCore
public import Registry

/// Why an upload to a GetCOSURL slot did not stage a file.
public struct FirmwareUploadError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The slot does not exist, expired or was used.
        case unknownOrExpired
        /// Another upload to the slot is in progress.
        case busy
        /// More bytes than the slot allows (`maxSize`).
        case tooLarge
        /// No bytes at all.
        case empty
        /// The staging file could not be written, or the bytes stopped coming.
        case failed
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// One upload's bytes on their way into the staging directory: counted against the slot's limit as they
/// arrive and hashed (MD5) on the way. The GetCOSURL `PUT` (`FirmwareGateway`) and the web console's
/// upload form both write through it, so the two take the same limits and produce the same staged file,
/// which UploadFirmware then checks and registers.
///
/// Begin with ``FirmwareRepository/beginUpload(token:)``; ``write(_:)`` the bytes; ``finish()`` stages the
/// file. After an error, or ``cancel()``, the upload is over: its file is removed and the slot is given back
/// for another try. Not shared between tasks.
public final class FirmwareUpload {
    public let key: FirmwareKey
    /// The most bytes the slot takes.
    public let maxSize: Int64
    /// Bytes written so far.
    public private(set) var size: Int64 = 0

    private let files: FirmwareRepository
    private let token: String
    private let path: String
    private var handle: FileHandle?
    private var md5 = MD5Digest()

    init(files: FirmwareRepository, token: String, key: FirmwareKey, maxSize: Int64, path: String, handle: FileHandle) {
        self.files = files
        self.token = token
        self.key = key
        self.maxSize = maxSize
        self.path = path
        self.handle = handle
    }

    deinit { abandon() }

    /// Appends bytes; throws `tooLarge` past the slot's limit and `failed` when the file cannot be written
    /// (the upload is then over).
    public func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { try write($0) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let handle else { throw FirmwareUploadError(.failed, "upload failed") }
        size += Int64(bytes.count)
        guard size <= maxSize else {
            abandon()
            throw FirmwareUploadError(.tooLarge, "the firmware is larger than \(maxSize) bytes")
        }
        md5.update(bytes)
        do {
            try handle.write(contentsOf: bytes)
        } catch {
            abandon()
            throw FirmwareUploadError(.failed, "upload failed: \(error)")
        }
    }

    /// Syncs and stages the file for UploadFirmware (replacing an earlier staged file of the version).
    public func finish() throws -> FirmwareRepository.StagedFile {
        guard let handle else { throw FirmwareUploadError(.failed, "upload failed") }
        guard size > 0 else {
            abandon()
            throw FirmwareUploadError(.empty, "empty upload")
        }
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            abandon()
            throw FirmwareUploadError(.failed, "upload failed: \(error)")
        }
        self.handle = nil
        let file = FirmwareRepository.StagedFile(token: token, path: path, md5: md5.hex(), size: size)
        files.finishUpload(token, staged: file, key: key)
        return file
    }

    /// Ends an unfinished upload: the file is removed, the slot given back.
    public func cancel() { abandon() }

    private func abandon() {
        guard let handle else { return }
        try? handle.close()
        self.handle = nil
        try? FileManager.default.removeItem(atPath: path)
        files.finishUpload(token, staged: nil, key: key)
    }
}

extension FirmwareRepository {
    /// Takes the upload slot of `token` (a GetCOSURL URL's last path segment) for one upload.
    public func beginUpload(token: String) -> Result<FirmwareUpload, FirmwareUploadError> {
        let slot: UploadSlot
        switch claimUpload(token) {
        case .success(let claimed): slot = claimed
        case .failure(.busy): return .failure(FirmwareUploadError(.busy, "an upload to this URL is in progress"))
        case .failure(.unknownOrExpired): return .failure(FirmwareUploadError(.unknownOrExpired, "upload URL unknown, expired or already used"))
        }
        let path = (stagingDirectory as NSString).appendingPathComponent("\(token).bin")
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = try? FileHandle(forWritingTo: URL(fileURLWithPath: path)) else {
            try? FileManager.default.removeItem(atPath: path)
            finishUpload(token, staged: nil, key: slot.key)
            return .failure(FirmwareUploadError(.failed, "upload failed: the staging file could not be created"))
        }
        return .success(FirmwareUpload(files: self, token: token, key: slot.key, maxSize: slot.maxSize, path: path, handle: handle))
    }

    /// The slot token of a GetCOSURL URL (`…/firmware-upload/<token>`), nil for any other text.
    public static func uploadToken(ofURL url: String) -> String? {
        let parts = url.components(separatedBy: "/firmware-upload/")
        guard parts.count == 2, let token = parts.last, !token.isEmpty, !token.contains("/") else { return nil }
        return token
    }
}
