import DeviceAuth
public import DeviceServices
import Foundation
import JSONCore
import MQTTCore

/// A push of the hub to a gateway about its sub-devices.
public enum GatewayPush: Sendable, Hashable {
    /// The operator bound (`bound`) or unbound sub-devices.
    case changed(bound: Bool, [GatewayProtocol.SubDevice])
    /// Every sub-device was unbound.
    case unbindAll
}

/// A gateway request the hub answered with a non-zero `result` (device-protocol.md §6.10.9).
public struct GatewayError: Error, Sendable, Hashable, CustomStringConvertible {
    public var operation: GatewayProtocol.Operation
    public var subDevice: GatewayProtocol.SubDevice
    public var result: Int64

    public var description: String {
        "gateway \(operation.rawValue) of \(subDevice.productId)/\(subDevice.deviceName) answered \(result)"
    }
}

/// Gateway support (device-protocol.md §6.10): a gateway device binds its sub-devices (with each one's
/// signature), makes them online, then publishes and subscribes on their topics over its own connection
/// (`mqtt`, with `DeviceTopics(productId:deviceName:)` of the sub-device); messages on them arrive in
/// ``messages`` with the sub-device's topic.
///
/// ```swift
/// let gateway = try await DeviceClient.boot(store: gatewayStore, configuration: configuration)
/// try await gateway.startGateway()
/// let sensor = GatewayProtocol.SubDevice(productId: "SENSORPID1", deviceName: "ble-42")
/// try await gateway.bindSubDevice(sensor, deviceSecret: sensorSecret)   // once; 809 (already bound) is success
/// try await gateway.subDeviceOnline(sensor)
/// try await gateway.mqtt.publish(DeviceTopics(productId: sensor.productId, deviceName: sensor.deviceName).event, "{\"t\":21}")
/// ```
extension DeviceClient {
    /// Subscribes to the gateway's result topic (QoS 1, as the C SDKs do). Call once after ``connect()``;
    /// throws when the hub refuses it (the device is not allowed to act as a gateway).
    public func startGateway() async throws {
        let code = try await mqtt.subscribe(topics.gatewayResult, qos: .atLeastOnce)
        guard code != 0x80 else { throw DeviceServiceError("the hub refused \(topics.gatewayResult)") }
    }

    /// Binds a sub-device to this gateway, signed with the sub-device's DeviceSecret (its text, as the SDKs
    /// sign). A sub-device already bound to this gateway (809) counts as success.
    public func bindSubDevice(
        _ subDevice: GatewayProtocol.SubDevice, deviceSecret: String, method: GatewayBindSignature.Method = .hmacSHA1, now: Date = Date()
    ) async throws {
        let random = Int64.random(in: 0...Int64(Int32.max))
        let timestamp = Int64(now.timeIntervalSince1970)
        let signature = GatewayBindSignature.sign(
            productId: subDevice.productId, deviceName: subDevice.deviceName, random: random, timestamp: timestamp, key: deviceSecret, method: method
        )
        let proof = GatewayBindProof(signature: signature, random: random, timestamp: timestamp, signMethod: method.rawValue, authType: "psk")
        let result = try await gatewayRequest(.bind, subDevice, proof: proof)
        guard result == GatewayResultCode.success || result == GatewayResultCode.alreadyBound else {
            throw GatewayError(operation: .bind, subDevice: subDevice, result: result)
        }
    }

    /// Unbinds a sub-device from this gateway.
    public func unbindSubDevice(_ subDevice: GatewayProtocol.SubDevice) async throws {
        try await expectSuccess(.unbind, subDevice)
    }

    /// Makes a bound sub-device online: from now the gateway may use its topics, and the hub counts it
    /// online while the gateway is connected (also after the gateway reconnects) until ``subDeviceOffline(_:)``.
    public func subDeviceOnline(_ subDevice: GatewayProtocol.SubDevice) async throws {
        try await expectSuccess(.online, subDevice)
    }

    public func subDeviceOffline(_ subDevice: GatewayProtocol.SubDevice) async throws {
        try await expectSuccess(.offline, subDevice)
    }

    /// The sub-devices bound to this gateway, in bind order.
    public func subDevices() async throws -> [GatewayProtocol.SubDevice] {
        let mqtt = mqtt
        let topic = topics.gatewayOperation
        let reply = try await router.request(key: "gateway:describe_sub_devices", timeout: configuration.requestTimeout) {
            try await mqtt.publish(topic, payload: GatewayProtocol.describeRequest, qos: .atMostOnce)
        }
        guard case .subDevices(let devices)? = GatewayProtocol.parseReply(JSONValue.object(reply).serialized()) else {
            throw DeviceServiceError("describe_sub_devices reply without devices")
        }
        return devices
    }

    private func expectSuccess(_ operation: GatewayProtocol.Operation, _ subDevice: GatewayProtocol.SubDevice) async throws {
        let result = try await gatewayRequest(operation, subDevice, proof: nil)
        guard result == GatewayResultCode.success else { throw GatewayError(operation: operation, subDevice: subDevice, result: result) }
    }

    /// Publishes the request (QoS 0, as every SDK) and waits for the reply naming the sub-device first.
    private func gatewayRequest(_ operation: GatewayProtocol.Operation, _ subDevice: GatewayProtocol.SubDevice, proof: GatewayBindProof?) async throws -> Int64 {
        let mqtt = mqtt
        let topic = topics.gatewayOperation
        let request = GatewayProtocol.request(operation, subDevice, proof: proof)
        let reply = try await router.request(key: ServiceRouter.gatewayKey(operation, subDevice), timeout: configuration.requestTimeout) {
            try await mqtt.publish(topic, payload: request, qos: .atMostOnce)
        }
        guard case .result(_, let results)? = GatewayProtocol.parseReply(JSONValue.object(reply).serialized()), let first = results.first else {
            throw DeviceServiceError("\(operation.rawValue) reply without a result")
        }
        return first.1
    }
}
