import BrokerCore
import CloudAPI
import DeviceServices
import Foundation
import HubHTTP
import JSONCore
import Logging
import MQTTCore
import MQTTServer
import Metrics
import NIOCore
import Registry
import ServiceLifecycle

/// The hub's own services on the device topics (device-protocol.md §6): shadow, time, remote config, log
/// level, OTA version reports, RRPC replies, gateway operations, resource management. Fed by the broker (`BrokerAction.toHub`), answering through
/// `Broker.publish` in process.
final class HubServices: Service, @unchecked Sendable {
    /// Topics the services consume.
    static let filters = [
        "$shadow/operation/+/+", "$sys/operation/+/+", "$config/operation/+/+", "$log/operation/+/+", "$ota/report/+/+",
        "$rrpc/txd/+/+/+", "$gateway/operation/+/+", "$resource/up/service/+/+",
        // Device messages in their own namespace ({pid}/{dn}/…), for product webhooks.
        "+/+/#",
    ]

    let registry: RegistryEngine
    let webhooks: WebhookService
    /// Resource management (`$resource/up/service`); nil: its messages are ignored.
    let resources: ResourceRepository?
    let logger: Logger
    let rrpc = RRPCWaiters()
    /// Device messages from the broker waiting for the services, budgeted in bytes (topic + payload), each
    /// with the completion its publisher's acknowledgement waits for, if it does.
    let queue: ByteBudgetQueue<(MQTTPublish, ClientIdentity, HubCompletion?)>
    private let drops: DropLog
    private let dropCounter = Counter(label: "iothub_queue_dropped_total", dimensions: [("queue", "device_services")])
    /// Set once the MQTT server exists.
    var host: BrokerHost?

    /// Default budget of the queue: 16 MiB.
    static let defaultQueueBytes = 16 * 1024 * 1024

    init(
        registry: RegistryEngine, webhooks: WebhookService, resources: ResourceRepository? = nil, logger: Logger,
        queueBytes: Int = HubServices.defaultQueueBytes
    ) {
        self.registry = registry
        self.webhooks = webhooks
        self.resources = resources
        self.logger = logger
        self.queue = ByteBudgetQueue(budget: queueBytes)
        self.drops = DropLog(logger: logger)
    }

    /// Reports whose QoS 1/2 acknowledgement waits until the services have stored what they report (shadow
    /// updates, OTA progress and version reports): the PUBACK promises they are on disk.
    static func acknowledgesAfterHandling(_ message: MQTTPublish) -> Bool {
        message.topic.hasPrefix("$shadow/operation/") || message.topic.hasPrefix("$ota/report/")
    }

    /// A device message for the services, from the broker's hot path (under its lock): never waits; over
    /// the budget the message is dropped and counted (and a waiting acknowledgement fails: the connection
    /// closes unacknowledged, so that the device sends it again).
    func offer(_ message: MQTTPublish, from identity: ClientIdentity, completion: HubCompletion? = nil) {
        guard queue.offer((message, identity, completion), size: message.topic.utf8.count + message.payload.readableBytes) else {
            dropCounter.increment()
            drops.dropped("device_services")
            completion?(false)
            return
        }
    }

    static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    func run() async throws {
        await withGracefulShutdownHandler {
            while let (message, identity, completion) = await queue.next() {
                guard case .device(let productId, let deviceName) = identity else {
                    completion?(true)
                    continue
                }
                let stored = await handle(message, key: Self.subject(of: message.topic, publisher: DeviceKey(productId: productId, name: deviceName)))
                completion?(stored)
            }
        } onGracefulShutdown: { [queue] in
            queue.finish()
        }
    }

    /// The device a message is from: the publisher, or the sub-device whose topic a gateway used for it
    /// (the topic rules let a gateway use only the topics of sub-devices attached to it).
    static func subject(of topic: String, publisher: DeviceKey) -> DeviceKey {
        guard let (productId, name) = TencentTopicACL.deviceNamespace(topic), productId != publisher.productId || name != publisher.name else { return publisher }
        return DeviceKey(productId: String(productId), name: String(name))
    }

