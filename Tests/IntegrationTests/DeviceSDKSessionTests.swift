import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import IoTHubDevice
import JSONCore
import MQTTCore
import XCTest

/// The SDK's MQTT session against the hub: QoS 0/1/2 both ways, unsubscribe, keep-alive, the session
/// closed by the operator, and reconnection (resubscription, offline queue) across a hub restart.
final class DeviceSDKSessionTests: XCTestCase {
    var fixture: SDKFixture!
    var devices: [DeviceClient] = []

    override func setUp() async throws {
        fixture = try await SDKFixture.start()
    }

    override func tearDown() async throws {
        for device in devices { await device.disconnect() }
        await fixture?.stop()
    }

    func boot(_ name: String, configure: (inout DeviceConfiguration) -> Void = { _ in }) async throws -> (DeviceClient, productId: String) {
        let (productId, secret) = try await fixture.product()
        var configuration = try await fixture.configuration()
        configure(&configuration)
        let store = InMemoryIdentityStore(productId: productId, productSecret: secret, deviceName: name)
        let device = try await DeviceClient.boot(store: store, configuration: configuration)
        devices.append(device)
        return (device, productId)
    }

    func testAllThreeQoSLevelsBothWaysAndUnsubscribe() async throws {
        let (device, productId) = try await boot("qos-1")
        let messages = StreamCollector(device.messages)
        let granted = try await device.mqtt.subscribe(device.topics.data, qos: .exactlyOnce)
        XCTAssertEqual(granted, 2)
        for qos in MQTTQoS.allCases {
            try await device.mqtt.publish(device.topics.data, "q\(qos.rawValue)", qos: qos)
            let echoed = try await messages.next { $0.text == "q\(qos.rawValue)" }
            XCTAssertEqual(echoed.topic, device.topics.data)
            XCTAssertEqual(echoed.qos, qos)
        }
        // A command from the operator arrives on control.
        try await fixture.hub.api.call(
            "PublishMessage",
            [("ProductId", .string(productId)), ("DeviceName", .string("qos-1")), ("Topic", .string(device.topics.control)), ("Payload", .string("reboot")), ("Qos", .int(1))]
        )
        let command = try await messages.next { $0.topic == device.topics.control }
        XCTAssertEqual(command.text, "reboot")

        // After unsubscribing, data no longer comes back; a later control message proves the order.
        try await device.mqtt.unsubscribe([device.topics.data])
        let filters = await device.mqtt.subscribedFilters
        XCTAssertFalse(filters.contains(device.topics.data))
        try await device.publishData("after-unsubscribe")
        try await fixture.hub.api.call(
            "PublishMessage",
            [("ProductId", .string(productId)), ("DeviceName", .string("qos-1")), ("Topic", .string(device.topics.control)), ("Payload", .string("marker")), ("Qos", .int(1))]
        )
        try await messages.next { $0.text == "marker" }
        XCTAssertFalse(messages.all.contains { $0.text == "after-unsubscribe" })
        let delivered = await device.mqtt.droppedMessages
        XCTAssertEqual(delivered, 0)
    }

    /// A topic the device may not use: SUBACK 0x80, the filter is not kept for reconnects.
    func testRefusedSubscriptionIsNotKept() async throws {
        let (device, _) = try await boot("acl-1")
        let code = try await device.mqtt.subscribe("OTHERPRODU/other/control")
        XCTAssertEqual(code, 0x80)
        let filters = await device.mqtt.subscribedFilters
        XCTAssertFalse(filters.contains("OTHERPRODU/other/control"))
        do {
            try await device.mqtt.publish("bad/+/topic", "x")
            XCTFail("wildcard topic name accepted")
        } catch let error as MQTTClientError {
            XCTAssertEqual(error.code, .invalidArgument)
        }
    }

