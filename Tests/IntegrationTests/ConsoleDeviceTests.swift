import DeviceAuth
import Foundation
import HubConsole
import HubServer
import HubTesting
import JSONCore
import MQTTCore
import NIOCore
import Registry
import XCTest

/// The console's device pages over HTTP against an in-process hub: the list's status filters, a device's
/// page (facts, registration attempts, shadow, control messages, disable/enable/reset/delete), adding devices
/// from a file, and what a viewer may not do.
final class ConsoleDeviceTests: XCTestCase {
    static let password = "correct horse battery"
    static let xss = "<script>alert(1)</script>"
    static let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"

    var hub: TestHub!

    override func setUp() async throws {
        hub = try await TestHub.start()
        try await hub.addConsoleOperators(password: Self.password)
    }

    override func tearDown() async throws {
        await hub?.stopAndRemove()
        hub = nil
    }

    func signedIn(_ name: String = "alice") async throws -> ConsoleBrowser {
        var browser = ConsoleBrowser(port: hub.apiPort)
        let answer = try await browser.signIn(name, Self.password)
        XCTAssertEqual(answer.status, 303, answer.body)
        return browser
    }

    /// A key product with dynamic registration (auto-create) on; its id and ProductSecret.
    func product(_ name: String = "meters", encryption: String = "2") async throws -> (id: String, secret: String) {
        let created = try await hub.api.call(
            "CreateProduct",
            [("ProductName", .string(name)), ("ProductProperties", .object(["EncryptionType": .string(encryption), "RegisterType": .int(2), "RegisterLimit": .int(10)]))]
        )
        return (try XCTUnwrap(created["ProductId"]?.stringValue), created["ProductProperties"]?["ProductSecret"]?.stringValue ?? "")
    }

    func createDevice(_ productId: String, _ name: String) async throws -> String {
        let answer = try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
        return try XCTUnwrap(answer["DevicePsk"]?.stringValue)
    }

    /// The names in the device list of a page.
    static func listedNames(_ page: ConsoleBrowser.Page) -> [String] {
        page.body.components(separatedBy: #"<td class="device-name"><a href=""#).dropFirst().compactMap { cell in
            cell.split(separator: ">", maxSplits: 1).last.map { String($0.prefix { $0 != "<" }) }
        }
    }

