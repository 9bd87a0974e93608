import DeviceAuth
import DeviceServices
import Foundation
import HubTesting
import IoTHubDevice
import JSONCore
import MQTTCore
import XCTest

/// A gateway session end to end with the Swift SDK (device-protocol.md §6.10): the gateway registers a
/// sub-device with the sub-product's key (ordinary dynamic registration, as the SDKs' gateways do), binds it
/// with its signature, makes it online, talks on its topics, follows the operator's binding changes, and
/// takes it offline and unbinds it.
final class DeviceSDKGatewayTests: XCTestCase {
    var fixture: SDKFixture!
    var gateway: DeviceClient!

    override func setUp() async throws {
        fixture = try await SDKFixture.start()
    }

    override func tearDown() async throws {
        await gateway?.disconnect()
        await fixture?.stop()
    }

    func testGatewaySessionWithTheSDK() async throws {
        let api = fixture.hub.api
        let createdProduct = try await api.call("CreateProduct", [
            ("ProductName", .string("gw")), ("ProductProperties", .object(["EncryptionType": "2", "ProductType": 5])),
        ])
        let gatewayProduct = try XCTUnwrap(createdProduct["ProductId"]?.stringValue)
        let createdGateway = try await api.call("CreateDevice", [("ProductId", .string(gatewayProduct)), ("DeviceName", .string("gw-1"))])
        let gatewayPSK = try XCTUnwrap(createdGateway["DevicePsk"]?.stringValue)
        let (subProduct, subSecret) = try await fixture.product()
        let configuration = try await fixture.configuration()
        gateway = try DeviceClient(
            identity: DeviceIdentity(productId: gatewayProduct, deviceName: "gw-1", credential: .psk(gatewayPSK)), configuration: configuration
        )
        try await gateway.connect()
        try await gateway.startGateway()
        let pushes = StreamCollector(gateway.gatewayPushes)
        let messages = StreamCollector(gateway.messages)

        // The sub-device's credential through ordinary dynamic registration with the sub-product's key.
        let registration = RegistrationClient(baseURL: configuration.registrationURL, endpoint: configuration.registrationEndpoint)
        let credential = try await registration.register(productId: subProduct, productSecret: subSecret, deviceName: "ble-1")
        guard case .psk(let subPSK) = credential else { return XCTFail("\(credential)") }
        let sensor = GatewayProtocol.SubDevice(productId: subProduct, deviceName: "ble-1")

        // Not bound: online is refused with -1.
        do {
            try await gateway.subDeviceOnline(sensor)
            XCTFail("online before bind succeeded")
        } catch let error as GatewayError {
            XCTAssertEqual(error.result, -1)
        }
        do {
            try await gateway.bindSubDevice(sensor, deviceSecret: "d3Jvbmcgc2VjcmV0")
            XCTFail("a bind with the wrong secret succeeded")
        } catch let error as GatewayError {
            XCTAssertEqual(error.result, 803)
        }
        try await gateway.bindSubDevice(sensor, deviceSecret: subPSK)
        try await gateway.bindSubDevice(sensor, deviceSecret: subPSK, method: .hmacSHA256)  // 809: already bound, success
        try await gateway.subDeviceOnline(sensor)
        let described = try await api.call("DescribeDevice", [("ProductId", .string(subProduct)), ("DeviceName", .string("ble-1"))])
        XCTAssertEqual(described["Online"], .int(1))

        // Its topics over the gateway's connection: a command from the operator, an event to an application.
        let topics = DeviceTopics(productId: subProduct, deviceName: "ble-1")
        let controlGranted = try await gateway.mqtt.subscribe(topics.control, qos: .atLeastOnce)
        XCTAssertEqual(controlGranted, 1)
        try await api.call("PublishMessage", [
            ("ProductId", .string(subProduct)), ("DeviceName", .string("ble-1")), ("Topic", .string(topics.control)), ("Payload", .string("blink")),
            ("Qos", .int(1)),
        ])
        let command = try await messages.next()
        XCTAssertEqual(command.topic, topics.control)
        XCTAssertEqual(String(decoding: command.payload, as: UTF8.self), "blink")
        // The sub-device's OTA version report, sent by the gateway, is the sub-device's.
        let otaGranted = try await gateway.mqtt.subscribe(topics.otaUpdate, qos: .atLeastOnce)
        XCTAssertEqual(otaGranted, 1)
        try await gateway.mqtt.publish(topics.otaReport, #"{"type":"report_version","report":{"version":"1.2.3"}}"#, qos: .atLeastOnce)
        try await waitFor { try await api.call("DescribeDevice", [("ProductId", .string(subProduct)), ("DeviceName", .string("ble-1"))])["Version"] == .string("1.2.3") }

        // The operator binds a second device: the gateway hears of it and lists both.
        _ = try await api.call("CreateDevice", [("ProductId", .string(subProduct)), ("DeviceName", .string("ble-2"))])
        try await api.call("BindDevices", [
            ("GatewayProductId", .string(gatewayProduct)), ("GatewayDeviceName", .string("gw-1")), ("ProductId", .string(subProduct)),
            ("DeviceNames", .array(["ble-2"])),
        ])
        let second = GatewayProtocol.SubDevice(productId: subProduct, deviceName: "ble-2")
        let push = try await pushes.next()
        XCTAssertEqual(push, .changed(bound: true, [second]))
        let listed = try await gateway.subDevices()
        XCTAssertEqual(listed, [sensor, second])

        // Offline, then unbind: both answered 0, and the list shrinks.
        try await gateway.subDeviceOffline(sensor)
        let offline = try await api.call("DescribeDevice", [("ProductId", .string(subProduct)), ("DeviceName", .string("ble-1"))])
        XCTAssertEqual(offline["Online"], .int(0))
        try await gateway.unbindSubDevice(sensor)
        let remaining = try await gateway.subDevices()
        XCTAssertEqual(remaining, [second])
    }

    private func waitFor(_ condition: () async throws -> Bool, file: StaticString = #filePath, line: UInt = #line) async throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("condition never held", file: file, line: line)
    }
}