    /// Handles one device message; false when what it reports could not be stored (a registry write failed).
    @discardableResult
    func handle(_ message: MQTTPublish, key: DeviceKey) async -> Bool {
        let received = Self.nowMillis()
        let levels = message.topic.split(separator: "/", omittingEmptySubsequences: false)
        let payload = Array(message.payload.readableBytesView)
        let base = "\(key.productId)/\(key.name)"
        switch (levels.first, levels.count) {
        case ("$shadow", 4):
            return await handleShadow(payload, key: key)
        case ("$sys", 4):
            // {"type":"get","resource":["time"]} → time in s, hub receive and send times in ms.
            guard let request = try? JSONValue(parsing: payload), request["type"]?.stringValue == "get" else { return true }
            let reply: JSONValue = .object(JSONObject([
                ("type", .string("get")), ("time", .int(received / 1000)), ("ntptime1", .int(received)), ("ntptime2", .int(Self.nowMillis())),
            ]))
            publish("$sys/operation/result/\(base)", reply)
        case ("$config", 4):
            guard let request = try? JSONValue(parsing: payload), request["type"]?.stringValue == "get" else { return true }
            let stored = (try? await registry.product(key.productId))?.remoteConfig.flatMap { try? JSONValue(parsing: $0) }
            let config = stored ?? .object(JSONObject())
            publish("$config/operation/result/\(base)", .object(JSONObject([("type", .string("reply")), ("result", .int(0)), ("payload", config)])))
        case ("$log", 4):
            guard let request = try? JSONValue(parsing: payload), request["type"]?.stringValue == "get_log_level" else { return true }
            let level = (try? await registry.device(productId: key.productId, name: key.name))?.logLevel ?? 0
            var fields: [(String, JSONValue)] = [("type", .string("get_log_level"))]
            if let token = request["clientToken"] { fields.append(("clientToken", token)) }
            fields += [("result", .int(0)), ("log_level", .int(Int64(level)))]
            publish("$log/operation/result/\(base)", .object(JSONObject(fields)))
        case ("$ota", 4):
            return await handleOTAReport(payload, key: key, durable: message.qos != .atMostOnce)
        case ("$rrpc", 5):
            await rrpc.reply(key: key, processId: String(levels[4]), payload: payload)
        case ("$gateway", 4):
            await handleGateway(payload, gateway: key)
        case ("$resource", 5):
            await handleResource(payload, key: key)
        case (key.productId?, _):
            await webhooks.message(productId: key.productId, deviceName: key.name, topic: message.topic, payload: payload, qos: Int(message.qos.rawValue))
        default:
            break
        }
        return true
    }

    /// False when the request could not be stored (answered nothing; the device asks again).
    func handleShadow(_ payload: [UInt8], key: DeviceKey) async -> Bool {
        let now = Self.nowMillis()
        do {
            let outcome = try await registry.withShadow(key) { text in
                var document = text.flatMap { try? JSONValue(parsing: $0) }.flatMap(ShadowDocument.init(storage:)) ?? ShadowDocument()
                let outcome = ShadowProtocol.handle(payload, document: &document, nowMillis: now)
                if case .reply(_, true, _) = outcome { text = document.storageJSON.serializedString() }
                return outcome
            }
            guard case .reply(let reply, _, let push) = outcome else { return true }
            publish("$shadow/operation/result/\(key.productId)/\(key.name)", reply)
            if let push { publish("$shadow/operation/result/\(key.productId)/\(key.name)", push) }
            return true
        } catch {
            logger.warning("shadow request failed", metadata: ["hub.device": "\(key)", "error": "\(error)"])
            return false
        }
    }

    /// A message another node of the cluster routed. The services run on the node the device is connected to;
    /// only an RRPC reply is taken here too, as the request it answers may have been made on this node's API.
    func fromCluster(_ message: MQTTPublish) async {
        guard message.topic.hasPrefix("$rrpc/txd/") else { return }
        let levels = message.topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 5 else { return }
        await rrpc.reply(key: DeviceKey(productId: String(levels[2]), name: String(levels[3])), processId: String(levels[4]), payload: Array(message.payload.readableBytesView))
    }

    /// Publishes a hub message to a device topic.
    func publish(_ topic: String, _ value: JSONValue, qos: MQTTQoS = .atMostOnce) {
        publish(topic, value.serialized(), qos: qos)
    }

    func publish(_ topic: String, _ bytes: [UInt8], qos: MQTTQoS = .atMostOnce) {
        let message = MQTTPublish(topic: topic, payload: ByteBuffer(bytes: bytes), qos: qos, retain: false, dup: false, packetId: nil, properties: MQTTProperties())
        host?.perform { broker, _ in broker.publish(message) }
    }
}

/// PublishRRPCMessage calls waiting for the device's reply on `$rrpc/txd/{pid}/{dn}/{processId}`.
actor RRPCWaiters {
    private var waiting: [String: CheckedContinuation<[UInt8]?, Never>] = [:]
    /// Random start: the nodes of a cluster number their requests apart, so a reply (which reaches every node)
    /// answers only the request it was meant for.
    private var nextId = Int64.random(in: 1..<1_000_000_000)

    func newMessageId() -> Int64 {
        nextId += 1
        return nextId
    }

    private static func key(_ device: DeviceKey, _ processId: String) -> String { "\(device.productId)/\(device.name)/\(processId)" }

    /// Waits for the reply; nil after the timeout.
    func wait(key device: DeviceKey, processId: String, timeout: Duration, afterRegistering send: @Sendable () -> Void) async -> [UInt8]? {
        let key = Self.key(device, processId)
        return await withCheckedContinuation { continuation in
            waiting[key] = continuation
            send()
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(key)
            }
        }
    }

    private func expire(_ key: String) {
        waiting.removeValue(forKey: key)?.resume(returning: nil)
    }

    func reply(key device: DeviceKey, processId: String, payload: [UInt8]) {
        waiting.removeValue(forKey: Self.key(device, processId))?.resume(returning: payload)
    }
}
