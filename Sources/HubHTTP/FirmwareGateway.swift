import CloudAPI
import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
public import Registry

/// The firmware routes of the device HTTP port: `PUT /firmware-upload/{token}` (the GetCOSURL upload) and
/// `GET /{token}.bin` (device-protocol.md §7.4).
///
/// Downloads follow the embedded clients' rules: the Range end the C and Python SDKs send one past the
/// last byte (`bytes=<offset>-<file_size>`) is clamped, a range answers 206 with exact `Content-Range` and
/// `Content-Length`, an offset at or past the end answers 416 with `Content-Range: bytes */<size>`, never
/// compressed (whatever `Accept-Encoding` says), never chunked, `Content-Length` spelled exactly so.
/// `Host` is ignored.
public struct FirmwareGateway: Sendable {
    let registry: RegistryEngine
    let files: FirmwareRepository
    let logger: Logger

    public init(registry: RegistryEngine, files: FirmwareRepository, logger: Logger) {
        self.registry = registry
        self.files = files
        self.logger = logger
    }

    public func addRoutes(to router: Router<HubRequestContext>) {
        router.put("/firmware-upload/{token}") { request, context in
            await self.upload(request, token: context.parameters.get("token") ?? "")
        }
        router.get("/{token}.bin") { request, context in
            await self.download(request, token: context.parameters.get("token") ?? "", context: context)
        }
    }

    // MARK: upload

    func upload(_ request: Request, token: String) async -> Response {
        let upload: FirmwareUpload
        switch files.beginUpload(token: token) {
        case .success(let begun): upload = begun
        case .failure(let error): return Self.refusal(error)
        }
        let file: FirmwareRepository.StagedFile
        do {
            for try await buffer in request.body { try upload.write(buffer) }
            file = try upload.finish()
        } catch let error as FirmwareUploadError {
            if error.code == .failed { logger.warning("firmware upload failed", metadata: ["hub.firmware": "\(upload.key)", "error": "\(error)"]) }
            return Self.refusal(error)
        } catch {
            upload.cancel()
            logger.warning("firmware upload failed", metadata: ["hub.firmware": "\(upload.key)", "error": "\(error)"])
            return Self.plain(.internalServerError, "upload failed\n")
        }
        logger.info("firmware uploaded", metadata: ["hub.firmware": "\(upload.key)", "hub.size": "\(file.size)", "hub.md5": "\(file.md5)"])
        var headers = HTTPFields()
        headers[.contentLength] = "0"
        headers[HTTPField.Name("ETag")!] = "\"\(file.md5)\""
        return Response(status: .ok, headers: headers, body: ResponseBody())
    }

    static func refusal(_ error: FirmwareUploadError) -> Response {
        switch error.code {
        case .unknownOrExpired: plain(.forbidden, error.message + "\n")
        case .busy: plain(.conflict, error.message + "\n")
        case .tooLarge: plain(.contentTooLarge, error.message + "\n")
        case .empty: plain(.badRequest, error.message + "\n")
        case .failed: plain(.internalServerError, "upload failed\n")
        }
    }

    // MARK: download

    /// What a `Range` header asks of a file of `size` bytes (first range only).
    public enum RangeAnswer: Sendable, Equatable {
        case full
        case partial(ClosedRange<Int64>)
        case unsatisfiable
    }

    /// Resolves a `Range` header. A malformed header is ignored (whole file), like RFC 9110 says.
    public static func resolveRange(_ header: String?, size: Int64) -> RangeAnswer {
        guard let header else { return .full }
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes=") else { return .full }
        let first = text.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false).first ?? ""
        let parts = first.trimmingCharacters(in: .whitespaces).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .full }
        let startText = parts[0].trimmingCharacters(in: .whitespaces)
        let endText = parts[1].trimmingCharacters(in: .whitespaces)
        if startText.isEmpty {
            // Suffix range: the last n bytes.
            guard let count = Int64(endText), count >= 0 else { return .full }
            guard count > 0 else { return .unsatisfiable }
            return .partial(max(size - count, 0)...(size - 1))
        }
        guard let start = Int64(startText), start >= 0 else { return .full }
        guard start < size else { return .unsatisfiable }
        guard !endText.isEmpty else { return .partial(start...(size - 1)) }
        guard let end = Int64(endText), end >= start else { return .full }
        // The SDKs' end is one past the last byte: clamp.
        return .partial(start...min(end, size - 1))
    }

    func download(_ request: Request, token: String, context: HubRequestContext) async -> Response {
        guard let firmware = await registry.firmware(fileToken: token) else { return Self.plain(.notFound, "no such firmware\n") }
        let path = files.path(fileToken: firmware.fileToken)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let onDisk = (attributes[.size] as? NSNumber)?.int64Value, onDisk == firmware.size
        else {
            logger.error("firmware file missing or of the wrong size", metadata: ["hub.firmware": "\(firmware.key)", "hub.path": "\(path)"])
            return Self.plain(.internalServerError, "firmware file unavailable\n")
        }
        return await Self.fileResponse(path: path, size: firmware.size, request: request, context: context)
    }

    /// A stored file answered by the download rules above: 200 with the whole file, 206 with the (clamped)
    /// range asked for, 416 for a range past the end.
    static func fileResponse(path: String, size: Int64, request: Request, context: HubRequestContext) async -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.acceptRanges] = "bytes"
        let range: ClosedRange<Int64>
        let status: HTTPResponse.Status
        switch Self.resolveRange(request.headers[.range], size: size) {
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            headers[.contentLength] = "0"
            return Response(status: .rangeNotSatisfiable, headers: headers, body: ResponseBody())
        case .full:
            range = 0...(size - 1)
            status = .ok
        case .partial(let requested):
            range = requested
            status = .partialContent
            headers[.contentRange] = "bytes \(requested.lowerBound)-\(requested.upperBound)/\(size)"
        }
        headers[.contentLength] = String(range.count)
        do {
            let body = try await FileIO().loadFile(path: path, range: Int(range.lowerBound)...Int(range.upperBound), context: context)
            return Response(status: status, headers: headers, body: body)
        } catch {
            return Self.plain(.internalServerError, "file unavailable\n")
        }
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain"
        headers[.contentLength] = String(text.utf8.count)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
