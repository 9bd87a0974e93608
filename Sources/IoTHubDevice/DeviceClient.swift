import DeviceAuth
import Foundation
public import JSONCore
public import Logging
public import MQTTCore
import NIOSSL

/// A device connected to its hub: the MQTT session with the device's credential, the standard service
/// topics subscribed, replies matched to requests, pushes on their own streams.
///
/// ```swift
/// let store = try FileIdentityStore.create(path: "device_info.json", productId: pid, productSecret: secret, deviceName: imei)
/// let device = try await DeviceClient.boot(store: store, configuration: DeviceConfiguration(
///     registrationURL: URL(string: "http://hub.local:8080")!, mqttHost: "hub.local"))
/// try await device.publishEvent(#"{"temperature":21.5}"#)
/// for await command in device.messages { … }
/// ```
public final class DeviceClient: Sendable {
    public let identity: DeviceIdentity
    public let configuration: DeviceConfiguration
    public let topics: DeviceTopics
    /// The MQTT session (its ``MQTTClient/events`` report connection changes).
    public let mqtt: MQTTClient

    /// Messages on `control`, `data` and product topics (anything not a service reply or push).
    public let messages: AsyncStream<MQTTMessage>
    /// Shadow deltas the hub pushes (desired ≠ reported).
    public let shadowDeltas: AsyncStream<ShadowDelta>
    /// `update_firmware` commands.
    public let firmwareUpdates: AsyncStream<FirmwareUpdate>
    /// `$broadcast/rxd` messages.
    public let broadcasts: AsyncStream<MQTTMessage>
    /// RRPC requests; answer each with ``reply(to:payload:)``.
    public let rrpcRequests: AsyncStream<RRPCRequest>
    /// Remote configuration the hub pushes.
    public let configPushes: AsyncStream<JSONObject>
    /// What the hub tells a gateway about its sub-devices (see ``startGateway()``).
    public let gatewayPushes: AsyncStream<GatewayPush>

    let router: ServiceRouter
    private let logger: Logger
    private let routing: Task<Void, Never>

    /// Makes a device client for an identity that holds a credential. Call ``connect()`` next.
    public init(identity: DeviceIdentity, configuration: DeviceConfiguration, logger: Logger = Logger(label: "IoTHubDevice")) throws {
        guard let credential = identity.credential else {
            throw DeviceServiceError("\(identity.deviceName) has no credential yet: register first (or use DeviceClient.boot)")
        }
        self.identity = identity
        self.configuration = configuration
        self.logger = logger
        topics = DeviceTopics(productId: identity.productId, deviceName: identity.deviceName)
        mqtt = try MQTTClient(configuration: Self.mqttConfiguration(identity: identity, credential: credential, configuration: configuration), logger: logger)

        let buffer = AsyncStream<MQTTMessage>.Continuation.BufferingPolicy.bufferingNewest(10_000)
        let (messages, messageSink) = AsyncStream.makeStream(of: MQTTMessage.self, bufferingPolicy: buffer)
        let (deltas, deltaSink) = AsyncStream.makeStream(of: ShadowDelta.self, bufferingPolicy: .bufferingNewest(100))
        let (updates, updateSink) = AsyncStream.makeStream(of: FirmwareUpdate.self, bufferingPolicy: .bufferingNewest(10))
        let (broadcasts, broadcastSink) = AsyncStream.makeStream(of: MQTTMessage.self, bufferingPolicy: buffer)
        let (rrpc, rrpcSink) = AsyncStream.makeStream(of: RRPCRequest.self, bufferingPolicy: .bufferingNewest(100))
        let (configs, configSink) = AsyncStream.makeStream(of: JSONObject.self, bufferingPolicy: .bufferingNewest(10))
        let (gatewayPushes, gatewaySink) = AsyncStream.makeStream(of: GatewayPush.self, bufferingPolicy: .bufferingNewest(100))
        self.messages = messages
        shadowDeltas = deltas
        firmwareUpdates = updates
        self.broadcasts = broadcasts
        rrpcRequests = rrpc
        configPushes = configs
        self.gatewayPushes = gatewayPushes
        let router = ServiceRouter(
            topics: topics,
            sinks: .init(
                messages: messageSink, shadowDeltas: deltaSink, firmwareUpdates: updateSink, broadcasts: broadcastSink,
                rrpcRequests: rrpcSink, configPushes: configSink, gatewayPushes: gatewaySink
            ),
            logger: logger
        )
        self.router = router
        let mqtt = mqtt
        routing = Task {
            for await message in mqtt.messages {
                await router.route(message)
            }
            await router.failAll(MQTTClientError(.stopped, "the device disconnected"))
            router.sinks.finish()
        }
    }