    /// Keep-alive 1 s: the hub drops a client silent for 1.5 s, so staying connected over several
    /// seconds of idleness means the client pinged.
    func testKeepAlivePingsHoldAnIdleConnection() async throws {
        let (device, _) = try await boot("idle-1") { $0.keepAlive = 1 }
        let events = StreamCollector(device.mqtt.events)
        try await Task.sleep(for: .seconds(4))
        let connected = await device.mqtt.isConnected
        XCTAssertTrue(connected)
        XCTAssertFalse(events.all.contains { if case .disconnected = $0 { true } else { false } }, "\(events.all)")
        try await device.publishEvent("still-here")
    }

    /// The operator disables the device: the hub closes the session, reconnects are refused with
    /// CONNACK 5 until it is enabled again, then the client is back by itself.
    func testDisabledDeviceIsCutOffAndComesBackWhenEnabled() async throws {
        let (device, productId) = try await boot("cut-1")
        let events = StreamCollector(device.mqtt.events)
        let parameters: [(String, JSONValue)] = [("ProductId", .string(productId)), ("DeviceName", .string("cut-1"))]
        try await fixture.hub.api.call("UpdateDeviceAvailableState", parameters + [("EnableState", .int(0))])
        try await events.next { if case .disconnected = $0 { true } else { false } }
        try await events.next { $0 == .refused(.notAuthorized) }
        let whileDisabled = await device.mqtt.isConnected
        XCTAssertFalse(whileDisabled)
        try await fixture.hub.api.call("UpdateDeviceAvailableState", parameters + [("EnableState", .int(1))])
        try await events.next { $0 == .connected(sessionPresent: false, reconnect: true) }
        try await device.publishEvent("back", qos: .atLeastOnce)
    }

    /// The hub restarts: the client reconnects with backoff, subscribes again, sends what was published
    /// while the hub was down (in order), and refuses publishes beyond its offline queue.
    func testReconnectAfterHubRestartResubscribesAndFlushesTheOfflineQueue() async throws {
        let (device, _) = try await boot("restart-1") { $0.offlineQueueCapacity = 4 }
        let events = StreamCollector(device.mqtt.events)
        let messages = StreamCollector(device.messages)
        try await device.mqtt.subscribe(device.topics.data, qos: .atLeastOnce)
        let hub = fixture.hub
        let directory = hub.dataDirectory
        let mqttPort = await hub.port(.mqtt)
        let httpPort = hub.httpPort
        await hub.stop()
        try await events.next { if case .disconnected = $0 { true } else { false } }

        // While the hub is down: one QoS 1 publish waits for its PUBACK, three QoS 0 are queued, the
        // fifth publish finds the queue full.
        let waiting = Task { try await device.mqtt.publish(device.topics.data, "offline-1", qos: .atLeastOnce) }
        for _ in 0..<500 {
            if await device.mqtt.pendingPublishes == 1 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        for _ in 0..<200 {
            if (try? await device.mqtt.publish(device.topics.data, "probe-full", qos: .atMostOnce)) == nil { break }
        }
        let full: Bool
        do {
            try await device.mqtt.publish(device.topics.data, "one-too-many", qos: .atMostOnce)
            full = false
        } catch let error as MQTTClientError {
            full = error.code == .offlineQueueFull
        }
        XCTAssertTrue(full, "the offline queue is bounded")
        // The client keeps trying (with backoff) while the hub is away.
        try await events.next { if case .reconnecting(let attempt, let delay) = $0 { attempt >= 1 && delay > .zero } else { false } }

        let restarted = try await TestHub.start(dataDirectory: directory) {
            $0.mqttPort = mqttPort
            $0.httpPort = httpPort
        }
        do {
            try await events.next(timeout: 30) { $0 == .connected(sessionPresent: false, reconnect: true) }
            try await waiting.value
            let first = try await messages.next { $0.text == "offline-1" }
            XCTAssertEqual(first.topic, device.topics.data, "the data subscription was restored")
            let probes = try await messages.next { $0.text == "probe-full" }
            XCTAssertEqual(probes.topic, device.topics.data)
            XCTAssertFalse(messages.all.contains { $0.text == "one-too-many" })
            try await device.publishData("after-restart")
            try await messages.next { $0.text == "after-restart" }
        } catch {
            await restarted.stopAndRemove()
            throw error
        }
        await device.disconnect()
        devices.removeAll()
        await restarted.stop()
    }
}
