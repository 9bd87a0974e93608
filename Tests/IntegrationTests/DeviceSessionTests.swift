import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import MQTTCore
import NIOCore
import Registry
import XCTest

/// The broker and the registry together: activation and presence, refusal of activated devices at
/// registration, sessions cut on disable/reset/delete, application access, PublishMessage.
final class DeviceSessionTests: XCTestCase {
    var hub: TestHub!

    override func setUp() async throws {
        hub = try await TestHub.start()
    }

    override func tearDown() async throws {
        await hub.stopAndRemove()
    }

    /// A PSK product with auto-create registration; returns (ProductId, ProductSecret).
    func product() async throws -> (String, String) {
        let created = try await hub.api.call(
            "CreateProduct", [("ProductName", .string("p\(UInt32.random(in: 0...UInt32.max))")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        let dynreg = try await hub.api.call(
            "UpdateProductDynamicRegister", [("ProductId", .string(id)), ("RegisterType", .int(2)), ("RegisterLimit", .int(100))]
        )
        return (id, try XCTUnwrap(dynreg["ProductSecret"]?.stringValue))
    }

    /// Registers a unit through the real HTTP endpoint and returns its PSK.
    func register(_ productId: String, _ secret: String, _ name: String, nonce: Int = 1) async throws -> Result<String, RegistrationServerError> {
        let body = RegistrationWire.legacyRequestBody(productId: productId, deviceName: name, nonce: nonce, timestamp: 1_700_000_000, productSecret: secret)
        let raw = try await RawHTTP.exchange(port: hub.httpPort, request: RawHTTP.request(path: "/register/dev", headers: [("Host", "h")], body: Array(body.utf8)))
        let response = try XCTUnwrap(RawHTTP.parse(raw))
        switch try RegistrationWire.parseLegacyResponse(response.body) {
        case .success(let encrypted):
            guard case .psk(let psk) = try encrypted.decrypt(productSecret: secret) else { return .failure(.init(code: .legacy(-1), message: "cert")) }
            return .success(psk)
        case .failure(let error): return .failure(error)
        }
    }

    func describe(_ productId: String, _ name: String) async throws -> JSONValue {
        try await hub.api.call("DescribeDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
    }

    func testFirstLoginActivatesThenRegistrationIsRefusedUntilReset() async throws {
        let (productId, secret) = try await product()
        let psk = try await register(productId, secret, "unit-1").get()
        let before = try await describe(productId, "unit-1")
        XCTAssertEqual(before["Online"], .int(3), "never activated")
        let port = await hub.port(.mqtt)
        let (client, connack) = try await TestMQTTClient.device(port: port, productId: productId, deviceName: "unit-1", psk: psk)
        XCTAssertEqual(connack?.returnCode, 0)
        let online = try await describe(productId, "unit-1")
        XCTAssertEqual(online["Online"], .int(1))
        XCTAssertGreaterThan(online["FirstOnlineTime"]?.int64Value ?? 0, 0)
        XCTAssertEqual(online["ClientIP"], .string("127.0.0.1"))
        XCTAssertEqual(online["ConnIP"], .int(0x7F00_0001))
        // Activated: registration refused (1026).
        guard case .failure(let refusal) = try await register(productId, secret, "unit-1", nonce: 2) else { return XCTFail("re-registered") }
        XCTAssertEqual(refusal.code, .legacy(1026))
        await client.close()
        // Offline after the connection ends.
        var offline = try await describe(productId, "unit-1")
        for _ in 0..<50 where offline["Online"] != .int(0) {
            try await Task.sleep(for: .milliseconds(20))
            offline = try await describe(productId, "unit-1")
        }
        XCTAssertEqual(offline["Online"], .int(0))
        XCTAssertGreaterThan(offline["LastOfflineTime"]?.int64Value ?? 0, 0)
        // Reset: new credential, the next registration gets it, the old PSK no longer connects.
        let reset = try await hub.api.call("ResetDeviceRegistration", [("ProductId", .string(productId)), ("DeviceName", .string("unit-1"))])
        let newPSK = try await register(productId, secret, "unit-1", nonce: 3).get()
        XCTAssertEqual(reset["DevicePsk"]?.stringValue, newPSK)
        XCTAssertNotEqual(newPSK, psk)
        let (old, oldAck) = try await TestMQTTClient.device(port: port, productId: productId, deviceName: "unit-1", psk: psk)
        XCTAssertEqual(oldAck?.returnCode, 4)
        await old.close()
    }

    func testDisableResetAndDeleteCutLiveSessionsWithinOneSecond() async throws {
        let (productId, secret) = try await product()
        let port = await hub.port(.mqtt)
        for (index, action) in ["disable", "reset", "delete", "resetState", "productDisabled"].enumerated() {
            let name = "cut-\(index)"
            let psk = try await register(productId, secret, name).get()
            let (client, connack) = try await TestMQTTClient.device(port: port, productId: productId, deviceName: name, psk: psk)
            XCTAssertEqual(connack?.returnCode, 0, action)
            let started = Date()
            switch action {
            case "disable":
                try await hub.api.call("UpdateDeviceAvailableState", [("ProductId", .string(productId)), ("DeviceName", .string(name)), ("EnableState", .int(0))])
            case "reset":
                try await hub.api.call("ResetDeviceRegistration", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
            case "delete":
                try await hub.api.call("DeleteDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
            case "resetState":
                try await hub.api.call("ResetDeviceState", [("ProductId", .string(productId)), ("DeviceNames", .array([.string(name)]))])
            default:
                try await hub.api.call("SetProductsForbiddenStatus", [("ProductId", .array([.string(productId)])), ("Status", .int(1))])
            }
            // The close is event-driven (registry event → broker kick), not polled. No timing threshold here
            // (shared, noisy machines): the generous timeout only catches a missing close.
            let closed = await client.waitForClose(timeout: 10)
            XCTAssertTrue(closed, "\(action): session still open after \(Date().timeIntervalSince(started)) s")
            print("session cut after \(action) in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        }
    }

    func testApplicationAccessAndPublishMessage() async throws {
        let (productId, secret) = try await product()
        let (otherProduct, _) = try await product()
        let port = await hub.port(.mqtt)
        let psk = try await register(productId, secret, "sensor").get()
        let app = try await hub.api.call("CreateApplication", [("Name", .string("dashboard")), ("ProductIds", .array([.string(productId)]))])
        let appId = try XCTUnwrap(app["AppId"]?.stringValue)
        let appSecret = try XCTUnwrap(app["AppSecret"]?.stringValue)
        // Shown once: the registry keeps a salted hash, and no later answer names the secret.
        for file in ["registry.sqlite", "registry.sqlite-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: hub.dataDirectory + "/" + file))) ?? Data()
            XCTAssertNil(bytes.range(of: Data(appSecret.utf8)), "the AppSecret is in \(file)")
        }
        let listed = try await hub.api.call("DescribeApplications", [("Offset", .int(0)), ("Limit", .int(10))])
        XCTAssertFalse(listed.serializedString().contains(appSecret))
        XCTAssertEqual(listed["Applications"]?[0]?["AppId"]?.stringValue, appId)

        let (wrong, wrongAck) = try await TestMQTTClient.plain(port: port, clientId: "dash-x", username: appId, password: "nope")
        XCTAssertEqual(wrongAck?.returnCode, 4)
        await wrong.close()
        let (application, appAck) = try await TestMQTTClient.plain(port: port, clientId: "dash", username: appId, password: appSecret)
        XCTAssertEqual(appAck?.returnCode, 0)
        let value1 = try await application.subscribe("+/+/event")
        XCTAssertEqual(value1, [0])
        let (device, _) = try await TestMQTTClient.device(port: port, productId: productId, deviceName: "sensor", psk: psk)
        let value2 = try await device.subscribe("\(productId)/sensor/control")
        XCTAssertEqual(value2, [0])
        try await device.publish("\(productId)/sensor/event", #"{"t":21.5}"#)
        let event = try await application.message()
        XCTAssertEqual(event.topic, "\(productId)/sensor/event")
        XCTAssertEqual(String(buffer: event.payload), #"{"t":21.5}"#)
        // The application commands the device; it may not touch other products.
        try await application.publish("\(productId)/sensor/control", "on")
        let received1 = try await device.message()
        XCTAssertEqual(String(buffer: received1.payload), "on")
        try await application.publish("\(otherProduct)/x/control", "no")

        // PublishMessage: delivered, and each error of cloud-api.md §7.4.
        try await hub.api.call(
            "PublishMessage",
            [("ProductId", .string(productId)), ("DeviceName", .string("sensor")), ("Topic", .string("\(productId)/sensor/control")), ("Payload", .string("b24="))
                , ("PayloadEncoding", .string("base64"))]
        )
        let received2 = try await device.message()
        XCTAssertEqual(String(buffer: received2.payload), "on")
        func publishError(_ parameters: [(String, JSONValue)]) async -> String? {
            do {
                try await hub.api.call("PublishMessage", parameters)
                return nil
            } catch let failure as TestAPIClient.Failure {
                return failure.code
            } catch {
                return "\(error)"
            }
        }
        let base: [(String, JSONValue)] = [("ProductId", .string(productId)), ("DeviceName", .string("sensor")), ("Payload", .string("x"))]
        let noSub = await publishError(base + [("Topic", .string("\(productId)/sensor/data"))])
        XCTAssertEqual(noSub, "FailedOperation.DeviceNoSubscription")
        let badTopic = await publishError(base + [("Topic", .string("\(productId)/other/control"))])
        XCTAssertEqual(badTopic, "FailedOperation.InvalidTopicName")
        let tooBig = await publishError(
            [("ProductId", .string(productId)), ("DeviceName", .string("sensor")), ("Topic", .string("\(productId)/sensor/control")),
             ("Payload", .string(String(repeating: "x", count: 70_000)))]
        )
        XCTAssertEqual(tooBig, "InvalidParameterValue.PayloadOverLimit")
        let missing = await publishError(
            [("ProductId", .string(productId)), ("DeviceName", .string("ghost")), ("Topic", .string("\(productId)/ghost/control")), ("Payload", .string("x"))]
        )
        XCTAssertEqual(missing, "ResourceNotFound.DeviceNotExist")
        await device.close()
        try await Task.sleep(for: .milliseconds(100))
        let offline = await publishError(base + [("Topic", .string("\(productId)/sensor/control"))])
        XCTAssertEqual(offline, "FailedOperation.DeviceOffline")
        try await hub.api.call("UpdateDeviceAvailableState", [("ProductId", .string(productId)), ("DeviceName", .string("sensor")), ("EnableState", .int(0))])
        let disabled = await publishError(base + [("Topic", .string("\(productId)/sensor/control"))])
        XCTAssertEqual(disabled, "FailedOperation.DeviceAlreadyDisabled")

        // Deleting the application closes its session.
        try await hub.api.call("DeleteApplication", [("AppId", .string(appId))])
        let closed = await application.waitForClose(timeout: 10)
        XCTAssertTrue(closed)
    }

    func testAnonymousClientsOnlyWhenAllowed() async throws {
        let port = await hub.port(.mqtt)
        let (refused, refusedAck) = try await TestMQTTClient.plain(port: port, clientId: "tool")
        XCTAssertEqual(refusedAck?.returnCode, 4)
        await refused.close()
        let open = try await TestHub.start { $0.allowAnonymous = true }
        let openPort = await open.port(.mqtt)
        let (client, ack) = try await TestMQTTClient.plain(port: openPort, clientId: "tool")
        XCTAssertEqual(ack?.returnCode, 0)
        let value3 = try await client.subscribe("free/#")
        XCTAssertEqual(value3, [0])
        let value4 = try await client.subscribe("$shadow/#")
        XCTAssertEqual(value4, [0x80], "device namespaces stay closed")
        try await client.publish("free/x", "hi")
        let received3 = try await client.message()
        XCTAssertEqual(String(buffer: received3.payload), "hi")
        await client.close()
        await open.stopAndRemove()
    }
}
