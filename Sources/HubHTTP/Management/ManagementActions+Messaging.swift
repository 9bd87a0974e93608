import DeviceAuth
import Foundation
import Registry

extension ManagementActions {
    /// Largest PublishMessage payload accepted (after Base64 decoding). C devices read 2 KiB packets; the
    /// hub does not enforce that, but keeps management messages bounded.
    static let maxPayloadSize = 64 * 1024

    /// PublishMessage: a message to one online device on a topic of its namespace it subscribes to.
    func publishMessage(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        let deviceName = try Self.require(p.string("DeviceName"), "DeviceName")
        let topic = try Self.require(p.string("Topic"), "Topic")
        guard let payloadText = p.string("Payload") else { throw ManagementError.missing("Payload") }
        let qos = p.int("Qos") ?? 0
        guard qos == 0 || qos == 1 else { throw ManagementError.invalidValue("Qos must be 0 or 1") }
        let payload: [UInt8]
        switch p.string("PayloadEncoding") ?? "" {
        case "": payload = Array(payloadText.utf8)
        case "base64":
            guard let data = Data(base64Encoded: payloadText) else { throw ManagementError.invalidValue("Payload is not valid Base64") }
            payload = Array(data)
        default: throw ManagementError.invalidValue("PayloadEncoding must be empty or base64")
        }
        guard payload.count <= Self.maxPayloadSize else {
            throw ManagementError("InvalidParameterValue.PayloadOverLimit", "payload larger than \(Self.maxPayloadSize) bytes")
        }
        let device = try await call { try await registry.device(productId: productId, name: deviceName) }
        guard device.enabled else { throw ManagementError("FailedOperation.DeviceAlreadyDisabled", "device is disabled") }
        // `{pid}/{dn}/[a-zA-Z0-9:_-]{1,128}`, and a topic the device may receive.
        let prefix = "\(productId)/\(deviceName)/"
        let suffix = topic.hasPrefix(prefix) ? topic.dropFirst(prefix.count) : ""
        guard !suffix.isEmpty, suffix.utf8.count <= 128, suffix != "event",
            suffix.utf8.allSatisfy({ ($0 >= 48 && $0 <= 58) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 45 })
        else {
            throw ManagementError("FailedOperation.InvalidTopicName", "topic must be \(prefix){name} and subscribable by the device")
        }
        guard let messaging else { throw ManagementError("FailedOperation", "the MQTT broker is not running") }
        let clientId = DeviceIdentifiers.clientId(productId: productId, deviceName: deviceName)
        guard messaging.isOnline(clientId: clientId) else { throw ManagementError("FailedOperation.DeviceOffline", "device offline") }
        guard messaging.isSubscribed(clientId: clientId, topic: topic) else {
            throw ManagementError("FailedOperation.DeviceNoSubscription", "the device has no subscription for the topic")
        }
        messaging.publish(topic: topic, payload: payload, qos: qos)
        return []
    }

    // MARK: applications (hub actions)

    func createApplication(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let name = try Self.require(p.string("Name"), "Name")
        guard let products = p.strings("ProductIds"), !products.isEmpty else { throw ManagementError.missing("ProductIds") }
        // The only time the AppSecret is shown: the registry keeps a salted hash.
        let (application, secret) = try await call { try await registry.createApplication(name: name, productIds: products) }
        return [
            ("AppId", .string(application.id)), ("AppSecret", .string(secret)), ("Name", .string(application.name)),
            ("ProductIds", .array(application.productIds.map(ActionValue.string))),
        ]
    }

    func describeApplications(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let offset = p.int("Offset") ?? 0
        let limit = p.int("Limit") ?? 100
        guard offset >= 0, (1...250).contains(limit) else { throw ManagementError.invalidValue("Offset must be >= 0 and Limit between 1 and 250") }
        let page = await registry.applications(offset: offset, limit: limit)
        return [
            ("TotalCount", .int(page.total)),
            (
                "Applications",
                .array(
                    page.applications.map {
                        .object([
                            ("AppId", .string($0.id)), ("Name", .string($0.name)),
                            ("ProductIds", .array($0.productIds.map(ActionValue.string))), ("CreateTime", .int($0.createdAt)),
                        ])
                    }
                )
            ),
        ]
    }

    func deleteApplication(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let id = try Self.require(p.string("AppId"), "AppId")
        try await call { try await registry.deleteApplication(id: id) }
        return []
    }
}
