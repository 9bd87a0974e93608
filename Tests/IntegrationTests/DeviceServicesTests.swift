import CloudAPI
import Foundation
import HubServer
import HubTesting
import JSONCore
import MQTTCore
import NIOCore
import Registry
import XCTest

/// The hub's device services end to end: a device on MQTT, the operator on the management API.
final class DeviceServicesTests: XCTestCase {
    var hub: TestHub!
    var productId = ""
    var device: TestMQTTClient!

    override func setUp() async throws {
        hub = try await TestHub.start()
        let created = try await hub.api.call(
            "CreateProduct", [("ProductName", .string("svc")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        productId = try XCTUnwrap(created["ProductId"]?.stringValue)
        let dev = try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string("dev1"))])
        let psk = try XCTUnwrap(dev["DevicePsk"]?.stringValue)
        let port = await hub.port(.mqtt)
        let (client, ack) = try await TestMQTTClient.device(port: port, productId: productId, deviceName: "dev1", psk: psk)
        XCTAssertEqual(ack?.returnCode, 0)
        device = client
    }

    override func tearDown() async throws {
        await device?.close()
        await hub.stopAndRemove()
    }

    func reply(on topic: String) async throws -> JSONValue {
        let message = try await device.message()
        XCTAssertEqual(message.topic, topic)
        return try JSONValue(parsing: Array(message.payload.readableBytesView))
    }

