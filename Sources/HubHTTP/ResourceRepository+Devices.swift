public import DeviceServices
import Foundation
import Logging
public import Registry

/// What the hub does with a device's messages on `$resource/up/service/{pid}/{dn}` (device-protocol.md
/// §6.12.3–§6.12.4). Each call returns what to publish on the down topic; records change only for messages
/// that passed `ResourceProtocol.parse`. Errors are storage failures (nothing is answered).
extension ResourceRepository {
    /// The answer to `get_download_task`: the device's oldest unfinished push, marked delivered; nil when it
    /// has none (no reply).
    public func downloadTask(for device: DeviceKey) async throws -> ResourceProtocol.Task? {
        guard var push = try await store.unfinishedPush(device: device) else { return nil }
        guard let resource = try await store.productResource(productId: device.productId, name: push.name) else { return nil }
        if push.status == .pending {
            push.status = .delivered
            push.updatedAt = Self.now()
            _ = try await store.updateResourcePush(push)
        }
        return ResourceProtocol.Task(name: resource.name, size: resource.size, md5: resource.md5, url: await url(resource.fileToken, operatorHost: nil))
    }

    /// A download progress report: the reply, and the device's next push once this one is done or failed
    /// (C33 takes one download at a time and asks for tasks only when its download loop starts).
    public func downloadProgress(_ device: DeviceKey, name: String, _ progress: ResourceProtocol.Progress) async throws -> (
        resultCode: Int64, resultMessage: String, next: ResourceProtocol.Task?
    ) {
        guard var push = try await store.resourcePush(device: device, name: name) else {
            // A task the hub does not have (the resource was deleted): non-zero stops the download.
            return (1, ResourceProtocol.ReplyMessage.noSuchTask, nil)
        }
        switch progress.state {
        case .downloading, .uploading:
            push.status = .downloading
            push.percent = progress.percent ?? push.percent
        case .done:
            push.status = .done
            push.percent = 100
        case .fail:
            push.status = .failed
        }
        push.resultCode = progress.resultCode
        push.resultMessage = progress.resultMessage
        push.updatedAt = Self.now()
        _ = try await store.updateResourcePush(push)
        guard push.status.isFinal else { return (0, "ok", nil) }
        Self.count("iothub_resource_downloads_total", [("result", push.status == .done ? "done" : "fail")])
        return (0, "ok", try await downloadTask(for: device))
    }

    /// `create_upload_task`: records the task (replacing an earlier upload of the name) and opens its upload
    /// URL; nil (no reply, nothing changed) when the size is over the maximum or a quota would be exceeded.
    public func createUploadTask(_ device: DeviceKey, name: String, size: Int64, md5: String) async throws -> ResourceProtocol.Task? {
        guard size >= 1, size <= limits.maxFileSize else {
            logger.notice("resource upload refused: too large", metadata: ["hub.device": "\(device)", "hub.size": "\(size)", "hub.limit": "\(limits.maxFileSize)"])
            return nil
        }
        let previous = try await store.deviceResource(device: device, name: name)
        guard try await fits(size, device: device, replacing: previous?.size ?? 0) else {
            logger.notice("resource upload refused: quota", metadata: ["hub.device": "\(device)", "hub.size": "\(size)"])
            Self.count("iothub_resource_uploads_total", [("kind", "device"), ("result", "quota")])
            return nil
        }
        try await store.putDeviceResource(DeviceResource(productId: device.productId, deviceName: device.name, name: name, md5: md5, size: size, updatedAt: Self.now()))
        if let old = previous?.fileToken {
            revokeGrants(fileToken: old)
            removeFile(old)
        }
        let token = openSlot(.device(device, name: name), size: size, md5: md5)
        return ResourceProtocol.Task(name: name, size: size, md5: md5, url: await url(token, operatorHost: nil))
    }

    /// An upload progress report: the reply. `done` answers 0 only when the PUT delivered the file intact,
    /// else 1 with `upload not received` or `md5 mismatch` (the task then counts as failed).
    public func uploadProgress(_ device: DeviceKey, name: String, _ progress: ResourceProtocol.Progress) async throws -> (resultCode: Int64, resultMessage: String) {
        guard var record = try await store.deviceResource(device: device, name: name) else {
            switch progress.state {
            case .done: return (1, ResourceProtocol.ReplyMessage.uploadNotReceived)
            case .fail: return (0, "ok")
            case .uploading, .downloading: return (1, ResourceProtocol.ReplyMessage.noSuchTask)
            }
        }
        var reply: (Int64, String) = (0, "ok")
        switch progress.state {
        case .uploading, .downloading:
            // A report after the end does not reopen the task.
            guard record.status == .waiting || record.status == .uploading else { return (0, "ok") }
            record.status = .uploading
            record.percent = progress.percent ?? record.percent
        case .done:
            if record.fileToken != nil {
                record.status = .done
                record.percent = 100
            } else {
                record.status = .failed
                reply = (1, record.uploadError ?? ResourceProtocol.ReplyMessage.uploadNotReceived)
            }
        case .fail:
            record.status = .failed
        }
        record.updatedAt = Self.now()
        try await store.putDeviceResource(record)
        return reply
    }
}

extension ResourceRepository {
    /// Remembers why a device's PUT was refused, for the reply to its `done` (only while the task is the same).
    func noteUploadError(_ device: DeviceKey, name: String, md5: String, _ reason: String) async {
        guard var record = try? await store.deviceResource(device: device, name: name), record.md5 == md5, record.fileToken == nil else { return }
        record.uploadError = reason
        record.updatedAt = Self.now()
        try? await store.putDeviceResource(record)
    }
}
