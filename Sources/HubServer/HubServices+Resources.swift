import DeviceServices
import HubHTTP
import Logging
import MQTTCore
import Registry

/// Resource management on `$resource/up/service/{pid}/{dn}` (device-protocol.md §6.12): download tasks,
/// upload tasks and progress reports, answered on `$resource/down/service/{pid}/{dn}`. Anything
/// `ResourceProtocol.parse` refuses is ignored and changes nothing; so is everything when the hub keeps no
/// resources.
extension HubServices {
    func handleResource(_ payload: [UInt8], key: DeviceKey) async {
        guard let resources, let request = ResourceProtocol.parse(payload) else { return }
        let down = ResourceProtocol.downTopic(productId: key.productId, deviceName: key.name)
        do {
            switch request {
            case .getDownloadTask:
                // No pending task: no reply (the vendor text answers "if a download task exists").
                guard let task = try await resources.downloadTask(for: key) else { return }
                publish(down, ResourceProtocol.downloadTask(task, .reply), qos: .atLeastOnce)
            case .createUploadTask(let name, let size, let md5):
                // Over a limit: no reply (C33 has no error reply to parse).
                guard let task = try await resources.createUploadTask(key, name: name, size: size, md5: md5) else { return }
                publish(down, ResourceProtocol.uploadTask(task), qos: .atLeastOnce)
            case .downloadProgress(let name, let progress):
                let outcome = try await resources.downloadProgress(key, name: name, progress)
                publish(down, ResourceProtocol.progressReply(.download, resultCode: outcome.resultCode, resultMessage: outcome.resultMessage))
                if let next = outcome.next { publish(down, ResourceProtocol.downloadTask(next, .push), qos: .atLeastOnce) }
            case .uploadProgress(let name, let progress):
                let reply = try await resources.uploadProgress(key, name: name, progress)
                publish(down, ResourceProtocol.progressReply(.upload, resultCode: reply.resultCode, resultMessage: reply.resultMessage))
            }
        } catch {
            logger.warning("resource request failed", metadata: ["hub.device": "\(key)", "error": "\(error)"])
        }
    }
}