    func testShadowOverMQTTAndTheManagementAPI() async throws {
        let result = "$shadow/operation/result/\(productId)/dev1"
        let value1 = try await device.subscribe(result)
        XCTAssertEqual(value1, [0])
        try await device.publish("$shadow/operation/\(productId)/dev1", #"{"type":"update", "state":{"reported":{"updateCount":0}}, "clientToken":"\#(productId)-1"}"#)
        let updated = try await reply(on: result)
        XCTAssertEqual(updated["result"], .int(0))
        XCTAssertEqual(updated["clientToken"], .string("\(productId)-1"))
        XCTAssertEqual(updated["payload"]?["version"], .int(1))
        // The operator sets a desired state with the right version: the device gets a delta.
        let data = try await hub.api.call("DescribeDeviceShadow", [("ProductId", .string(productId)), ("DeviceName", .string("dev1"))])
        let document = try JSONValue(parsing: try XCTUnwrap(data["Data"]?.stringValue))
        XCTAssertEqual(document["payload"]?["state"]?["reported"]?["updateCount"], .int(0))
        XCTAssertEqual(document["payload"]?["version"], .int(1))
        do {
            try await hub.api.call(
                "UpdateDeviceShadow",
                [("ProductId", .string(productId)), ("DeviceName", .string("dev1")), ("State", .string(#"{"desired":{"color":"red"}}"#)), ("ShadowVersion", .int(0))]
            )
            XCTFail("stale version accepted")
        } catch let failure as TestAPIClient.Failure {
            XCTAssertEqual(failure.code, "FailedOperation.UpdateVersionNotMatch")
        }
        try await hub.api.call(
            "UpdateDeviceShadow",
            [("ProductId", .string(productId)), ("DeviceName", .string("dev1")), ("State", .string(#"{"desired":{"color":"red"}}"#)), ("ShadowVersion", .int(1))]
        )
        let delta = try await reply(on: result)
        XCTAssertEqual(delta["type"], .string("delta"))
        XCTAssertEqual(delta["payload"]?["state"], try JSONValue(parsing: #"{"color":"red"}"#))
        XCTAssertEqual(delta["payload"]?["version"], .int(2))
        // Bad input gets the spec's answers and changes nothing.
        for (state, code) in [
            (#"{"reported":{"x":1}}"#, "InvalidParameterValue.JSONHasInvalidNode"), ("not json", "InvalidParameterValue.InvalidJSON"),
            (#"{"desired":{"blob":"\#(String(repeating: "x", count: 9000))"}}"#, "InvalidParameterValue.JSONSizeExceedLimit"),
        ] {
            do {
                try await hub.api.call(
                    "UpdateDeviceShadow", [("ProductId", .string(productId)), ("DeviceName", .string("dev1")), ("State", .string(state)), ("ShadowVersion", .int(2))]
                )
                XCTFail("accepted \(state.prefix(30))")
            } catch let failure as TestAPIClient.Failure {
                XCTAssertEqual(failure.code, code)
            }
        }
        try await device.publish("$shadow/operation/\(productId)/dev1", "{not json")
        let rejected = try await reply(on: result)
        XCTAssertEqual(rejected["result"], .int(1))
        // The document survived all of it, and a restart (it is stored with the device).
        try await device.publish("$shadow/operation/\(productId)/dev1", #"{"type":"get","clientToken":"g"}"#)
        let get = try await reply(on: result)
        XCTAssertEqual(get["payload"]?["version"], .int(2))
        XCTAssertEqual(get["payload"]?["state"]?["delta"], try JSONValue(parsing: #"{"color":"red"}"#))
        try await hub.api.call("DeleteDeviceShadow", [("ProductId", .string(productId)), ("DeviceName", .string("dev1"))])
        let stored = try await hub.hub.registry.device(productId: productId, name: "dev1")
        let cleared = try JSONValue(parsing: try XCTUnwrap(stored.shadow))
        XCTAssertEqual(cleared["desired"], .object(JSONObject()))
        XCTAssertEqual(cleared["reported"], .object(JSONObject()))
        XCTAssertEqual(cleared["version"], .int(3), "delete clears the state; the version keeps growing")
    }

    func testRemoteConfigIsServedAndPushed() async throws {
        let result = "$config/operation/result/\(productId)/dev1"
        let codes = try await device.subscribe(result)
        XCTAssertEqual(codes, [0])
        try await hub.api.call("UpdateProductRemoteConfig", [("ProductId", .string(productId)), ("Config", .string(#"{"interval":30,"mode":"eco"}"#))])
        let push = try await reply(on: result)
        XCTAssertEqual(push.serializedString(), #"{"type":"push","payload":{"interval":30,"mode":"eco"}}"#)
        try await device.publish("$config/operation/\(productId)/dev1", #"{"type":"get"}"#)
        let answer = try await reply(on: result)
        XCTAssertEqual(answer.serializedString(), #"{"type":"reply","result":0,"payload":{"interval":30,"mode":"eco"}}"#)
        let described = try await hub.api.call("DescribeProductRemoteConfig", [("ProductId", .string(productId))])
        XCTAssertEqual(described["Config"], .string(#"{"interval":30,"mode":"eco"}"#))
        do {
            try await hub.api.call("UpdateProductRemoteConfig", [("ProductId", .string(productId)), ("Config", .string("[1]"))])
            XCTFail("non-object config accepted")
        } catch let failure as TestAPIClient.Failure {
            XCTAssertEqual(failure.code, "InvalidParameterValue.InvalidJSON")
        }
    }

    func testTimeConfigLogLevelBroadcastAndRRPC() async throws {
        let base = "\(productId)/dev1"
        for topic in ["$sys/operation/result/\(base)", "$config/operation/result/\(base)", "$log/operation/result/\(base)", "$broadcast/rxd/\(base)", "$rrpc/rxd/\(base)/+"] {
            let codes = try await device.subscribe(topic)
            XCTAssertEqual(codes, [0], topic)
        }
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        try await device.publish("$sys/operation/\(base)", #"{"type": "get", "resource": ["time"]}"#)
        let time = try await reply(on: "$sys/operation/result/\(base)")
        let ntp1 = try XCTUnwrap(time["ntptime1"]?.int64Value)
        XCTAssertGreaterThanOrEqual(ntp1, before)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(time["ntptime2"]?.int64Value), ntp1)
        XCTAssertEqual(time["time"]?.int64Value, ntp1 / 1000)

        try await device.publish("$config/operation/\(base)", #"{"type":"get"}"#)
        let config = try await reply(on: "$config/operation/result/\(base)")
        XCTAssertEqual(config.serializedString(), #"{"type":"reply","result":0,"payload":{}}"#)

        try await hub.api.call("UpdateDeviceLogLevel", [("ProductId", .string(productId)), ("DeviceName", .string("dev1")), ("LogLevel", .int(3))])
        let pushed = try await reply(on: "$log/operation/result/\(base)")
        XCTAssertEqual(pushed["log_level"], .int(3))
        try await device.publish("$log/operation/\(base)", #"{"type": "get_log_level", "clientToken": "\#(productId)-7"}"#)
        let level = try await reply(on: "$log/operation/result/\(base)")
        XCTAssertEqual(level["log_level"], .int(3))
        XCTAssertEqual(level["clientToken"], .string("\(productId)-7"))

        let broadcast = try await hub.api.call("PublishBroadcastMessage", [("ProductId", .string(productId)), ("Payload", .string(#"{"notice":"maintenance"}"#)), ("Qos", .int(0))])
        XCTAssertNotNil(broadcast["TaskId"]?.int64Value)
        let notice = try await device.message()
        XCTAssertEqual(notice.topic, "$broadcast/rxd/\(base)")
        XCTAssertEqual(String(buffer: notice.payload), #"{"notice":"maintenance"}"#)

        // RRPC: the device answers on $rrpc/txd/…/{processId}; the API returns the reply in Base64.
        let device = self.device!
        let answerer = Task {
            let request = try await device.message()
            let processId = try XCTUnwrap(request.topic.split(separator: "/").last)
            try await device.publish("$rrpc/txd/\(base)/\(processId)", #"{"temp":21.5}"#)
            return String(buffer: request.payload)
        }
        let rrpc = try await hub.api.call("PublishRRPCMessage", [("ProductId", .string(productId)), ("DeviceName", .string("dev1")), ("Payload", .string(#"{"cmd":"read"}"#))])
        let asked = try await answerer.value
        XCTAssertEqual(asked, #"{"cmd":"read"}"#)
        XCTAssertEqual(rrpc["PayloadBase64"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }, #"{"temp":21.5}"#)
        XCTAssertNotNil(rrpc["MessageId"]?.int64Value)
    }
}
