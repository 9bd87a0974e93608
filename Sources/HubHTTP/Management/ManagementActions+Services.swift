import CloudAPI
import DeviceAuth
import DeviceServices
import Foundation
import JSONCore
import Registry

extension ManagementActions {
    static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    /// Every device has a shadow from creation (empty, version 0); a missing device is
    /// `ResourceNotFound.ProductOrDeviceNotExist`.
    private func shadowDevice(_ p: ActionParameters) async throws -> DeviceKey {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        let name = try Self.require(p.string("DeviceName"), "DeviceName")
        do {
            _ = try await registry.device(productId: productId, name: name)
        } catch {
            throw ManagementError("ResourceNotFound.ProductOrDeviceNotExist", "product or device not exist")
        }
        return DeviceKey(productId: productId, name: name)
    }

    private static func document(_ text: String?) -> ShadowDocument {
        text.flatMap { try? JSONValue(parsing: $0) }.flatMap(ShadowDocument.init(storage:)) ?? ShadowDocument()
    }

    func describeDeviceShadow(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let key = try await shadowDevice(p)
        let text = try await call { try await registry.withShadow(key) { $0 } }
        let data = ShadowProtocol.managementData(Self.document(text), type: "get", nowMillis: Self.nowMillis())
        return [("Data", .string(data.serializedString()))]
    }

    func updateDeviceShadow(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let key = try await shadowDevice(p)
        let stateText = try Self.require(p.string("State"), "State")
        guard let expected = p.int("ShadowVersion") else { throw ManagementError.missing("ShadowVersion") }
        if let prefix = p.string("Prefix"), !prefix.isEmpty, prefix != "$shadow", prefix != "$template" {
            throw ManagementError("InvalidParameterValue.PrefixInvalid", "Prefix must be $shadow or $template")
        }
        guard let state = try? JSONValue(parsing: stateText), case .object(let object) = state else {
            throw ManagementError("InvalidParameterValue.InvalidJSON", "State is not a JSON object")
        }
        guard object.keys.allSatisfy({ $0 == "desired" }), let desired = object["desired"] else {
            throw ManagementError("InvalidParameterValue.JSONHasInvalidNode", "State may only hold desired")
        }
        guard case .object = desired else { throw ManagementError("InvalidParameterValue.NotMergeAble", "desired must be an object") }
        let now = Self.nowMillis()
        enum Outcome: Sendable { case versionMismatch, tooLarge, updated(ShadowDocument) }
        let outcome = try await call {
            try await registry.withShadow(key) { text -> Outcome in
                var document = Self.document(text)
                guard document.version == Int64(expected) else { return .versionMismatch }
                do {
                    try document.update(reported: nil, desired: desired, overwriteReported: false, now: now)
                } catch {
                    return .tooLarge
                }
                text = document.storageJSON.serializedString()
                return .updated(document)
            }
        }
        switch outcome {
        case .versionMismatch: throw ManagementError("FailedOperation.UpdateVersionNotMatch", "ShadowVersion does not match the shadow's version")
        case .tooLarge: throw ManagementError("InvalidParameterValue.JSONSizeExceedLimit", "the shadow would exceed 8 KiB")
        case .updated(let document):
            if let push = ShadowProtocol.deltaPush(document), let messaging {
                messaging.publish(topic: "$shadow/operation/result/\(key.productId)/\(key.name)", payload: push.serialized(), qos: 0)
            }
            let data = ShadowProtocol.managementData(document, type: "update", nowMillis: now)
            return [("Data", .string(data.serializedString()))]
        }
    }

    func deleteDeviceShadow(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let key = try await shadowDevice(p)
        let now = Self.nowMillis()
        try await call {
            try await registry.withShadow(key) { text in
                var document = Self.document(text)
                document.clear(now: now)
                text = document.storageJSON.serializedString()
            }
        }
        return []
    }

    private static func payload(_ p: ActionParameters) throws -> [UInt8] {
        guard let text = p.string("Payload") else { throw ManagementError.missing("Payload") }
        switch p.string("PayloadEncoding") ?? "" {
        case "": return Array(text.utf8)
        case "base64":
            guard let data = Data(base64Encoded: text) else { throw ManagementError.invalidValue("Payload is not valid Base64") }
            return Array(data)
        default: throw ManagementError.invalidValue("PayloadEncoding must be empty or base64")
        }
    }

    /// PublishBroadcastMessage: the payload to `$broadcast/rxd/{pid}/{dn}` of every online device.
    func publishBroadcastMessage(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        let payload = try Self.payload(p)
        guard payload.count <= Self.maxPayloadSize else {
            throw ManagementError("InvalidParameterValue.PayloadOverLimit", "payload larger than \(Self.maxPayloadSize) bytes")
        }
        let qos = p.int("Qos") ?? 0
        guard qos == 0 || qos == 1 else { throw ManagementError.invalidValue("Qos must be 0 or 1") }
        _ = try await call { try await registry.product(productId) }
        guard let messaging else { throw ManagementError("FailedOperation", "the MQTT broker is not running") }
        for clientId in messaging.onlineDevices(productId: productId) {
            guard let (_, deviceName) = DeviceIdentifiers.splitClientId(clientId) else { continue }
            messaging.publish(topic: "$broadcast/rxd/\(productId)/\(deviceName)", payload: payload, qos: qos)
        }
        return [("TaskId", .int(Self.nowMillis()))]
    }

    /// PublishRRPCMessage: request on `$rrpc/rxd/{pid}/{dn}/{MessageId}`, the reply within 5 s.
    func publishRRPCMessage(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        let name = try Self.require(p.string("DeviceName"), "DeviceName")
        guard let text = p.string("Payload") else { throw ManagementError.missing("Payload") }
        _ = try await call { try await registry.device(productId: productId, name: name) }
        guard let messaging else { throw ManagementError("FailedOperation", "the MQTT broker is not running") }
        let clientId = DeviceIdentifiers.clientId(productId: productId, deviceName: name)
        guard messaging.isOnline(clientId: clientId) else { throw ManagementError("FailedOperation.DeviceOffline", "device offline") }
        guard messaging.isSubscribed(clientId: clientId, topic: "$rrpc/rxd/\(productId)/\(name)/1") else {
            throw ManagementError("FailedOperation.DeviceNoSubscription", "the device has not subscribed to its RRPC topic")
        }
        let (messageId, reply) = await messaging.rrpc(productId: productId, deviceName: name, payload: Array(text.utf8), timeout: .seconds(5))
        guard let reply else { throw ManagementError("FailedOperation.RRPCTimeout", "no reply from the device within 5 s") }
        return [("MessageId", .int(messageId)), ("PayloadBase64", .string(Data(reply).base64EncodedString()))]
    }

    /// UpdateDeviceLogLevel: stored, and pushed to an online device.
    func updateDeviceLogLevel(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        let name = try Self.require(p.string("DeviceName"), "DeviceName")
        let level = try Self.require(p.int("LogLevel"), "LogLevel")
        try await call { try await registry.setLogLevel(DeviceKey(productId: productId, name: name), level: level) }
        messaging?.publish(
            topic: "$log/operation/result/\(productId)/\(name)",
            payload: Array(#"{"type":"get_log_level","result":0,"log_level":\#(level)}"#.utf8), qos: 0
        )
        return []
    }
}
