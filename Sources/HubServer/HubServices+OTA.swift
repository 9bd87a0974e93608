import CloudAPI
import Foundation
import HubHTTP
import JSONCore
import Logging
import MQTTCore
import Registry
import ServiceLifecycle

/// OTA on `$ota/report/{pid}/{dn}` (device-protocol.md §6.4): version reports are answered and may
/// release a pending `update_firmware`; progress reports move the device's task entry. Anything else
/// (bad JSON, unknown type, wrong field types) is ignored and changes nothing.
extension HubServices {
    /// False when the report could not be stored. `durable`: the report came at QoS 1/2 and its PUBACK
    /// waits, so even a `downloading` progress is committed before (at QoS 0 it rides the next group commit).
    func handleOTAReport(_ payload: [UInt8], key: DeviceKey, durable: Bool) async -> Bool {
        guard let request = try? JSONValue(parsing: payload), let type = request["type"]?.stringValue else { return true }
        switch type {
        case "report_version":
            guard let version = request["report"]?["version"]?.stringValue, version.utf8.count <= 64 else { return true }
            let push: FirmwarePush?
            do {
                push = try await registry.firmwareVersionReported(key, version: version)
            } catch {
                logger.warning("firmware version report not stored", metadata: ["hub.device": "\(key)", "error": "\(error)"])
                return false
            }
            publish(
                FirmwareRepository.updateTopic(key),
                .object(JSONObject([
                    ("result_code", .int(0)), ("result_msg", .string("success")), ("type", .string("report_version_rsp")), ("version", .string(version)),
                ])),
                qos: .atLeastOnce
            )
            if let push { publish(FirmwareRepository.updateTopic(key), FirmwareRepository.updateMessage(push.command), qos: .atLeastOnce) }
        case "report_progress":
            guard let progress = Self.progress(request["report"]) else { return true }
            do {
                try await registry.firmwareProgressReported(key, progress, durable: durable)
            } catch {
                logger.warning("firmware progress report not stored", metadata: ["hub.device": "\(key)", "error": "\(error)"])
                return false
            }
        default:
            break
        }
        return true
    }

    /// `{"progress":{"state":"downloading","percent":"31","result_code":"0","result_msg":""},"version":"1.3.0"}`;
    /// `percent` and `result_code` are strings on the wire (numbers accepted too).
    static func progress(_ report: JSONValue?) -> FirmwareProgress? {
        guard let report, let body = report["progress"], let stateText = body["state"]?.stringValue,
            let state = FirmwareProgress.State(rawValue: stateText)
        else { return nil }
        func number(_ value: JSONValue?) -> Int64? {
            if let text = value?.stringValue { return Int64(text.trimmingCharacters(in: .whitespaces)) }
            return value?.int64Value
        }
        let version = report["version"]?.stringValue ?? ""
        return FirmwareProgress(
            state: state, percent: number(body["percent"]).map { Int(clamping: $0) }, resultCode: number(body["result_code"]),
            resultMessage: body["result_msg"]?.stringValue ?? "", version: version
        )
    }
}

/// Times out firmware task entries whose devices went silent (status 10), every few seconds.
struct FirmwareTimeoutService: Service {
    let registry: RegistryEngine
    var interval: Duration = .seconds(5)

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await registry.expireFirmwareTaskDevices()
            }
        }
    }
}
