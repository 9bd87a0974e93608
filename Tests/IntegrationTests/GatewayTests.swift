import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import MQTTCore
import NIOCore
import XCTest

/// Gateways and sub-devices (device-protocol.md §6.10, cloud-api.md §7.10) against a hub, with a raw MQTT
/// client sending the Tencent SDKs' exact texts.
final class GatewayTests: XCTestCase {
    var hub: TestHub!
    var gatewayProduct = ""
    var subProduct = ""
    var psks: [String: String] = [:]
    var clients: [TestMQTTClient] = []

    override func setUp() async throws {
        hub = try await TestHub.start()
        try await createFleet()
    }

    override func tearDown() async throws {
        for client in clients { await client.close() }
        await hub.stopAndRemove()
    }

    func createFleet() async throws {
        gatewayProduct = try await product("gateways", type: 5)
        subProduct = try await product("sensors", type: 0)
        for name in ["gw1", "gw2"] { psks[name] = try await device(gatewayProduct, name) }
        for name in ["sub001", "sub002", "sub003"] { psks[name] = try await device(subProduct, name) }
    }

    func product(_ name: String, type: Int64) async throws -> String {
        let created = try await hub.api.call("CreateProduct", [
            ("ProductName", .string(name)),
            ("ProductProperties", .object(JSONObject([("EncryptionType", .string("2")), ("ProductType", .int(type))]))),
        ])
        return try XCTUnwrap(created["ProductId"]?.stringValue)
    }

    func device(_ productId: String, _ name: String) async throws -> String {
        let created = try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
        return try XCTUnwrap(created["DevicePsk"]?.stringValue)
    }

    /// A gateway connected and subscribed to its result topic at QoS 1 (as the C SDKs do).
    func connectGateway(_ name: String = "gw1", productId: String? = nil) async throws -> TestMQTTClient {
        let pid = productId ?? gatewayProduct
        let (client, ack) = try await TestMQTTClient.device(port: await hub.port(.mqtt), productId: pid, deviceName: name, psk: psks[name] ?? "")
        XCTAssertEqual(ack?.returnCode, 0)
        clients.append(client)
        let granted = try await client.subscribe("$gateway/operation/result/\(pid)/\(name)", qos: .atLeastOnce)
        XCTAssertEqual(granted, [1], "the C SDK fails to construct its gateway when this is refused")
        return client
    }

    /// Sends a request and returns the reply text (the next message on the result topic).
    func request(_ client: TestMQTTClient, _ text: String, gateway: String = "gw1", productId: String? = nil) async throws -> String {
        let pid = productId ?? gatewayProduct
        try await client.publish("$gateway/operation/\(pid)/\(gateway)", text)
        let reply = try await client.message()
        XCTAssertEqual(reply.topic, "$gateway/operation/result/\(pid)/\(gateway)")
        if reply.qos == .atLeastOnce, let id = reply.packetId { try await client.send(.puback(MQTTAck(packetId: id))) }
        return String(buffer: reply.payload)
    }