    func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<500 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("\(what): not within 10 s")
    }

    func shadow(_ productId: String, _ name: String) async throws -> JSONValue {
        let answer = try await hub.api.call("DescribeDeviceShadow", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
        return try JSONValue(parsing: try XCTUnwrap(answer["Data"]?.stringValue))
    }

    /// A form with one file, as a browser sends it.
    static func multipart(_ fields: [(String, String)], file: (name: String, bytes: [UInt8])?) -> (contentType: String, body: [UInt8]) {
        let boundary = "----ConsoleDeviceTests\(UUID().uuidString.prefix(8))"
        var body: [UInt8] = []
        for (name, value) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        if let file {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name)\"\r\nContent-Type: text/csv\r\n\r\n".utf8)
            body += file.bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", body)
    }

    func upload(_ browser: ConsoleBrowser, _ productId: String, csrf: String?, file: String, name: String = "units.csv") async throws -> ConsoleBrowser.Page {
        let form = Self.multipart(csrf.map { [("_csrf", $0)] } ?? [], file: (name, Array(file.utf8)))
        return try await browser.send("POST", "/console/products/\(productId)/devices/import", body: form.body, headers: [("Content-Type", form.contentType)])
    }

    // MARK: the list

    func testStatusFiltersListTheRightDevicesAndLinkTheirPages() async throws {
        let (id, _) = try await product()
        let port = await hub.port(.mqtt)
        var psks: [String: String] = [:]
        for name in ["on-1", "off-1", "never-1", "dis-1", "on-2"] { psks[name] = try await createDevice(id, name) }
        var connected: [TestMQTTClient] = []
        for name in ["on-1", "off-1", "on-2"] {
            let (client, ack) = try await TestMQTTClient.device(port: port, productId: id, deviceName: name, psk: try XCTUnwrap(psks[name]))
            XCTAssertEqual(ack?.returnCode, 0)
            connected.append(client)
        }
        await connected[1].close()
        try await waitUntil("off-1 offline") { try await !hub.hub.registry.device(productId: id, name: "off-1").online }
        try await hub.api.call("UpdateDeviceAvailableState", [("ProductId", .string(id)), ("DeviceName", .string("dis-1")), ("EnableState", .int(0))])

        let browser = try await signedIn()
        let expected: [(String, [String])] = [
            ("", ["on-1", "off-1", "never-1", "dis-1", "on-2"]), ("online", ["on-1", "on-2"]), ("offline", ["off-1"]),
            ("never", ["never-1", "dis-1"]), ("disabled", ["dis-1"]),
        ]
        for (status, names) in expected {
            let page = try await browser.get("/console/products/\(id)/devices?status=\(status)")
            XCTAssertEqual(page.status, 200)
            XCTAssertEqual(Self.listedNames(page), names, "status=\(status)")
            XCTAssertTrue(page.body.contains("\(names.count) device(s)."), page.body)
            if !status.isEmpty { XCTAssertTrue(page.body.contains(#"<option value="\#(status)" selected>"#), "the filter is shown as chosen") }
        }
        // With the name filter, and the same answer as the management API's hub parameter.
        let both = try await browser.get("/console/products/\(id)/devices?status=online&name=2")
        XCTAssertEqual(Self.listedNames(both), ["on-2"])
        let api = try await hub.api.call("DescribeDevices", [("ProductId", .string(id)), ("Offset", .int(0)), ("Limit", .int(10)), ("Online", .int(3))])
        XCTAssertEqual(api["TotalCount"]?.intValue, 2)
        XCTAssertEqual(api["Devices"]?.arrayValue?.compactMap { $0["DeviceName"]?.stringValue }, ["never-1", "dis-1"])
        do {
            try await hub.api.call("DescribeDevices", [("ProductId", .string(id)), ("Offset", .int(0)), ("Limit", .int(10)), ("Online", .int(2))])
            XCTFail("Online=2 accepted")
        } catch {}

        // Each name links to the device's page.
        let all = try await browser.get("/console/products/\(id)/devices")
        XCTAssertTrue(all.body.contains(#"<a href="/console/products/\#(id)/devices/on-1">on-1</a>"#), all.body)
        let details = try await browser.get("/console/products/\(id)/devices/on-1")
        XCTAssertEqual(details.status, 200)
        XCTAssertTrue(details.body.contains(#"<code class="device-name">on-1</code>"#), details.body)
        for client in connected { await client.close() }
    }

    func testPagingKeepsTheFilters() async throws {
        let (id, _) = try await product()
        let names = (1...55).map { "p-\($0)" }
        _ = try await hub.api.call("CreateDevices", [("ProductId", .string(id)), ("DeviceNames", .array(names.map(JSONValue.string)))])
        let browser = try await signedIn()
        let first = try await browser.get("/console/products/\(id)/devices?status=never&name=p-")
        XCTAssertEqual(Self.listedNames(first), Array(names.prefix(50)))
        XCTAssertTrue(first.body.contains(#"<a href="?offset=50&amp;name=p-&amp;status=never">Next</a>"#), first.body)
        let second = try await browser.get("/console/products/\(id)/devices?offset=50&name=p-&status=never")
        XCTAssertEqual(Self.listedNames(second), Array(names.suffix(5)))
        let none = try await browser.get("/console/products/\(id)/devices?status=online&name=p-")
        XCTAssertEqual(Self.listedNames(none), [])
        XCTAssertTrue(none.body.contains("0 device(s)."))
    }

    // MARK: a device's page

    func testDevicePageShowsTheFactsAndTheRegistrationAttempts() async throws {
        let (id, secret) = try await product()
        // The unit registers (dynamic registration), connects, reports a firmware version.
        let body = RegistrationWire.legacyRequestBody(productId: id, deviceName: "unit-1", nonce: 7, timestamp: Int64(Date().timeIntervalSince1970), productSecret: secret)
        _ = try await RawHTTP.exchange(
            port: hub.httpPort,
            request: RawHTTP.request(path: "/register/dev", headers: [("Host", "h"), ("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
        )
        let device = try await hub.hub.registry.device(productId: id, name: "unit-1")
        let (client, ack) = try await TestMQTTClient.device(port: await hub.port(.mqtt), productId: id, deviceName: "unit-1", psk: try XCTUnwrap(device.psk))
        XCTAssertEqual(ack?.returnCode, 0)
        try await hub.hub.registry.recordFirmwareVersion(DeviceKey(productId: id, name: "unit-1"), version: "1.4.2")
        _ = try await createDevice(id, "spare-1")

        let browser = try await signedIn()
        let page = try await browser.get("/console/products/\(id)/devices/unit-1")
        XCTAssertEqual(page.status, 200, page.body)
        let activated = try await hub.hub.registry.device(productId: id, name: "unit-1")
        for fact in [
            #"<dd class="device-state">enabled</dd>"#, #"<dd class="device-status">online</dd>"#,
            #"<dd class="device-activated">\#(ConsolePagesTime.format(try XCTUnwrap(activated.firstOnlineTime)))</dd>"#,
            #"<dd class="device-last-login">\#(ConsolePagesTime.format(activated.loginTime))</dd>"#,
            #"<dd class="device-address">127.0.0.1</dd>"#, #"<dd class="device-version">1.4.2</dd>"#, #"<dd class="device-fetched">yes</dd>"#,
            "<code>\(id)/unit-1/control</code>", #"<td class="attempt-reason">"#, "1 attempt(s).",
        ] {
            XCTAssertTrue(page.body.contains(fact), "\(fact) not in \(page.body)")
        }
        let spare = try await browser.get("/console/products/\(id)/devices/spare-1")
        for fact in [
            #"<dd class="device-status">never activated</dd>"#, #"<dd class="device-activated">-</dd>"#, #"<dd class="device-address">-</dd>"#,
            #"<dd class="device-fetched">no</dd>"#, "No registration attempts.", "0 attempt(s).",
        ] {
            XCTAssertTrue(spare.body.contains(fact), "\(fact) not in \(spare.body)")
        }
        // The credential is not on the page.
        XCTAssertFalse(page.body.contains(try XCTUnwrap(device.psk)))
        let missing = try await browser.get("/console/products/\(id)/devices/nobody")
        XCTAssertEqual(missing.status, 404)
        await client.close()
    }

    func testDesiredEditChangesTheShadowAndInvalidJSONChangesNothing() async throws {
        let (id, _) = try await product()
        _ = try await createDevice(id, "lamp-1")
        let browser = try await signedIn()
        let token = try await browser.csrf()
        let path = "/console/products/\(id)/devices/lamp-1"

        let saved = try await browser.post(path + "/shadow", [("_csrf", token), ("version", "0"), ("desired", #"{"light": 1, "label": "\#(Self.xss)"}"#)])
        XCTAssertEqual(saved.status, 303, saved.body)
        var document = try await shadow(id, "lamp-1")
        XCTAssertEqual(document["payload"]?["state"]?["desired"]?["light"], .int(1))
        XCTAssertEqual(document["payload"]?["version"], .int(1))
        // The page shows it, escaped, with the version the next edit must name.
        let page = try await browser.get(path)
        XCTAssertTrue(page.body.contains(#"<input type="hidden" name="version" value="1">"#), page.body)
        XCTAssertTrue(page.body.contains(Self.escaped), page.body)
        XCTAssertFalse(page.body.contains(Self.xss))

        // Invalid JSON: a clear error, the text kept in the editor, nothing changed.
        let invalid = try await browser.post(path + "/shadow", [("_csrf", token), ("version", "1"), ("desired", #"{"light": "#)])
        XCTAssertEqual(invalid.status, 400)
        XCTAssertTrue(invalid.body.contains("The desired state is not valid JSON"), invalid.body)
        XCTAssertTrue(invalid.body.contains("{&quot;light&quot;: </textarea>"), invalid.body)
        // Not an object, and an old version: the action's rules, nothing changed.
        let array = try await browser.post(path + "/shadow", [("_csrf", token), ("version", "1"), ("desired", "[1]")])
        XCTAssertEqual(array.status, 400)
        let stale = try await browser.post(path + "/shadow", [("_csrf", token), ("version", "0"), ("desired", #"{"light": 0}"#)])
        XCTAssertEqual(stale.status, 400)
        XCTAssertTrue(stale.body.contains(#"class="error""#))
        document = try await shadow(id, "lamp-1")
        XCTAssertEqual(document["payload"]?["state"]?["desired"]?["light"], .int(1))
        XCTAssertEqual(document["payload"]?["version"], .int(1))

        // A member set to null is removed.
        let removed = try await browser.post(path + "/shadow", [("_csrf", token), ("version", "1"), ("desired", #"{"label": null}"#)])
        XCTAssertEqual(removed.status, 303, removed.body)
        document = try await shadow(id, "lamp-1")
        XCTAssertNil(document["payload"]?["state"]?["desired"]?["label"])
        let audit = try await hub.hub.operatorStore.operatorAudit(offset: 0, limit: 10).entries.filter { $0.action == "UpdateDeviceShadow" }.map(\.result)
        XCTAssertEqual(audit, ["ok", "FailedOperation.UpdateVersionNotMatch", "InvalidParameterValue.NotMergeAble", "ok"])
    }

    func testControlMessageReachesTheSubscribedDevice() async throws {
        let (id, _) = try await product()
        let psk = try await createDevice(id, "valve-1")
        let browser = try await signedIn()
        let token = try await browser.csrf()
        let path = "/console/products/\(id)/devices/valve-1"

        // Offline: the action's error, the payload kept (escaped) in the form.
        let offline = try await browser.post(path + "/message", [("_csrf", token), ("payload", Self.xss), ("qos", "1")])
        XCTAssertEqual(offline.status, 400)
        XCTAssertTrue(offline.body.contains("device offline"), offline.body)
        XCTAssertTrue(offline.body.contains(Self.escaped), offline.body)
        XCTAssertFalse(offline.body.contains(Self.xss))

        let (client, ack) = try await TestMQTTClient.device(port: await hub.port(.mqtt), productId: id, deviceName: "valve-1", psk: psk)
        XCTAssertEqual(ack?.returnCode, 0)
        let granted = try await client.subscribe("\(id)/valve-1/control", qos: .atLeastOnce)
        XCTAssertEqual(granted, [1])
        let sent = try await browser.post(path + "/message", [("_csrf", token), ("payload", #"{"open":true}"#), ("qos", "1")])
        XCTAssertEqual(sent.status, 303, sent.body)
        let message = try await client.message()
        XCTAssertEqual(message.topic, "\(id)/valve-1/control")
        XCTAssertEqual(String(buffer: message.payload), #"{"open":true}"#)
        XCTAssertEqual(message.qos, .atLeastOnce)
        let done = try await browser.get(try XCTUnwrap(sent.header("Location")))
        XCTAssertTrue(done.body.contains("Message sent."))
        await client.close()
    }

    func testDisableEnableResetAndDeleteWorkAndAreAudited() async throws {
        let (id, _) = try await product()
        let psk = try await createDevice(id, "pump-1")
        let (client, ack) = try await TestMQTTClient.device(port: await hub.port(.mqtt), productId: id, deviceName: "pump-1", psk: psk)
        XCTAssertEqual(ack?.returnCode, 0)
        let browser = try await signedIn()
        let token = try await browser.csrf()
        let path = "/console/products/\(id)/devices/pump-1"

        let disabled = try await browser.post(path + "/disable", [("_csrf", token)])
        XCTAssertEqual(disabled.status, 303, disabled.body)
        var device = try await hub.hub.registry.device(productId: id, name: "pump-1")
        XCTAssertFalse(device.enabled)
        let closed = await client.waitForClose(timeout: 10)
        XCTAssertTrue(closed, "a disabled device is disconnected")
        var page = try await browser.get(path)
        XCTAssertTrue(page.body.contains(#"<dd class="device-state">disabled</dd>"#))
        XCTAssertTrue(page.body.contains(#"action="\#(path)/enable""#), "the button enables now")
        let enabled = try await browser.post(path + "/enable", [("_csrf", token)])
        XCTAssertEqual(enabled.status, 303)
        device = try await hub.hub.registry.device(productId: id, name: "pump-1")
        XCTAssertTrue(device.enabled)

        // Reset and delete each after a confirmation page, which changes nothing by itself.
        let confirmReset = try await browser.get(path + "/confirm?do=reset")
        XCTAssertEqual(confirmReset.status, 200)
        XCTAssertTrue(confirmReset.body.contains(#"<form method="post" action="\#(path)/reset""#), confirmReset.body)
        let unchanged = try await hub.hub.registry.device(productId: id, name: "pump-1").psk
        XCTAssertEqual(unchanged, psk)
        let reset = try await browser.post(path + "/reset", [("_csrf", token)])
        XCTAssertEqual(reset.status, 303)
        device = try await hub.hub.registry.device(productId: id, name: "pump-1")
        XCTAssertNotEqual(device.psk, psk, "a new credential")
        XCTAssertFalse(device.activated)
        page = try await browser.get(try XCTUnwrap(reset.header("Location")))
        XCTAssertTrue(page.body.contains("Registration reset"), page.body)
        XCTAssertTrue(page.body.contains(#"<dd class="device-status">never activated</dd>"#))

        let confirmDelete = try await browser.get(path + "/confirm?do=delete")
        XCTAssertTrue(confirmDelete.body.contains(#"<form method="post" action="\#(path)/delete""#), confirmDelete.body)
        _ = try await hub.hub.registry.device(productId: id, name: "pump-1")
        let deleted = try await browser.post(path + "/delete", [("_csrf", token)])
        XCTAssertEqual(deleted.status, 200, deleted.body)
        XCTAssertTrue(deleted.body.contains("Device pump-1 deleted."))
        do {
            _ = try await hub.hub.registry.device(productId: id, name: "pump-1")
            XCTFail("still there")
        } catch {}

        let entries = try await hub.hub.operatorStore.operatorAudit(offset: 0, limit: 10).entries
        XCTAssertEqual(
            Array(entries.prefix(4).map { "\($0.operatorName) \($0.action) \($0.target) \($0.result) \($0.detail)" }),
            [
                "alice DeleteDevice \(id)/pump-1 ok ", "alice ResetDeviceRegistration \(id)/pump-1 ok ",
                "alice UpdateDeviceAvailableState \(id)/pump-1 ok EnableState=1", "alice UpdateDeviceAvailableState \(id)/pump-1 ok EnableState=0",
            ]
        )
    }

    func testViewerSeesTheDevicePageButNoFormsAndIsRefused() async throws {
        let (id, _) = try await product()
        _ = try await createDevice(id, "seen-1")
        let viewer = try await signedIn("victor")
        let path = "/console/products/\(id)/devices/seen-1"
        let page = try await viewer.get(path)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains(#"<dd class="device-state">enabled</dd>"#))
        XCTAssertTrue(page.body.contains(#"<pre id="shadow-desired">"#), "the desired state as text")
        XCTAssertEqual(page.body.components(separatedBy: #"method="post""#).count - 1, 1, "only the sign-out form: \(page.body)")
        XCTAssertFalse(page.body.contains("confirm?do="))
        let list = try await viewer.get("/console/products/\(id)/devices")
        XCTAssertFalse(list.body.contains(#"enctype="multipart/form-data""#))
        let confirm = try await viewer.get(path + "/confirm?do=delete")
        XCTAssertEqual(confirm.status, 403)

        let token = try XCTUnwrap(page.csrf)
        for (action, fields) in [
            ("disable", [("_csrf", token)]), ("reset", [("_csrf", token)]), ("delete", [("_csrf", token)]),
            ("shadow", [("_csrf", token), ("version", "0"), ("desired", #"{"a":1}"#)]), ("message", [("_csrf", token), ("payload", "x")]),
        ] {
            let refused = try await viewer.post(path + "/" + action, fields)
            XCTAssertEqual(refused.status, 403, action)
        }
        let uploaded = try await upload(viewer, id, csrf: token, file: "viewer-1\n")
        XCTAssertEqual(uploaded.status, 403)
        let device = try await hub.hub.registry.device(productId: id, name: "seen-1")
        XCTAssertTrue(device.enabled)
        XCTAssertNil(device.shadow)
        let total = try await hub.hub.registry.devices(productId: id, offset: 0, limit: 10).total
        XCTAssertEqual(total, 1)
    }

    // MARK: adding devices from a file

    func testFileWithBadLinesReportsTheLinesAndCreatesNothing() async throws {
        let (id, _) = try await product()
        _ = try await createDevice(id, "unit-3")
        let browser = try await signedIn()
        let token = try await browser.csrf()
        let file = "DeviceName\r\nunit-1\r\nbad name!\r\n\r\nunit-2\r\nunit-1\r\nunit-3\r\n\(Self.xss)\r\n"
        let page = try await upload(browser, id, csrf: token, file: file)
        XCTAssertEqual(page.status, 400, page.body)
        XCTAssertTrue(page.body.contains("Nothing was created: 4 line(s) of units.csv cannot be used"), page.body)
        let lines = page.body.components(separatedBy: #"<td class="problem-line">"#).dropFirst().map { String($0.prefix { $0 != "<" }) }
        XCTAssertEqual(lines, ["3", "6", "7", "8"])
        XCTAssertTrue(page.body.contains("(first on line 2)"), "the duplicate names its first line")
        XCTAssertTrue(page.body.contains("device already exists"))
        XCTAssertTrue(page.body.contains(Self.escaped))
        XCTAssertFalse(page.body.contains(Self.xss))
        let total = try await hub.hub.registry.devices(productId: id, offset: 0, limit: 10).total
        XCTAssertEqual(total, 1, "nothing created")
        let audit = try await hub.hub.operatorStore.operatorAudit(offset: 0, limit: 1).entries.first
        XCTAssertEqual(audit?.action, "CreateDevices")
        XCTAssertEqual(audit?.detail, "file=units.csv names=6")
    }

    func testGoodFileCreatesAllAndOffersTheirCredentialsOnce() async throws {
        let (id, _) = try await product()
        let browser = try await signedIn()
        let token = try await browser.csrf()
        let page = try await upload(browser, id, csrf: token, file: "DeviceName\nunit-1\nunit-2\nunit:3\n")
        XCTAssertEqual(page.status, 201, page.body)
        XCTAssertTrue(page.body.contains("3 device(s) created from units.csv."), page.body)
        let link = try XCTUnwrap(page.body.range(of: #"href="/console/downloads/"#).map { "/console/downloads/" + page.body[$0.upperBound...].prefix { $0 != "\"" } })
        let download = try await browser.get(link)
        XCTAssertEqual(download.status, 200)
        XCTAssertEqual(download.header("Content-Type"), "text/csv; charset=utf-8")
        XCTAssertEqual(download.header("Content-Disposition"), #"attachment; filename="devices-\#(id)-3.csv""#)
        XCTAssertEqual(download.header("Cache-Control"), "no-store")
        var expected = "ProductId,DeviceName,DevicePsk\n"
        for name in ["unit-1", "unit-2", "unit:3"] {
            let device = try await hub.hub.registry.device(productId: id, name: name)
            expected += "\(id),\(name),\(try XCTUnwrap(device.psk))\n"
        }
        XCTAssertEqual(download.body, expected)
        // Only for the session that made it.
        let other = try await signedIn()
        let refused = try await other.get(link)
        XCTAssertEqual(refused.status, 404)
        XCTAssertFalse(refused.body.contains("ProductId,DeviceName"))
        // A name with `:` has a page too.
        let colon = try await browser.get("/console/products/\(id)/devices/unit%3A3")
        XCTAssertEqual(colon.status, 200)
        XCTAssertTrue(colon.body.contains(#"<code class="device-name">unit:3</code>"#), colon.body)

        // A certificate product: certificates and keys, as JSON.
        let (certId, _) = try await product("cams", encryption: "1")
        let certPage = try await upload(browser, certId, csrf: token, file: "cam-1\ncam-2\n")
        XCTAssertEqual(certPage.status, 201, certPage.body)
        let certLink = try XCTUnwrap(certPage.body.range(of: #"href="/console/downloads/"#).map { "/console/downloads/" + certPage.body[$0.upperBound...].prefix { $0 != "\"" } })
        let certFile = try await browser.get(certLink)
        XCTAssertEqual(certFile.header("Content-Type"), "application/json")
        let entries = try XCTUnwrap(try JSONValue(parsing: certFile.body).arrayValue)
        XCTAssertEqual(entries.compactMap { $0["DeviceName"]?.stringValue }, ["cam-1", "cam-2"])
        for entry in entries {
            XCTAssertTrue(entry["DeviceCert"]?.stringValue?.contains("BEGIN CERTIFICATE") ?? false)
            XCTAssertTrue(entry["DevicePrivateKey"]?.stringValue?.contains("PRIVATE KEY") ?? false)
        }
        // The first file's link is gone: a session keeps its last file.
        let replaced = try await browser.get(link)
        XCTAssertEqual(replaced.status, 404)
    }

    func testOversizedOrTokenlessUploadsAreRefused() async throws {
        let (id, _) = try await product()
        let browser = try await signedIn()
        let token = try await browser.csrf()
        // 600 KiB of valid names.
        let big = (0..<30_000).map { "unit-\(String($0).leftPadded(12))" }.joined(separator: "\n")
        XCTAssertGreaterThan(big.utf8.count, 520 * 1024)
        let tooLarge = try await upload(browser, id, csrf: token, file: big)
        XCTAssertEqual(tooLarge.status, 413, tooLarge.body)
        XCTAssertTrue(tooLarge.body.contains("The file is larger than 512 KiB"), tooLarge.body)
        // Without the CSRF token, or another session's: refused before anything is read as names.
        let other = try await signedIn().csrf()
        for csrf in [nil, other] {
            let refused = try await upload(browser, id, csrf: csrf, file: "unit-1\n")
            XCTAssertEqual(refused.status, 403, refused.body)
        }
        let empty = try await upload(browser, id, csrf: token, file: "DeviceName\n\n")
        XCTAssertEqual(empty.status, 400)
        XCTAssertTrue(empty.body.contains("has no device names"), empty.body)
        let total = try await hub.hub.registry.devices(productId: id, offset: 0, limit: 10).total
        XCTAssertEqual(total, 0)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// The console's time format (UTC), for comparing facts on a page.
enum ConsolePagesTime {
    static func format(_ seconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(seconds)))
    }
}
