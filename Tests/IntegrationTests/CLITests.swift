import DeviceAuth
import Foundation
import HubServer
import HubTesting
import Registry
import XCTest

/// The operator CLI and the device simulator's `register`, run as the real executables against a hub.
final class CLITests: XCTestCase {
    func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> ExternalTools.Result {
        try await HubProcess.runTool(tool, arguments, environment: environment)
    }

    func testOperatorFlowWithTheCLIAndTheDeviceSimulator() async throws {
        let hub = try await TestHub.start()
        let common = ["--endpoint", hub.apiEndpoint, "--data-dir", hub.dataDirectory]
        do {
            let created = try await run("iothub", ["product", "create", "thermo", "--auth", "psk"] + common)
            XCTAssertEqual(created.status, 0, created.stderr)
            let productId = try XCTUnwrap(created.stdout.split(separator: " ").dropFirst(2).first.map(String.init))
            XCTAssertEqual(productId.count, 10)

            let dynreg = try await run("iothub", ["product", "dynreg", productId, "--mode", "auto-create", "--limit", "2", "--replay-protection", "on"] + common)
            XCTAssertEqual(dynreg.status, 0, dynreg.stderr)
            XCTAssertTrue(dynreg.stdout.contains("auto-create"), dynreg.stdout)
            XCTAssertTrue(dynreg.stdout.contains("ReplayProtection     on"), dynreg.stdout)
            let show = try await run("iothub", ["product", "show", productId, "--json"] + common)
            let product = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
            let secret = try XCTUnwrap((product?["ProductProperties"] as? [String: Any])?["ProductSecret"] as? String)
            XCTAssertEqual(secret.count, 24)

            // Units register through both endpoints; the third is over the limit.
            for (name, endpoint) in [("SN-1", "v2"), ("SN-2", "legacy")] {
                let unit = try await run(
                    "iothub-device",
                    ["register", "--product-id", productId, "--product-secret", secret, "--device-name", name, "--http", hub.httpURL, "--endpoint", endpoint, "--json"]
                )
                XCTAssertEqual(unit.status, 0, unit.stderr)
                let credential = try JSONSerialization.jsonObject(with: Data(unit.stdout.utf8)) as? [String: Any]
                let device = try await hub.hub.registry.device(productId: productId, name: name)
                XCTAssertEqual(credential?["psk"] as? String, device.psk)
            }
            let refused = try await run(
                "iothub-device",
                ["register", "--product-id", productId, "--product-secret", secret, "--device-name", "SN-3", "--http", hub.httpURL, "--endpoint", "v2-hmacsha1"]
            )
            XCTAssertNotEqual(refused.status, 0)
            XCTAssertTrue(refused.stderr.contains("LimitExceeded.DeviceExceedLimit"), refused.stderr)

            let list = try await run("iothub", ["device", "list", productId] + common)
            XCTAssertEqual(list.status, 0, list.stderr)
            XCTAssertTrue(list.stdout.contains("SN-1") && list.stdout.contains("SN-2") && !list.stdout.contains("SN-3"), list.stdout)
            XCTAssertTrue(list.stdout.contains("2 device(s)"), list.stdout)

            let audit = try await run("iothub", ["audit", "--product", productId, "--result", "failure"] + common)
            XCTAssertEqual(audit.status, 0, audit.stderr)
            XCTAssertTrue(audit.stdout.contains("register_limit_reached") && audit.stdout.contains("SN-3"), audit.stdout)
            XCTAssertTrue(audit.stdout.contains("1 attempt(s)"), audit.stdout)

            let disable = try await run("iothub", ["device", "disable", productId, "SN-1"] + common)
            XCTAssertEqual(disable.status, 0, disable.stderr)
            let disabled = try await hub.hub.registry.device(productId: productId, name: "SN-1")
            XCTAssertFalse(disabled.enabled)
            let reset = try await run("iothub", ["device", "reset", productId, "SN-2"] + common)
            XCTAssertEqual(reset.status, 0, reset.stderr)

            // Errors: clear message with the API code, non-zero exit.
            let missing = try await run("iothub", ["device", "show", productId, "nope"] + common)
            XCTAssertNotEqual(missing.status, 0)
            XCTAssertTrue(missing.stderr.contains("ResourceNotFound.DeviceNotExist"), missing.stderr)
            let notEmpty = try await run("iothub", ["product", "delete", productId] + common)
            XCTAssertNotEqual(notEmpty.status, 0)
            XCTAssertTrue(notEmpty.stderr.contains("UnauthorizedOperation.DevicesExistUnderProduct"), notEmpty.stderr)
            let noCredentials = try await run("iothub", ["product", "list", "--endpoint", hub.apiEndpoint, "--data-dir", "/nonexistent"])
            XCTAssertNotEqual(noCredentials.status, 0)
            let badKey = try await run(
                "iothub", ["product", "list", "--endpoint", hub.apiEndpoint],
                environment: ["TENCENTCLOUD_SECRET_ID": hub.credentials.secretId, "TENCENTCLOUD_SECRET_KEY": "wrong"]
            )
            XCTAssertNotEqual(badKey.status, 0)
            XCTAssertTrue(badKey.stderr.contains("AuthFailure.SignatureFailure"), badKey.stderr)
        } catch {
            await hub.stopAndRemove()
            throw error
        }
        await hub.stopAndRemove()
    }