    deinit {
        routing.cancel()
    }

    /// The MQTT settings for a device: ClientId `{pid}{dn}`, a fresh signed username and password per
    /// connection for key devices, the X.509 certificate for certificate devices.
    static func mqttConfiguration(
        identity: DeviceIdentity, credential: RegistrationCredential, configuration: DeviceConfiguration
    ) throws -> MQTTClientConfiguration {
        let productId = identity.productId
        let deviceName = identity.deviceName
        var transport = MQTTClientConfiguration.Transport.tcp
        var credentials: @Sendable () throws -> MQTTClientConfiguration.Credentials
        switch credential {
        case .psk(let psk):
            let method = configuration.passwordMethod
            credentials = {
                let username = DeviceUsername.make(productId: productId, deviceName: deviceName, expiry: .never)
                let password = try MQTTPassword.make(username: username, devicePSK: psk, method: method)
                return .init(username: username, password: Array(password.utf8))
            }
            if configuration.useTLS {
                transport = .tls(try tlsConfiguration(configuration, certificate: nil), serverName: configuration.tlsServerName)
            }
        case .certificate(let certificatePEM, let privateKeyPEM):
            credentials = {
                .init(username: DeviceUsername.make(productId: productId, deviceName: deviceName, expiry: .never), password: nil)
            }
            transport = .tls(
                try tlsConfiguration(configuration, certificate: (certificatePEM, privateKeyPEM)), serverName: configuration.tlsServerName
            )
        }
        return MQTTClientConfiguration(
            host: configuration.mqttHost,
            port: configuration.mqttPort,
            transport: transport,
            clientId: identity.clientId,
            keepAlive: configuration.keepAlive,
            credentials: credentials,
            reconnect: configuration.reconnect,
            offlineQueueCapacity: configuration.offlineQueueCapacity,
            outboundBufferBytes: configuration.outboundBufferBytes
        )
    }

