import DeviceAuth
import DeviceServices
import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
import Registry

/// The resource routes of the device HTTP ports (device-protocol.md §6.12): `PUT /{token}.res` takes the
/// one upload of an upload URL (a device's `create_upload_task_rsp`, or the operator's product resource),
/// `GET /{token}.res` downloads a product resource (devices) or a device upload (the operator's
/// DownloadDeviceResource URL) by the firmware download rules (§7.4: clamped ranges, 206/416, never
/// compressed or chunked). `Host` is ignored.
///
/// A PUT must carry exactly the task's size in bytes whose MD5 is the task's `md5sum`, and equals the
/// `Content-MD5` header when one is sent (C33 sends `Content-MD5:` without a space; any header spelling is
/// read). Otherwise 400, the bytes are removed, and a device's `done` then gets `result_code` 1. Unknown or
/// expired URL: 404. A stored upload: 200 with `Content-Length: 0`.
public struct ResourceGateway: Sendable {
    let files: ResourceRepository
    let logger: Logger

    public init(files: ResourceRepository, logger: Logger) {
        self.files = files
        self.logger = logger
    }

    public func addRoutes(to router: Router<HubRequestContext>) {
        router.put("/{token}.res") { request, context in
            await self.upload(request, token: context.parameters.get("token") ?? "")
        }
        router.get("/{token}.res") { request, context in
            await self.download(request, token: context.parameters.get("token") ?? "", context: context)
        }
    }

    // MARK: upload

    enum Refusal: String {
        case sizeMismatch = "size_mismatch"
        case md5Mismatch = "md5_mismatch"
        case contentMD5Mismatch = "content_md5_mismatch"
        case failed
    }

    func upload(_ request: Request, token: String) async -> Response {
        let slot: ResourceRepository.UploadSlot
        switch files.claimSlot(token) {
        case .success(let claimed): slot = claimed
        case .failure(.busy): return FirmwareGateway.plain(.conflict, "an upload to this URL is in progress\n")
        case .failure(.unknownOrExpired):
            ResourceRepository.count("iothub_resource_uploads_total", [("kind", "unknown"), ("result", "unknown_url")])
            return FirmwareGateway.plain(.notFound, "upload URL unknown, expired or already used\n")
        }
        let kind = if case .device = slot.target { "device" } else { "product" }
        let staged = (files.stagingDirectory as NSString).appendingPathComponent(token)
        var refusal: Refusal?
        var md5 = MD5Digest()
        var size: Int64 = 0
        if let announced = request.headers[.contentLength].flatMap({ Int64($0) }), announced != slot.size { refusal = .sizeMismatch }
        if refusal == nil, let header = request.headers[HTTPField.Name("Content-MD5")!], Self.hex(contentMD5: header) != slot.md5 {
            refusal = .contentMD5Mismatch
        }
        if refusal == nil {
            do {
                guard FileManager.default.createFile(atPath: staged, contents: nil, attributes: [.posixPermissions: 0o600]) else { throw CocoaError(.fileWriteUnknown) }
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: staged))
                defer { try? handle.close() }
                for try await buffer in request.body {
                    size += Int64(buffer.readableBytes)
                    if size > slot.size {
                        refusal = .sizeMismatch
                        break
                    }
                    try buffer.withUnsafeReadableBytes { bytes in
                        md5.update(bytes)
                        try handle.write(contentsOf: bytes)
                    }
                }
                if refusal == nil {
                    if size != slot.size { refusal = .sizeMismatch } else if md5.hex() != slot.md5 { refusal = .md5Mismatch } else { try handle.synchronize() }
                }
            } catch {
                logger.warning("resource upload failed", metadata: ["hub.resource": "\(slot.target)", "error": "\(error)"])
                refusal = .failed
            }
        }
        if refusal == nil {
            refusal = await store(slot, staged: staged)
        }
        if let refusal {
            try? FileManager.default.removeItem(atPath: staged)
            files.releaseSlot(token, used: false)
            if refusal == .md5Mismatch || refusal == .contentMD5Mismatch, case .device(let device, let name) = slot.target {
                await files.noteUploadError(device, name: name, md5: slot.md5, ResourceProtocol.ReplyMessage.md5Mismatch)
            }
            ResourceRepository.count("iothub_resource_uploads_total", [("kind", kind), ("result", refusal.rawValue)])
            logger.notice("resource upload refused", metadata: ["hub.resource": "\(slot.target)", "hub.reason": "\(refusal.rawValue)", "hub.size": "\(size)"])
            return refusal == .failed
                ? FirmwareGateway.plain(.internalServerError, "upload failed\n")
                : FirmwareGateway.plain(.badRequest, "the upload does not match the task's size and MD5\n")
        }
        files.releaseSlot(token, used: true)
        ResourceRepository.count("iothub_resource_uploads_total", [("kind", kind), ("result", "stored")])
        logger.info("resource uploaded", metadata: ["hub.resource": "\(slot.target)", "hub.size": "\(size)", "hub.md5": "\(slot.md5)"])
        var headers = HTTPFields()
        headers[.contentLength] = "0"
        return Response(status: .ok, headers: headers, body: ResponseBody())
    }

    /// Moves a checked upload into place and records it; a refusal when the task changed meanwhile.
    func store(_ slot: ResourceRepository.UploadSlot, staged: String) async -> Refusal? {
        let fileToken = FirmwareRepository.newToken()
        switch slot.target {
        case .product(var resource):
            resource.fileToken = fileToken
            do {
                try FileManager.default.moveItem(atPath: staged, toPath: files.path(fileToken: fileToken))
                guard try await files.store.insertProductResource(resource) else {
                    files.removeFile(fileToken)
                    return .failed
                }
            } catch {
                files.removeFile(fileToken)
                logger.warning("product resource not stored", metadata: ["hub.resource": "\(resource.productId)/\(resource.name)", "error": "\(error)"])
                return .failed
            }
        case .device(let device, let name):
            do {
                // The device may have opened another task for the name since (its URL retired this one's).
                guard var record = try await files.store.deviceResource(device: device, name: name), record.md5 == slot.md5, record.size == slot.size,
                    record.fileToken == nil
                else { return .failed }
                try FileManager.default.moveItem(atPath: staged, toPath: files.path(fileToken: fileToken))
                record.fileToken = fileToken
                record.uploadError = nil
                record.updatedAt = RegistryEngine.systemMillis()
                try await files.store.putDeviceResource(record)
            } catch {
                files.removeFile(fileToken)
                logger.warning("device resource not stored", metadata: ["hub.device": "\(device)", "hub.resource": "\(name)", "error": "\(error)"])
                return .failed
            }
        }
        return nil
    }

    /// The lowercase hex of a `Content-MD5` value (Base64 of the 16 digest bytes); nil when it is not one.
    static func hex(contentMD5 header: String) -> String? {
        guard let data = Data(base64Encoded: header.trimmingCharacters(in: .whitespaces)), data.count == 16 else { return nil }
        return data.map { String(format: "%02x", $0) }.joined()
    }

    // MARK: download

    func download(_ request: Request, token: String, context: HubRequestContext) async -> Response {
        guard let file = await files.downloadable(token) else { return FirmwareGateway.plain(.notFound, "no such resource\n") }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
            let onDisk = (attributes[.size] as? NSNumber)?.int64Value, onDisk == file.size
        else {
            logger.error("resource file missing or of the wrong size", metadata: ["hub.path": "\(file.path)"])
            return FirmwareGateway.plain(.internalServerError, "resource file unavailable\n")
        }
        return await FirmwareGateway.fileResponse(path: file.path, size: file.size, request: request, context: context)
    }
}