    func testServeHelpDocumentsEverySetting() async throws {
        let help = try await run("iothub", ["serve", "--help"])
        XCTAssertEqual(help.status, 0)
        for setting in HubSetting.all {
            XCTAssertTrue(help.stdout.contains("--\(setting.flag)"), "--\(setting.flag) missing from help")
            XCTAssertTrue(help.stdout.contains(setting.environment), "\(setting.environment) missing from help")
            XCTAssertTrue(help.stdout.contains(setting.configKey), "\(setting.configKey) missing from help")
        }
    }

    /// `iothub device logs` lists what a device uploaded over HTTP (classic format, the C SDK's bytes).
    func testDeviceLogsCommandShowsUploadedEntries() async throws {
        let hub = try await TestHub.start()
        let common = ["--endpoint", hub.apiEndpoint, "--data-dir", hub.dataDirectory]
        do {
            var spec = NewProduct(name: "logged")
            spec.encryptionType = .psk
            let product = try await hub.hub.registry.createProduct(spec)
            let psk = "7WmFA/MEs+Fy+32QwJWtYw=="
            _ = try await hub.hub.registry.createDevice(productId: product.id, name: "dev001", definedPSK: psk)
            let body = ClassicLogUpload.make(
                productId: product.id, deviceName: "dev001", timestamp: 0,
                entries: ["ERR|2026-12-07 01:31:03|mqtt_sample.c|main(314): MQTT Construct failed!", "INF|2026-12-07 01:31:04|x.c|y(1): fine"], key: psk
            )
            let request = RawHTTP.request(path: "/cgi-bin/report-log", headers: [("Host", "devicelog.iot.cloud.tencent.com")], body: body)
            let raw = try await RawHTTP.exchange(port: hub.httpPort, request: request)
            let reply = try XCTUnwrap(RawHTTP.parse(raw))
            XCTAssertEqual(String(decoding: reply.body, as: UTF8.self), #"{"Retcode":0,"Msg":"ok"}"#)

            let logs = try await run("iothub", ["device", "logs", product.id, "dev001"] + common)
            XCTAssertEqual(logs.status, 0, logs.stderr)
            XCTAssertTrue(logs.stdout.contains("2026-12-07 01:31:03") && logs.stdout.contains("mqtt_sample.c|main(314): MQTT Construct failed!"), logs.stdout)
            XCTAssertTrue(logs.stdout.contains("2 entries"), logs.stdout)
            let errors = try await run("iothub", ["device", "logs", product.id, "dev001", "--level", "ERR"] + common)
            XCTAssertEqual(errors.status, 0, errors.stderr)
            XCTAssertTrue(errors.stdout.contains("1 entry") && !errors.stdout.contains("fine"), errors.stdout)
            let none = try await run("iothub", ["device", "logs", product.id, "other"] + common)
            XCTAssertTrue(none.stdout.contains("0 entries"), none.stdout)
        } catch {
            await hub.stopAndRemove()
            throw error
        }
        await hub.stopAndRemove()
    }
}