    private static func tlsConfiguration(_ configuration: DeviceConfiguration, certificate: (String, String)?) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = configuration.trustedCAPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        }
        if let (certificatePEM, keyPEM) = certificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        }
        return tls
    }

    // MARK: - Connection

    /// Connects and subscribes to the service topics. Throws ``MQTTConnectRefusal`` or ``MQTTClientError``.
    public func connect() async throws {
        try await mqtt.connect()
        try await subscribeServiceTopics()
    }

    /// The service topics every device listens on.
    private func subscribeServiceTopics() async throws {
        let filters: [(String, MQTTQoS)] = [
            (topics.control, .atLeastOnce),
            (topics.shadowResult, .atMostOnce),
            (topics.otaUpdate, .atLeastOnce),
            (topics.sysResult, .atMostOnce),
            (topics.broadcast, .atMostOnce),
            (topics.rrpcRequests, .atMostOnce),
            (topics.configResult, .atMostOnce),
            (topics.logResult, .atMostOnce),
        ]
        let codes = try await mqtt.subscribe(filters)
        for (filter, code) in zip(filters, codes) where code == 0x80 {
            logger.warning("subscription refused", metadata: ["filter": "\(filter.0)"])
        }
    }

    /// Disconnects for good (no reconnects).
    public func disconnect() async {
        await mqtt.disconnect()
    }

    // MARK: - Boot

    /// The firmware's whole start-up: if `store` holds no credential, register with the product key and
    /// keep the credential; then connect. If the broker refuses a stored credential (CONNACK 4) and
    /// ``DeviceConfiguration/reregisterOnRejectedCredential`` is on, register once more and retry.
    ///
    /// - Throws: ``RegistrationError`` (e.g. ``RegistrationError/requiresOperatorReset`` when the device is
    ///   activated and its credential was lost), ``MQTTConnectRefusal``, ``MQTTClientError``.
    public static func boot(
        store: some DeviceIdentityStore,
        configuration: DeviceConfiguration,
        logger: Logger = Logger(label: "IoTHubDevice")
    ) async throws -> DeviceClient {
        var identity = try store.load()
        let registration = RegistrationClient(baseURL: configuration.registrationURL, endpoint: configuration.registrationEndpoint)
        var registeredNow = false
        if identity.credential == nil {
            logger.info("no credential stored: registering", metadata: ["device": "\(identity.productId)/\(identity.deviceName)"])
            identity.credential = try await registration.register(store)
            registeredNow = true
        }
        let device = try DeviceClient(identity: identity, configuration: configuration, logger: logger)
        do {
            try await device.connect()
            return device
        } catch let refusal as MQTTConnectRefusal
            where refusal == .badUsernameOrPassword && configuration.reregisterOnRejectedCredential && !registeredNow
            && identity.productSecret != nil
        {
            logger.warning("the hub refused the stored credential: registering again")
            try store.removeCredential()
            identity.credential = try await registration.register(store)
            let renewed = try DeviceClient(identity: identity, configuration: configuration, logger: logger)
            try await renewed.connect()
            return renewed
        }
    }

    // MARK: - Messages

    /// Publishes on `{pid}/{dn}/event`.
    public func publishEvent(_ payload: String, qos: MQTTQoS = .atLeastOnce) async throws {
        try await mqtt.publish(topics.event, payload, qos: qos)
    }

    /// Publishes on `{pid}/{dn}/data`.
    public func publishData(_ payload: String, qos: MQTTQoS = .atLeastOnce) async throws {
        try await mqtt.publish(topics.data, payload, qos: qos)
    }

    /// Answers an RRPC request on `$rrpc/txd/{pid}/{dn}/{processId}`.
    public func reply(to request: RRPCRequest, payload: String) async throws {
        try await mqtt.publish(topics.rrpcReply(processId: request.processId), payload, qos: .atMostOnce)
    }

    // MARK: - Shadow

    private func shadowRequest(_ object: JSONObject) async throws -> JSONObject {
        let token = await router.nextToken()
        var request = object
        request["clientToken"] = .string(token)
        let text = JSONValue.object(request).serializedString()
        let mqtt = mqtt
        let topic = topics.shadowOperation
        let reply = try await router.request(key: "shadow:" + token, timeout: configuration.requestTimeout) {
            try await mqtt.publish(topic, text, qos: .atMostOnce)
        }
        let result = reply["result"]?.int64Value ?? -1
        guard result == 0 else { throw ShadowError(result: result) }
        return reply
    }

    /// `get`: the whole document.
    public func getShadow() async throws -> ShadowDocument {
        let reply = try await shadowRequest(["type": "get"])
        let payload = reply["payload"]?.objectValue ?? [:]
        let state = payload["state"]?.objectValue ?? [:]
        return ShadowDocument(
            reported: state["reported"]?.objectValue ?? [:],
            desired: state["desired"]?.objectValue ?? [:],
            delta: state["delta"]?.objectValue ?? [:],
            version: payload["version"]?.int64Value ?? 0,
            timestamp: payload["timestamp"]?.int64Value ?? 0
        )
    }

    /// `update` of `reported` (merged; `null` values delete keys) and/or `desired` (`.null` clears it, as
    /// the C SDK does after applying a delta). Returns the new version.
    @discardableResult
    public func updateShadow(reported: JSONObject? = nil, desired: JSONValue? = nil, overwrite: Bool = false) async throws -> Int64 {
        var state = JSONObject()
        if let reported { state["reported"] = .object(reported) }
        if let desired { state["desired"] = desired }
        var request: JSONObject = ["type": "update", "state": .object(state)]
        if overwrite { request["overwriteUpdate"] = true }
        let reply = try await shadowRequest(request)
        return reply["payload"]?["version"]?.int64Value ?? 0
    }

    /// `delete`: clears reported and desired.
    public func deleteShadow() async throws {
        _ = try await shadowRequest(["type": "delete"])
    }

    // MARK: - Time, configuration, log level

    /// Asks the hub for its clock (`$sys`).
    public func serverTime() async throws -> ServerTime {
        let mqtt = mqtt
        let topic = topics.sysOperation
        let start = ContinuousClock.now
        let reply = try await router.request(key: "time", timeout: configuration.requestTimeout) {
            try await mqtt.publish(topic, #"{"type":"get","resource":["time"]}"#, qos: .atMostOnce)
        }
        let roundTrip = ContinuousClock.now - start
        guard let time = reply["time"]?.int64Value else { throw DeviceServiceError("time reply without time") }
        return ServerTime(
            time: time, ntpTime1: reply["ntptime1"]?.int64Value ?? time * 1000, ntpTime2: reply["ntptime2"]?.int64Value ?? time * 1000,
            roundTrip: roundTrip
        )
    }

    /// The product's remote configuration (`$config`).
    public func remoteConfig() async throws -> JSONObject {
        let mqtt = mqtt
        let topic = topics.configOperation
        let reply = try await router.request(key: "config", timeout: configuration.requestTimeout) {
            try await mqtt.publish(topic, #"{"type":"get"}"#, qos: .atMostOnce)
        }
        return reply["payload"]?.objectValue ?? [:]
    }

    /// The log level an operator set for this device (0 off … 4 debug).
    public func logLevel() async throws -> Int {
        let token = await router.nextToken()
        let mqtt = mqtt
        let topic = topics.logOperation
        let text = JSONValue.object(["type": "get_log_level", "clientToken": .string(token)]).serializedString()
        let reply = try await router.request(key: "log:" + token, timeout: configuration.requestTimeout) {
            try await mqtt.publish(topic, text, qos: .atMostOnce)
        }
        guard let level = reply["log_level"]?.intValue else { throw DeviceServiceError("log level reply without log_level") }
        return level
    }

    // MARK: - OTA reports

    /// `report_version`; returns when the hub answered `report_version_rsp` with `result_code` 0.
    public func reportFirmwareVersion(_ version: String) async throws {
        let mqtt = mqtt
        let topic = topics.otaReport
        let text = JSONValue.object(["type": "report_version", "report": .object(["version": .string(version)])]).serializedString()
        let reply = try await router.request(key: "ota:" + version, timeout: configuration.requestTimeout) {
            try await mqtt.publish(topic, text, qos: .atLeastOnce)
        }
        let code = reply["result_code"]?.int64Value ?? -1
        guard code == 0 else {
            throw DeviceServiceError("report_version \(version) answered with result_code \(code): \(reply["result_msg"]?.stringValue ?? "")")
        }
    }

    /// `report_progress` (`percent` and `result_code` as JSON strings, as the SDKs send them; `done` and
    /// `fail` at QoS 1).
    public func reportFirmwareProgress(
        _ state: FirmwareProgressState, version: String, percent: Int? = nil, resultCode: Int = 0, message: String = ""
    ) async throws {
        var progress: JSONObject = ["state": .string(state.rawValue)]
        if let percent { progress["percent"] = .string(String(percent)) }
        progress["result_code"] = .string(String(resultCode))
        progress["result_msg"] = .string(message)
        let text = JSONValue.object([
            "type": "report_progress", "report": .object(["progress": .object(progress), "version": .string(version)]),
        ]).serializedString()
        let qos: MQTTQoS = state == .done || state == .fail ? .atLeastOnce : .atMostOnce
        try await mqtt.publish(topics.otaReport, text, qos: qos)
    }
}
