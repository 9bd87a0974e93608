import Foundation
import HubServer
import HubTesting
import JSONCore
import Registry
import XCTest

/// `iothub gateway bind|unbind|list`, `iothub product create --gateway` and `iothub-device gateway`, run as
/// the real executables against a hub.
final class GatewayCLITests: XCTestCase {
    func run(_ tool: String, _ arguments: [String]) async throws -> ExternalTools.Result {
        try await HubProcess.runTool(tool, arguments)
    }

    func testOperatorAndSimulatedGatewayWithTheCLIs() async throws {
        let hub = try await TestHub.start()
        let common = ["--endpoint", hub.apiEndpoint, "--data-dir", hub.dataDirectory]
        let gatewayCreated = try await run("iothub", ["product", "create", "gateways", "--gateway"] + common)
        XCTAssertEqual(gatewayCreated.status, 0, gatewayCreated.stderr)
        let gatewayProduct = try XCTUnwrap(gatewayCreated.stdout.split(separator: " ").dropFirst(2).first.map(String.init))
        let shown = try await run("iothub", ["product", "show", gatewayProduct] + common)
        XCTAssertTrue(shown.stdout.contains("gateway"), shown.stdout)
        let sensors = try await run("iothub", ["product", "create", "sensors"] + common)
        let subProduct = try XCTUnwrap(sensors.stdout.split(separator: " ").dropFirst(2).first.map(String.init))
        let gatewayDevice = try await hub.api.call("CreateDevice", [("ProductId", .string(gatewayProduct)), ("DeviceName", .string("gw"))])
        let gatewayPSK = try XCTUnwrap(gatewayDevice["DevicePsk"]?.stringValue)
        for name in ["s1", "s2"] { _ = try await hub.api.call("CreateDevice", [("ProductId", .string(subProduct)), ("DeviceName", .string(name))]) }
        let secretS1 = try await hub.hub.registry.device(productId: subProduct, name: "s1").psk ?? ""
        let secretS2 = try await hub.hub.registry.device(productId: subProduct, name: "s2").psk ?? ""
        let dynreg = try await run("iothub", ["product", "dynreg", subProduct, "--mode", "auto-create"] + common)
        XCTAssertEqual(dynreg.status, 0, dynreg.stderr)
        let subSecret = try await hub.hub.registry.product(subProduct).productSecret

        // The operator binds s1; list shows it; a bad gateway name is refused with a clear message.
        let bind = try await run("iothub", ["gateway", "bind", "\(gatewayProduct)/gw", subProduct, "s1"] + common)
        XCTAssertEqual(bind.status, 0, bind.stderr)
        let badName = try await run("iothub", ["gateway", "list", "gw-without-product"] + common)
        XCTAssertNotEqual(badName.status, 0)
        XCTAssertTrue(badName.stderr.contains("PRODUCT_ID/DEVICE_NAME"), badName.stderr)
        let notGateway = try await run("iothub", ["gateway", "bind", "\(subProduct)/s1", subProduct, "s2"] + common)
        XCTAssertNotEqual(notGateway.status, 0)
        XCTAssertTrue(notGateway.stderr.contains("InvalidParameterValue.DeviceIsNotGateway"), notGateway.stderr)

        // The simulated gateway: s1 bound already (binding again is 809, success), s2 bound with its secret,
        // s3 registered with the sub-product key first; each online, 2 rounds of telemetry, offline at exit.
        let mqttPort = await hub.port(.mqtt)
        let gateway = try await run("iothub-device", [
            "gateway", "--product-id", gatewayProduct, "--device-name", "gw", "--psk", gatewayPSK,
            "--http", hub.httpURL, "--mqtt", "127.0.0.1:\(mqttPort)",
            "--sub-product-id", subProduct, "--sub-product-secret", subSecret,
            "--sub", "s1:\(secretS1)", "--sub", "s2:\(secretS2)", "--sub", "s3",
            "--count", "2", "--interval", "0.1",
        ])
        XCTAssertEqual(gateway.status, 0, gateway.stdout + gateway.stderr)
        XCTAssertTrue(gateway.stdout.contains("registered \(subProduct)/s3"), gateway.stdout)
        for name in ["s1", "s2", "s3"] {
            XCTAssertTrue(gateway.stdout.contains("sub-device \(subProduct)/\(name) bound and online"), gateway.stdout)
            XCTAssertTrue(gateway.stdout.contains("sub-device \(subProduct)/\(name) offline"), gateway.stdout)
            let device = try await hub.hub.registry.device(productId: subProduct, name: name)
            XCTAssertNotNil(device.firstOnlineTime, "\(name) was activated through its gateway")
            XCTAssertFalse(device.online, "\(name) is offline after the gateway's exit")
        }
        XCTAssertTrue(gateway.stdout.contains("stopped: 2 round(s) of telemetry for 3 sub-device(s)"), gateway.stdout)

        let list = try await run("iothub", ["gateway", "list", "\(gatewayProduct)/gw"] + common)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("3 sub-device(s)"), list.stdout)
        let order = ["s1", "s2", "s3"].compactMap { list.stdout.range(of: " \($0) ")?.lowerBound }
        XCTAssertEqual(order.count, 3, list.stdout)
        XCTAssertEqual(order, order.sorted(), "bind order: \(list.stdout)")

        let unbind = try await run("iothub", ["gateway", "unbind", "\(gatewayProduct)/gw", subProduct, "s1", "s3"] + common)
        XCTAssertEqual(unbind.status, 0, unbind.stderr)
        let after = try await run("iothub", ["gateway", "list", "\(gatewayProduct)/gw", "--json"] + common)
        let json = try JSONValue(parsing: after.stdout)
        XCTAssertEqual(json["Devices"]?.arrayValue?.compactMap { $0["DeviceName"]?.stringValue }, ["s2"])
        await hub.stopAndRemove()
    }
}