    func entry(_ name: String) -> String { #"{"product_id":"\#(subProduct)","device_name":"\#(name)"}"# }

    /// The C SDK's bind request text, signed with the sub-device's secret text.
    func bindText(_ name: String, key: String? = nil, method: String = "hmacsha1", random: Int64 = 485_275_368, timestamp: Int64 = 1_796_607_217) -> String {
        let signature = GatewayBindSignature.sign(
            productId: subProduct, deviceName: name, random: random, timestamp: timestamp, key: key ?? psks[name] ?? "",
            method: GatewayBindSignature.Method(wire: method) ?? .hmacSHA1
        )
        return #"{"type":"bind","payload":{"devices":[{"product_id":"\#(subProduct)","device_name":"\#(name)","signature":"\#(signature)","random":\#(random),"timestamp":\#(timestamp),"signmethod":"\#(method)","authtype":"psk"}]}}"#
    }

    func result(_ type: String, _ name: String, _ code: Int) -> String {
        #"{"type":"\#(type)","payload":{"devices":[{"product_id":"\#(subProduct)","device_name":"\#(name)","result":\#(code)}]}}"#
    }

    func describe(_ name: String) async throws -> JSONValue {
        try await hub.api.call("DescribeDevice", [("ProductId", .string(subProduct)), ("DeviceName", .string(name))])
    }

    func waitForOnline(_ name: String, _ online: Int64, file: StaticString = #filePath, line: UInt = #line) async throws {
        let deadline = Date().addingTimeInterval(5)
        var last: Int64?
        while Date() < deadline {
            last = try await describe(name)["Online"]?.int64Value
            if last == online { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("\(name) Online stayed \(String(describing: last)), expected \(online)", file: file, line: line)
    }

    // MARK: tests

    func testGatewaySessionBindOnlineProxyOffline() async throws {
        let gateway = try await connectGateway()
        let data = "\(subProduct)/sub001/data"

        // Not bound yet: online answers -1, and the gateway may not use the sub-device's topics.
        let early = try await request(gateway, #"{"type":"online","payload":{"devices":[\#(entry("sub001"))]}}"#)
        XCTAssertEqual(early, result("online", "sub001", -1))
        try await assertEqual(try await gateway.subscribe(data, id: 2), [0x80])

        // bind (C text): 0; again: 809; wrong signatures: 803; unknown method: 804; unknown device: 802;
        // missing names: 801; the gateway itself or another gateway: 807.
        try await assertEqual(try await request(gateway, bindText("sub001")), result("bind", "sub001", 0))
        try await assertEqual(try await request(gateway, bindText("sub001")), result("bind", "sub001", 809))
        try await assertEqual(try await request(gateway, bindText("sub002", key: psks["sub001"])), result("bind", "sub002", 803))
        let decoded = String(decoding: Data(base64Encoded: psks["sub002"]!)!, as: UTF8.self)
        try await assertEqual(try await request(gateway, bindText("sub002", key: decoded)), result("bind", "sub002", 803), "the key is the secret's text")
        try await assertEqual(try await request(gateway, bindText("sub002", method: "rsa-sha256")), result("bind", "sub002", 804))
        try await assertEqual(try await request(gateway, bindText("nosuch")), result("bind", "nosuch", 802))
        try await assertEqual(
            try await request(gateway, #"{"type":"online","payload":{"devices":[{"device_name":"sub001"}]}}"#),
            #"{"type":"online","payload":{"devices":[{"product_id":"","device_name":"sub001","result":801}]}}"#
        )
        // The Python SDK's spacing, HMAC-SHA256 as the Java SDK signs.
        let pySignature = GatewayBindSignature.sign(productId: subProduct, deviceName: "sub002", random: 7, timestamp: 8, key: psks["sub002"]!, method: .hmacSHA256)
        let pyBind = #"{"type": "bind", "payload": {"devices": [{"product_id": "\#(subProduct)", "device_name": "sub002", "signature": "\#(pySignature)", "random": 7, "timestamp": 8, "signmethod": "hmacsha256", "authtype": "psk"}]}}"#
        try await assertEqual(try await request(gateway, pyBind), result("bind", "sub002", 0))
        let bindings = try await hub.api.call("DescribeGatewayBindDevices", [
            ("GatewayProductId", .string(gatewayProduct)), ("GatewayDeviceName", .string("gw1")), ("Offset", .int(0)), ("Limit", .int(10)),
        ])
        XCTAssertEqual(bindings["TotalCount"], .int(2))
        XCTAssertEqual(bindings["Devices"]?.arrayValue?.compactMap { $0["DeviceName"]?.stringValue }, ["sub001", "sub002"], "bind order")
        XCTAssertEqual(bindings["ProductName"], .string("sensors"))

        // online: 0; the sub-device is online and activated (Online 3: never activated); the gateway uses its topics.
        try await assertEqual(try await describe("sub001")["Online"], .int(3))
        try await assertEqual(try await request(gateway, #"{"type":"online","payload":{"devices":[\#(entry("sub001"))]}}"#), result("online", "sub001", 0))
        let described = try await describe("sub001")
        XCTAssertEqual(described["Online"], .int(1))
        XCTAssertNotEqual(described["FirstOnlineTime"]?.int64Value ?? 0, 0, "activated at its first online")
        try await assertEqual(try await gateway.subscribe(data, id: 3), [0])
        try await hub.api.call("PublishMessage", [
            ("ProductId", .string(subProduct)), ("DeviceName", .string("sub001")), ("Topic", .string(data)), ("Payload", .string("to-sub")),
        ])
        let delivered = try await gateway.message()
        XCTAssertEqual(delivered.topic, data)
        XCTAssertEqual(String(buffer: delivered.payload), "to-sub")
        // A service request for the sub-device is answered to the sub-device's topic as if it had asked.
        try await assertEqual(try await gateway.subscribe("$shadow/operation/result/\(subProduct)/sub001", id: 4), [0])
        try await gateway.publish("$shadow/operation/\(subProduct)/sub001", #"{"type":"update","state":{"reported":{"t":21}},"version":0,"clientToken":"c1"}"#)
        let shadowReply = try await gateway.message()
        XCTAssertEqual(shadowReply.topic, "$shadow/operation/result/\(subProduct)/sub001")
        let shadow = try await hub.api.call("DescribeDeviceShadow", [("ProductId", .string(subProduct)), ("DeviceName", .string("sub001"))])
        XCTAssertTrue(shadow["Data"]?.stringValue?.contains(#""t":21"#) == true, "\(shadow)")
        // Its resource topics too (C33's IOT_Resource_Init takes any pid/dn on the gateway's client).
        try await assertEqual(try await gateway.subscribe("$resource/down/service/\(subProduct)/sub001", qos: .atLeastOnce, id: 8), [1])
        // Never another device's topics, nor the sub-device's $gateway topics.
        try await assertEqual(try await gateway.subscribe("\(subProduct)/sub003/data", id: 5), [0x80])
        try await assertEqual(try await gateway.subscribe("$gateway/operation/result/\(subProduct)/sub001", id: 10), [0x80])

        // describe_sub_devices: the exact list in bind order.
        try await assertEqual(
            try await request(gateway, #"{"type":"describe_sub_devices"}"#),
            #"{"type":"describe_sub_devices","payload":{"devices":[\#(entry("sub001")),\#(entry("sub002"))]}}"#
        )

        // The gateway disconnects: the sub-device is offline; it reconnects without repeating online: online
        // again, its topics usable (C gateways never resend online).
        await gateway.close()
        try await waitForOnline("sub001", 0)
        let again = try await connectGateway()
        try await waitForOnline("sub001", 1)
        try await assertEqual(try await again.subscribe(data, id: 6), [0])

        // offline: 0, and the topics are closed to the gateway at once.
        try await assertEqual(try await request(again, #"{"type":"offline","payload":{"devices":[\#(entry("sub001"))]}}"#), result("offline", "sub001", 0))
        try await assertEqual(try await describe("sub001")["Online"], .int(0))
        try await assertEqual(try await again.subscribe("\(subProduct)/sub001/control", id: 7), [0x80])
        do {
            try await hub.api.call("PublishMessage", [
                ("ProductId", .string(subProduct)), ("DeviceName", .string("sub001")), ("Topic", .string(data)), ("Payload", .string("x")),
            ])
            XCTFail("PublishMessage to a detached sub-device succeeded")
        } catch let failure as TestAPIClient.Failure {
            XCTAssertEqual(failure.code, "FailedOperation.DeviceOffline")
        }

        // unbind: 0, then -1 for a device no longer bound.
        try await assertEqual(try await request(again, #"{"type":"unbind","payload":{"devices":[\#(entry("sub002"))]}}"#), result("unbind", "sub002", 0))
        try await assertEqual(try await request(again, #"{"type":"unbind","payload":{"devices":[\#(entry("sub002"))]}}"#), result("unbind", "sub002", -1))
    }

    func testDisablingOrUnbindingCutsTheGatewayOffAtOnce() async throws {
        let gateway = try await connectGateway()
        for name in ["sub001", "sub002"] {
            try await assertEqual(try await request(gateway, bindText(name)), result("bind", name, 0))
            try await assertEqual(try await request(gateway, #"{"type":"online","payload":{"devices":[\#(entry(name))]}}"#), result("online", name, 0))
        }
        try await assertEqual(try await gateway.subscribe("\(subProduct)/+/data", id: 2), [0x80], "no wildcard over sub-devices")
        // An application on the sub-product sees what the gateway publishes for the sub-devices.
        let app = try await hub.api.call("CreateApplication", [("Name", .string("watch")), ("ProductIds", .array([.string(subProduct)]))])
        let (listener, ack) = try await TestMQTTClient.plain(
            port: await hub.port(.mqtt), clientId: "watcher", username: app["AppId"]?.stringValue, password: app["AppSecret"]?.stringValue
        )
        clients.append(listener)
        XCTAssertEqual(ack?.returnCode, 0)
        try await assertEqual(try await listener.subscribe("\(subProduct)/+/event"), [0])
        try await gateway.publish("\(subProduct)/sub001/event", "before")
        try await assertEqual(String(buffer: try await listener.message().payload), "before")

        // Disabled: the gateway's publish for it is dropped, the device is detached and offline.
        try await hub.api.call("UpdateDeviceAvailableState", [("ProductId", .string(subProduct)), ("DeviceName", .string("sub001")), ("EnableState", .int(0))])
        try await gateway.publish("\(subProduct)/sub001/event", "after-disable")
        try await gateway.publish("\(subProduct)/sub002/event", "sub002-still")
        try await assertEqual(String(buffer: try await listener.message().payload), "sub002-still", "the disabled device's message was dropped")
        try await assertEqual(try await describe("sub001")["Online"], .int(0))
        try await assertEqual(
            try await request(gateway, #"{"type":"online","payload":{"devices":[\#(entry("sub001"))]}}"#), result("online", "sub001", -2),
            "a disabled sub-device cannot be made online"
        )

        // Unbound by the operator: a change push (status 0), and the topics are closed.
        try await hub.api.call("UnbindDevices", [
            ("GatewayProductId", .string(gatewayProduct)), ("GatewayDeviceName", .string("gw1")), ("ProductId", .string(subProduct)),
            ("DeviceNames", .array([.string("sub002")])),
        ])
        let push = try await gateway.message()
        XCTAssertEqual(String(buffer: push.payload), #"{"type":"change","payload":{"status":0,"devices":[\#(entry("sub002"))]}}"#)
        XCTAssertEqual(push.qos, .atLeastOnce)
        if let id = push.packetId { try await gateway.send(.puback(MQTTAck(packetId: id))) }
        try await gateway.publish("\(subProduct)/sub002/event", "after-unbind")
        await XCTAssertThrowsErrorAsync(try await listener.message(timeout: 0.5), "nothing from the unbound device reached the application")
        try await assertEqual(try await describe("sub002")["Online"], .int(0))
    }

    func testManagementTopologyActionsAndTheirErrors() async throws {
        let gateway = try await connectGateway()
        func bind(_ names: [String], gateway name: String = "gw1", productId: String? = nil) async throws {
            try await hub.api.call("BindDevices", [
                ("GatewayProductId", .string(gatewayProduct)), ("GatewayDeviceName", .string(name)), ("ProductId", .string(productId ?? subProduct)),
                ("DeviceNames", .array(names.map { .string($0) })),
            ])
        }
        func expect(_ code: String, _ body: () async throws -> Void, line: UInt = #line) async {
            do {
                try await body()
                XCTFail("expected \(code)", line: line)
            } catch let failure as TestAPIClient.Failure {
                XCTAssertEqual(failure.code, code, failure.message, line: line)
            } catch {
                XCTFail("\(error)", line: line)
            }
        }
        try await bind(["sub001", "sub002"])
        let push = try await gateway.message()
        XCTAssertEqual(String(buffer: push.payload), #"{"type":"change","payload":{"status":1,"devices":[\#(entry("sub001")),\#(entry("sub002"))]}}"#)
        try await bind(["sub001"])  // already bound to this gateway: accepted, no push
        await XCTAssertThrowsErrorAsync(try await gateway.message(timeout: 0.3), "no push for a binding that did not change")

        await expect("UnauthorizedOperation.DeviceHasAlreadyBindGateway") { try await bind(["sub001"], gateway: "gw2") }
        await expect("ResourceNotFound.DeviceNotExist") { try await bind(["sub003", "nosuch"]) }
        try await assertEqual(try await describe("sub003")["Online"], .int(3), "never activated, and not bound")
        await expect("InvalidParameterValue.DeviceIsNotGateway") {
            try await self.hub.api.call("BindDevices", [
                ("GatewayProductId", .string(self.subProduct)), ("GatewayDeviceName", .string("sub003")), ("ProductId", .string(self.subProduct)),
                ("DeviceNames", .array([.string("sub001")])),
            ])
        }
        await expect("InvalidParameterValue") { try await bind(["gw2"], productId: self.gatewayProduct) }
        await expect("FailedOperation.BindDevicePerOnceOverLimit") { try await bind((0...100).map { "d\($0)" }) }
        try await hub.api.call("UpdateDeviceAvailableState", [("ProductId", .string(subProduct)), ("DeviceName", .string("sub003")), ("EnableState", .int(0))])
        await expect("UnauthorizedOperation.DeviceIsNotEnabled") { try await bind(["sub003"]) }
        await expect("UnauthorizedOperation.DeviceHasAlreadyBindGateway") {
            try await self.hub.api.call("DeleteDevice", [("ProductId", .string(self.subProduct)), ("DeviceName", .string("sub001"))])
        }
        await expect("UnauthorizedOperation.GatewayHasBindedDevices") {
            try await self.hub.api.call("DeleteDevice", [("ProductId", .string(self.gatewayProduct)), ("DeviceName", .string("gw1"))])
        }
        // DescribeGatewayBindDevices: paging, product filter, 2021-04-08 only.
        let page = try await hub.api.call("DescribeGatewayBindDevices", [
            ("GatewayProductId", .string(gatewayProduct)), ("GatewayDeviceName", .string("gw1")), ("Offset", .int(1)), ("Limit", .int(1)),
        ])
        XCTAssertEqual(page["TotalCount"], .int(2))
        XCTAssertEqual(page["Devices"]?[0]?["DeviceName"], .string("sub002"))
        XCTAssertNotNil(page["Devices"]?[0]?["BindTime"]?.int64Value)
        XCTAssertEqual(page["Devices"]?[0]?["Tags"], .array([]))
        var v2018 = hub.api
        v2018.version = "2018-06-14"
        await expect("InvalidAction") {
            try await v2018.call("DescribeGatewayBindDevices", [
                ("GatewayProductId", .string(self.gatewayProduct)), ("GatewayDeviceName", .string("gw1")), ("Offset", .int(0)), ("Limit", .int(1)),
            ])
        }
        // A device of a product that is no gateway product: bind 808, online -2, an empty list.
        let (plain, _) = try await TestMQTTClient.device(port: await hub.port(.mqtt), productId: subProduct, deviceName: "sub002", psk: psks["sub002"]!)
        clients.append(plain)
        try await assertEqual(try await plain.subscribe("$gateway/operation/result/\(subProduct)/sub002", qos: .atLeastOnce), [1])
        try await assertEqual(try await request(plain, bindText("sub001"), gateway: "sub002", productId: subProduct), result("bind", "sub001", 808))
        try await assertEqual(
            try await request(plain, #"{"type":"online","payload":{"devices":[\#(entry("sub001"))]}}"#, gateway: "sub002", productId: subProduct),
            result("online", "sub001", -2)
        )
        try await assertEqual(
            try await request(plain, #"{"type":"describe_sub_devices"}"#, gateway: "sub002", productId: subProduct),
            #"{"type":"describe_sub_devices","payload":{"devices":[]}}"#
        )
    }

    /// Pushes go to a connected gateway only: one whose persistent session is offline does not find a queued
    /// `change` when it returns.
    func testPushesAreNotQueuedForAnOfflineGateway() async throws {
        let username = DeviceUsername.make(productId: gatewayProduct, deviceName: "gw1", sdkAppId: "21010406", connId: "abcde", expiry: .never)
        let password = try MQTTPassword.make(username: username, devicePSK: psks["gw1"]!, method: .hmacSHA1)
        func connectPersistent() async throws -> (TestMQTTClient, MQTTConnAck?) {
            try await TestMQTTClient.connect(port: await hub.port(.mqtt), MQTTConnect(
                protocolName: "MQTT", protocolLevel: 4, cleanSession: false, keepAlive: 60, clientId: gatewayProduct + "gw1", will: nil,
                username: username, password: Array(password.utf8), properties: MQTTProperties()
            ))
        }
        let (first, ack) = try await connectPersistent()
        clients.append(first)
        XCTAssertEqual(ack?.returnCode, 0)
        try await assertEqual(try await first.subscribe("$gateway/operation/result/\(gatewayProduct)/gw1", qos: .atLeastOnce), [1])
        await first.close()
        try await Task.sleep(for: .milliseconds(200))
        try await hub.api.call("BindDevices", [
            ("GatewayProductId", .string(gatewayProduct)), ("GatewayDeviceName", .string("gw1")), ("ProductId", .string(subProduct)),
            ("DeviceNames", .array(["sub001"])),
        ])
        let (again, resumed) = try await connectPersistent()
        clients.append(again)
        XCTAssertEqual(resumed?.sessionPresent, true, "the session was kept")
        await XCTAssertThrowsErrorAsync(try await again.message(timeout: 0.5), "no change queued while the gateway was away")
        // Connected: the next change arrives.
        try await hub.api.call("BindDevices", [
            ("GatewayProductId", .string(gatewayProduct)), ("GatewayDeviceName", .string("gw1")), ("ProductId", .string(subProduct)),
            ("DeviceNames", .array(["sub002"])),
        ])
        let push = try await again.message()
        XCTAssertEqual(String(buffer: push.payload), #"{"type":"change","payload":{"status":1,"devices":[\#(entry("sub002"))]}}"#)
    }

    /// The hub's unbind-all: every sub-device unbound and offline, the gateway told with `unbind_all`.
    func testUnbindAllPushesUnbindAllAndDetachesEverything() async throws {
        let gateway = try await connectGateway()
        for name in ["sub001", "sub002"] {
            try await assertEqual(try await request(gateway, bindText(name)), result("bind", name, 0))
            try await assertEqual(try await request(gateway, #"{"type":"online","payload":{"devices":[\#(entry(name))]}}"#), result("online", name, 0))
        }
        let answer = try await hub.api.call("UnbindAllSubDevices", [("GatewayProductId", .string(gatewayProduct)), ("GatewayDeviceName", .string("gw1"))])
        XCTAssertEqual(answer["UnboundCount"], .int(2))
        let push = try await gateway.message()
        XCTAssertEqual(String(buffer: push.payload), #"{"type":"unbind_all"}"#)
        if let id = push.packetId { try await gateway.send(.puback(MQTTAck(packetId: id))) }
        // The C33 acknowledgement is not a request: no reply.
        try await gateway.publish("$gateway/operation/\(gatewayProduct)/gw1", #"{"type":"unbind_all", "payload":{"result":0}}"#)
        await XCTAssertThrowsErrorAsync(try await gateway.message(timeout: 0.3), "an acknowledgement gets no reply")
        try await assertEqual(try await describe("sub001")["Online"], .int(0))
        try await assertEqual(try await gateway.subscribe("\(subProduct)/sub001/data", id: 9), [0x80])
        try await assertEqual(try await request(gateway, #"{"type":"describe_sub_devices"}"#), #"{"type":"describe_sub_devices","payload":{"devices":[]}}"#)
    }

    /// The product webhook hears of a sub-device as of a device of its own: activated and online at its first
    /// `online`, its messages (published by the gateway on its topics) under its own name, offline.
    func testSubDeviceLifecycleAndMessagesReachTheWebhook() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        try await hub.api.call("UpdateProductWebhook", [("ProductId", .string(subProduct)), ("Url", .string("http://127.0.0.1:\(receiver.port)/hook"))])
        try await Task.sleep(for: .milliseconds(1200))  // the URL table refreshes every second
        let gateway = try await connectGateway()
        try await assertEqual(try await request(gateway, bindText("sub001")), result("bind", "sub001", 0))
        try await assertEqual(try await request(gateway, #"{"type":"online","payload":{"devices":[\#(entry("sub001"))]}}"#), result("online", "sub001", 0))
        try await gateway.publish("\(subProduct)/sub001/event", #"{"t":5}"#, qos: .atLeastOnce, id: 3)
        // The gateway's connection drops and returns: the sub-device goes offline and online with it.
        func subEvents() -> [String] {
            receiver.received.compactMap { try? JSONValue(parsing: $0) }.filter { $0["deviceName"] == .string("sub001") }
                .compactMap { $0["event"]?.stringValue ?? $0["type"]?.stringValue }
        }
        func waitForEvents(_ expected: [String]) async throws {
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline, subEvents() != expected { try await Task.sleep(for: .milliseconds(50)) }
            XCTAssertEqual(subEvents(), expected, "\(receiver.received)")
        }
        try await waitForEvents(["activated", "online", "message"])
        await gateway.close()
        try await waitForEvents(["activated", "online", "message", "offline"])
        let again = try await connectGateway()
        try await waitForEvents(["activated", "online", "message", "offline", "online"])
        try await assertEqual(try await request(again, #"{"type":"offline","payload":{"devices":[\#(entry("sub001"))]}}"#), result("offline", "sub001", 0))
        try await waitForEvents(["activated", "online", "message", "offline", "online", "offline"])
        let events = receiver.received.compactMap { try? JSONValue(parsing: $0) }
        let forSub = events.filter { $0["deviceName"] == .string("sub001") }
        let message = forSub.first { $0["type"] == .string("message") }
        XCTAssertEqual(message?["topic"], .string("\(subProduct)/sub001/event"))
        XCTAssertEqual(message?["payload"], .string(#"{"t":5}"#))
        XCTAssertFalse(events.contains { $0["deviceName"] == .string("gw1") && $0["type"] == .string("message") }, "not the gateway's")
    }

    /// Bindings and attachments are on disk: after a restart the gateway reconnects and its sub-device is
    /// online again without a new `online`.
    func testBindingAndAttachmentSurviveARestart() async throws {
        let gateway = try await connectGateway()
        try await assertEqual(try await request(gateway, bindText("sub001")), result("bind", "sub001", 0))
        try await assertEqual(try await request(gateway, #"{"type":"online","payload":{"devices":[\#(entry("sub001"))]}}"#), result("online", "sub001", 0))
        await gateway.close()
        let directory = hub.dataDirectory
        await hub.stop()
        hub = try await TestHub.start(dataDirectory: directory)
        try await assertEqual(try await describe("sub001")["Online"], .int(0), "no gateway connected yet")
        let again = try await connectGateway()
        try await waitForOnline("sub001", 1)
        try await assertEqual(try await again.subscribe("\(subProduct)/sub001/data", id: 2), [0])
        try await assertEqual(
            try await request(again, #"{"type":"describe_sub_devices"}"#),
            #"{"type":"describe_sub_devices","payload":{"devices":[\#(entry("sub001"))]}}"#
        )
    }
}

func XCTAssertThrowsErrorAsync<T>(_ expression: @autoclosure () async throws -> T, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) async {
    do {
        _ = try await expression()
        XCTFail("no error: \(message)", file: file, line: line)
    } catch {}
}

func assertEqual<T: Equatable>(
    _ actual: @autoclosure () async throws -> T, _ expected: @autoclosure () -> T, _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) async throws {
    let value = try await actual()
    XCTAssertEqual(value, expected(), message, file: file, line: line)
}
