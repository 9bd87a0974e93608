import DeviceServices
import JSONCore
import Logging

/// Sorts the messages a device receives by topic: replies resolve the request waiting for them (by
/// `clientToken`, or in order where the protocol has none), pushes go to their stream, everything else
/// to the device's general message stream.
actor ServiceRouter {
    typealias Reply = CheckedContinuation<JSONObject, any Error>

    private let topics: DeviceTopics
    private let logger: Logger
    private var waiting: [String: Reply] = [:]
    private var counter = 0

    let sinks: Sinks

    struct Sinks: Sendable {
        var messages: AsyncStream<MQTTMessage>.Continuation
        var shadowDeltas: AsyncStream<ShadowDelta>.Continuation
        var firmwareUpdates: AsyncStream<FirmwareUpdate>.Continuation
        var broadcasts: AsyncStream<MQTTMessage>.Continuation
        var rrpcRequests: AsyncStream<RRPCRequest>.Continuation
        var configPushes: AsyncStream<JSONObject>.Continuation
        var gatewayPushes: AsyncStream<GatewayPush>.Continuation

        func finish() {
            messages.finish()
            shadowDeltas.finish()
            firmwareUpdates.finish()
            broadcasts.finish()
            rrpcRequests.finish()
            configPushes.finish()
            gatewayPushes.finish()
        }
    }

    init(topics: DeviceTopics, sinks: Sinks, logger: Logger) {
        self.topics = topics
        self.sinks = sinks
        self.logger = logger
    }

    /// A fresh `clientToken` in the C SDK's style, `{pid}-{n}`.
    func nextToken() -> String {
        defer { counter += 1 }
        return "\(topics.productId)-\(counter)"
    }

    /// Registers interest in the reply keyed `key`, runs `send`, and waits up to `timeout` for the reply.
    func request(key: String, timeout: Duration, send: @escaping @Sendable () async throws -> Void) async throws -> JSONObject {
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.fail(key: key, DeviceServiceError("no reply to \(key) within \(timeout)"))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            if let previous = waiting.updateValue(continuation, forKey: key) {
                previous.resume(throwing: DeviceServiceError("superseded by a newer request \(key)"))
            }
            Task {
                do {
                    try await send()
                } catch {
                    self.fail(key: key, error)
                }
            }
        }
    }

    private func fail(key: String, _ error: any Error) {
        waiting.removeValue(forKey: key)?.resume(throwing: error)
    }

    private func resolve(key: String, _ object: JSONObject) -> Bool {
        guard let continuation = waiting.removeValue(forKey: key) else { return false }
        continuation.resume(returning: object)
        return true
    }

    func failAll(_ error: any Error) {
        for (_, continuation) in waiting { continuation.resume(throwing: error) }
        waiting.removeAll()
    }

    /// Routes one received message.
    func route(_ message: MQTTMessage) {
        let topic = message.topic
        if topic.hasPrefix("$") {
            if topic == topics.broadcast {
                sinks.broadcasts.yield(message)
                return
            }
            if let processId = topics.rrpcProcessId(of: topic) {
                sinks.rrpcRequests.yield(RRPCRequest(processId: processId, payload: message.payload))
                return
            }
            guard let object = try? JSONValue(parsing: message.payload).objectValue else {
                logger.debug("service message is not a JSON object", metadata: ["topic": "\(topic)"])
                return
            }
            let type = object["type"]?.stringValue ?? ""
            switch topic {
            case topics.shadowResult:
                if type == "delta" {
                    let payload = object["payload"]?.objectValue ?? [:]
                    sinks.shadowDeltas.yield(ShadowDelta(
                        state: payload["state"]?.objectValue ?? [:],
                        version: payload["version"]?.int64Value ?? 0,
                        timestamp: payload["timestamp"]?.int64Value ?? 0
                    ))
                } else if let token = object["clientToken"]?.stringValue {
                    _ = resolve(key: "shadow:" + token, object)
                }
            case topics.sysResult:
                _ = resolve(key: "time", object)
            case topics.otaUpdate:
                if type == "update_firmware" {
                    guard let version = object["version"]?.stringValue, let url = object["url"]?.stringValue,
                        let md5 = object["md5sum"]?.stringValue, let size = object["file_size"]?.int64Value
                    else {
                        logger.warning("update_firmware without version, url, md5sum or file_size")
                        return
                    }
                    sinks.firmwareUpdates.yield(FirmwareUpdate(version: version, url: url, md5: md5, fileSize: size))
                } else if type == "report_version_rsp" {
                    _ = resolve(key: "ota:" + (object["version"]?.stringValue ?? ""), object)
                }
            case topics.configResult:
                if type == "push" {
                    sinks.configPushes.yield(object["payload"]?.objectValue ?? [:])
                } else {
                    _ = resolve(key: "config", object)
                }
            case topics.gatewayResult:
                routeGateway(type: type, object, payload: message.payload)
            case topics.logResult:
                if let token = object["clientToken"]?.stringValue {
                    _ = resolve(key: "log:" + token, object)
                }
            default:
                sinks.messages.yield(message)
            }
            return
        }
        sinks.messages.yield(message)
    }

    /// Gateway replies resolve `gateway:{type}:{pid}/{dn}` (by their first device, as the C SDK matches) or
    /// `gateway:describe_sub_devices`; the hub's `change` and `unbind_all` pushes go to their stream.
    private func routeGateway(type: String, _ object: JSONObject, payload: [UInt8]) {
        switch GatewayProtocol.parseReply(payload) {
        case .change(let bound, let devices)?:
            sinks.gatewayPushes.yield(.changed(bound: bound, devices))
        case .unbindAll?:
            sinks.gatewayPushes.yield(.unbindAll)
        case .subDevices?:
            _ = resolve(key: "gateway:describe_sub_devices", object)
        case .result(let operation, let results)?:
            guard let first = results.first?.0 else { return }
            _ = resolve(key: Self.gatewayKey(operation, first), object)
        default:
            logger.debug("gateway message ignored", metadata: ["type": "\(type)"])
        }
    }

    static func gatewayKey(_ operation: GatewayProtocol.Operation, _ device: GatewayProtocol.SubDevice) -> String {
        "gateway:\(operation.rawValue):\(device.productId)/\(device.deviceName)"
    }
}
