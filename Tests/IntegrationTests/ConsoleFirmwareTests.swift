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

/// The console's Firmware and update-task pages over HTTP against an in-process hub: the multipart upload
/// (the hub's MD5, its size limit, the version rules, duplicates: refusals change nothing), tasks by device
/// names and from a version reaching devices over MQTT, the progress section following device reports,
/// viewers and CSRF.
final class ConsoleFirmwareTests: XCTestCase {
    static let password = "correct horse battery"
    /// The hub's firmware size limit in these tests (`--firmware-max-size`).
    static let maxSize = 256 * 1024

    var hub: TestHub!
    var productId = ""
    var psks: [String: String] = [:]
    var clients: [TestMQTTClient] = []

    override func setUp() async throws {
        hub = try await TestHub.start { $0.firmwareMaxSize = Int64(Self.maxSize) }
        try await hub.addConsoleOperators(password: Self.password)
        (productId, psks) = try await hub.productWithThreeDevices("meters")
    }

    override func tearDown() async throws {
        for client in clients { await client.close() }
        await hub.stopAndRemove()
    }

    // MARK: helpers

    var firmwarePath: String { "/console/products/\(productId)/firmware" }

    func signedIn(_ name: String = "alice") async throws -> ConsoleBrowser {
        var browser = ConsoleBrowser(port: hub.apiPort)
        let answer = try await browser.signIn(name, Self.password)
        XCTAssertEqual(answer.status, 303, answer.body)
        return browser
    }

    /// The upload form as a browser sends it: `fields` first, then the file part (when given).
    func upload(_ browser: ConsoleBrowser, fields: [(String, String)], file: [UInt8]?, fileFirst: Bool = false) async throws -> ConsoleBrowser.Page {
        let boundary = "----ConsoleFirmwareTests\(UInt32.random(in: 0...UInt32.max))"
        var fieldBytes: [UInt8] = []
        for (name, value) in fields {
            fieldBytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        var fileBytes: [UInt8] = []
        if let file {
            fileBytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"firmware.bin\"\r\n".utf8)
            fileBytes += Array("Content-Type: application/octet-stream\r\n\r\n".utf8) + file + Array("\r\n".utf8)
        }
        let body = (fileFirst ? fileBytes + fieldBytes : fieldBytes + fileBytes) + Array("--\(boundary)--\r\n".utf8)
        return try await browser.send("POST", firmwarePath, body: body, headers: [("Content-Type", "multipart/form-data; boundary=\(boundary)")])
    }

    func csrf(_ browser: ConsoleBrowser) async throws -> String {
        let page = try await browser.get(firmwarePath)
        return try XCTUnwrap(page.csrf)
    }

    var stagedFiles: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: hub.dataDirectory + "/firmware/staging")) ?? []
    }

    func firmwares() async throws -> [Firmware] {
        try await hub.hub.registry.firmwares(productId: productId)
    }

    /// A device online, subscribed to its OTA topic, that reported `version`.
    func connect(_ name: String, version: String) async throws -> TestMQTTClient {
        let (client, ack) = try await TestMQTTClient.device(port: await hub.port(.mqtt), productId: productId, deviceName: name, psk: psks[name] ?? "")
        XCTAssertEqual(ack?.returnCode, 0)
        clients.append(client)
        let codes = try await client.subscribe("$ota/update/\(productId)/\(name)", qos: .atLeastOnce)
        XCTAssertEqual(codes, [1])
        try await client.publish("$ota/report/\(productId)/\(name)", #"{"type":"report_version","report":{"version":"\#(version)"}}"#, qos: .atLeastOnce, id: 1)
        let reply = try await otaMessage(client)
        XCTAssertEqual(reply["type"], .string("report_version_rsp"))
        return client
    }

    func otaMessage(_ client: TestMQTTClient) async throws -> JSONValue {
        let message = try await client.message()
        if message.qos == .atLeastOnce, let id = message.packetId { try await client.send(.puback(MQTTAck(packetId: id))) }
        return try JSONValue(parsing: Array(message.payload.readableBytesView))
    }

    func progress(_ client: TestMQTTClient, _ name: String, _ progress: String, version: String) async throws {
        try await client.publish(
            "$ota/report/\(productId)/\(name)", #"{"type":"report_progress","report":{"progress":\#(progress),"version":"\#(version)"}}"#, qos: .atLeastOnce,
            id: 2
        )
    }

    /// Fetches the progress section until it contains `text` (device reports are handled asynchronously; the
    /// deadline only stops a test that would otherwise hang).
    func progressSection(_ browser: ConsoleBrowser, _ path: String, containing text: String) async throws -> String {
        let deadline = Date().addingTimeInterval(10)
        var last = ""
        while Date() < deadline {
            let page = try await browser.get(path)
            XCTAssertEqual(page.status, 200, page.body)
            last = page.body
            if last.contains(text) { return last }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("the progress section never showed \(text): \(last)")
        return last
    }

    static func bytes(_ count: Int, seed: UInt32 = 3) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
    }

    // MARK: tests

    func testUploadComputesTheMD5AndTheDeviceGetsTheFirmwareOfATaskByName() async throws {
        let browser = try await signedIn()
        let page = try await browser.get(firmwarePath)
        XCTAssertEqual(page.status, 200, page.body)
        XCTAssertTrue(page.body.contains(#"enctype="multipart/form-data""#), page.body)
        XCTAssertTrue(page.body.contains("Up to 256.0 KiB."), "the hub's limit is on the form")
        let token = try XCTUnwrap(page.csrf)

        // Bytes with CR LF and dashes in them, as a firmware image may have.
        let firmware = Self.bytes(200_000) + Array("\r\n--\r\n".utf8) + Self.bytes(1000, seed: 9)
        let md5 = MD5Digest.hex(of: firmware)
        let uploaded = try await upload(browser, fields: [("_csrf", token), ("version", "2.0.0"), ("name", "main"), ("description", "spring release")], file: firmware)
        XCTAssertEqual(uploaded.status, 303, uploaded.body)
        XCTAssertEqual(uploaded.header("Location"), "\(firmwarePath)?uploaded=2.0.0")
        let stored = try await hub.hub.registry.firmware(productId: productId, version: "2.0.0")
        XCTAssertEqual(stored.md5, md5, "the MD5 the hub computed over the file part")
        XCTAssertEqual(stored.size, Int64(firmware.count))
        XCTAssertEqual(stored.name, "main")
        XCTAssertEqual(stored.description, "spring release")
        XCTAssertEqual(stagedFiles, [], "nothing left in staging")
        // The sizes the page shows come from the hub action DescribeFirmwareFiles, signed like any API call.
        let files = try await hub.api.call("DescribeFirmwareFiles", [("ProductId", .string(productId))])
        XCTAssertEqual(files["MaxFileSize"], .int(Int64(Self.maxSize)))
        XCTAssertEqual(files["Files"], .array([.object(JSONObject([("Version", "2.0.0"), ("FileSize", .int(Int64(firmware.count))), ("Md5sum", .string(md5))]))]))

        let listed = try await browser.get("\(firmwarePath)?uploaded=2.0.0")
        XCTAssertTrue(listed.body.contains("Firmware version 2.0.0 uploaded."), listed.body)
        XCTAssertTrue(listed.body.contains(#"<td class="firmware-version">2.0.0</td>"#), listed.body)
        XCTAssertTrue(listed.body.contains(#"<code class="firmware-md5">\#(md5)</code>"#), listed.body)
        XCTAssertTrue(listed.body.contains(#"title="\#(firmware.count) bytes">196.3 KiB</td>"#), listed.body)
        let overview = try await browser.get("/console/firmware")
        XCTAssertTrue(overview.body.contains(md5), overview.body)
        let product = try await browser.get("/console/products/\(productId)")
        XCTAssertTrue(product.body.contains(#"href="/console/products/\#(productId)/firmware""#), "linked from the product page")

        // A task for dev1 by name: the device gets update_firmware with the URL and MD5, and the URL serves the bytes.
        let dev1 = try await connect("dev1", version: "1.0.0")
        let created = try await browser.post("\(firmwarePath)/tasks", [("_csrf", token), ("version", "2.0.0"), ("mode", "names"), ("devices", "dev1\r\n"), ("timeout", "")])
        XCTAssertEqual(created.status, 303, created.body)
        let location = try XCTUnwrap(created.header("Location"))
        XCTAssertTrue(location.hasPrefix("\(firmwarePath)/tasks/"), location)
        let command = try await otaMessage(dev1)
        XCTAssertEqual(command["type"], .string("update_firmware"))
        XCTAssertEqual(command["version"], .string("2.0.0"))
        XCTAssertEqual(command["md5sum"], .string(md5))
        XCTAssertEqual(command["file_size"], .int(Int64(firmware.count)))
        let url = try XCTUnwrap(command["url"]?.stringValue.flatMap(URL.init(string:)))
        XCTAssertEqual(url.port, hub.httpPort)
        let download = try await RawHTTP.exchange(port: hub.httpPort, request: RawHTTP.request(method: "GET", path: url.path, headers: [("Host", "h")], body: []))
        XCTAssertEqual(RawHTTP.parse(download)?.body, firmware)

        let taskPage = try await browser.get(location)
        XCTAssertEqual(taskPage.status, 200, taskPage.body)
        XCTAssertTrue(taskPage.body.contains("Update task created."), taskPage.body)
        XCTAssertTrue(taskPage.body.contains(#"<td class="device-name">dev1</td>"#), taskPage.body)
        XCTAssertTrue(taskPage.body.contains(#"<td class="device-state">command sent</td>"#), taskPage.body)
        XCTAssertTrue(taskPage.body.contains(#"data-finished="false""#), taskPage.body)

        let actions = try await hub.hub.operatorStore.operatorAudit(offset: 0, limit: 10).entries.map { "\($0.action) \($0.result)" }
        XCTAssertEqual(Array(actions.prefix(2)), ["BatchUpdateFirmware ok", "UploadFirmware ok"])
    }

    func testRefusedUploadsSayWhyAndChangeNothing() async throws {
        let browser = try await signedIn()
        let token = try await csrf(browser)
        let first = Self.bytes(5000)
        let accepted = try await upload(browser, fields: [("_csrf", token), ("version", "1.0")], file: first)
        XCTAssertEqual(accepted.status, 303, accepted.body)
        let before = try await firmwares()
        XCTAssertEqual(before.count, 1)

        let cases: [(String, [(String, String)], [UInt8]?, Int, String)] = [
            ("too large", [("version", "2.0")], Self.bytes(Self.maxSize + 1), 413, "larger than this hub accepts"),
            ("duplicate", [("version", "1.0")], Self.bytes(4000, seed: 11), 400, "firmware version already exists"),
            ("invalid version", [("version", "2 .0")], Self.bytes(100), 400, "FirmwareVersion must be 1 to 32 printable characters"),
            ("empty version", [("version", "")], Self.bytes(100), 400, "FirmwareVersion"),
            ("empty file", [("version", "2.0")], [], 400, "The file is empty."),
            ("no file", [("version", "2.0")], nil, 400, "Choose a firmware file"),
        ]
        for (label, fields, file, status, message) in cases {
            let refused = try await upload(browser, fields: [("_csrf", token)] + fields + [("name", "kept-name")], file: file)
            XCTAssertEqual(refused.status, status, "\(label): \(refused.body)")
            XCTAssertTrue(refused.body.contains(#"class="error""#) && refused.body.contains(message), "\(label): \(refused.body)")
            XCTAssertTrue(refused.body.contains(#"value="kept-name""#), "\(label): the form keeps what was typed")
            let after = try await firmwares()
            XCTAssertEqual(after, before, label)
            XCTAssertEqual(stagedFiles, [], "\(label): no staged file left")
        }
        let stored = try await hub.hub.registry.firmware(productId: productId, version: "1.0")
        XCTAssertEqual(stored.md5, MD5Digest.hex(of: first), "the duplicate did not replace the first upload")
        let results = try await hub.hub.operatorStore.operatorAudit(offset: 0, limit: 20).entries.filter { $0.action == "UploadFirmware" }.map(\.result)
        XCTAssertEqual(
            results,
            [
                "MissingParameter", "InvalidParameterValue", "MissingParameter", "InvalidParameterValue", "InvalidParameterValue.FirmwareAlreadyExist",
                "RequestSizeLimitExceeded", "ok",
            ],
            "every attempt is in the operator audit"
        )
    }

    func testTasksFromAVersionAndByNameAndTheirProgress() async throws {
        try await hub.uploadFirmware(productId: productId, version: "2.0.0", bytes: Self.bytes(3000))
        let browser = try await signedIn()
        let token = try await csrf(browser)
        let dev1 = try await connect("dev1", version: "1.0.0")
        let dev2 = try await connect("dev2", version: "1.0.0")
        let dev3 = try await connect("dev3", version: "1.5.0")

        // From version 1.0.0: dev1 and dev2, not dev3.
        let created = try await browser.post("\(firmwarePath)/tasks", [("_csrf", token), ("version", "2.0.0"), ("mode", "version"), ("original", "1.0.0"), ("timeout", "120")])
        XCTAssertEqual(created.status, 303, created.body)
        let location = try XCTUnwrap(created.header("Location"))
        let taskId = try XCTUnwrap(Int64(location.split(separator: "/").last?.split(separator: "?").first ?? ""))
        let task = try await hub.hub.registry.firmwareTask(productId: productId, version: "2.0.0", taskId: taskId)
        XCTAssertEqual(task.task.mode, .originalVersion)
        XCTAssertEqual(task.task.timeoutInterval, 120)
        let entries = try await hub.hub.registry.firmwareTaskDevices(productId: productId, taskId: taskId)
        XCTAssertEqual(entries.map(\.deviceName).sorted(), ["dev1", "dev2"])
        for client in [dev1, dev2] {
            let command = try await otaMessage(client)
            XCTAssertEqual(command["type"], .string("update_firmware"))
        }

        // The progress section follows the devices' reports (a device's message is shown as text).
        let section = "\(firmwarePath)/tasks/\(taskId)/progress?version=2.0.0"
        let initial = try await browser.get(section)
        XCTAssertEqual(initial.status, 200)
        XCTAssertTrue(initial.body.hasPrefix(#"<section id="task-progress""#), "a fragment, not a page: \(initial.body)")
        try await progress(dev1, "dev1", #"{"state":"downloading","percent":"40","result_code":"0","result_msg":""}"#, version: "2.0.0")
        var body = try await progressSection(browser, section, containing: "downloading 40%")
        XCTAssertTrue(body.contains(#"<progress max="100" value="40"></progress>"#), body)
        XCTAssertTrue(body.contains(#"data-finished="false""#))
        let markup = "<b>flash</b>"
        try await progress(dev2, "dev2", #"{"state":"fail","result_code":"-5","result_msg":"\#(markup)"}"#, version: "2.0.0")
        body = try await progressSection(browser, section, containing: "failure: &lt;b&gt;flash&lt;/b&gt; (code -5)")
        XCTAssertFalse(body.contains(markup))
        try await progress(dev1, "dev1", #"{"state":"burning","result_code":"0","result_msg":""}"#, version: "2.0.0")
        _ = try await progressSection(browser, section, containing: #"<td class="device-state">burning</td>"#)
        try await progress(dev1, "dev1", #"{"state":"done","result_code":"0","result_msg":""}"#, version: "2.0.0")
        body = try await progressSection(browser, section, containing: #"<td class="device-state">success</td>"#)
        XCTAssertTrue(body.contains(#"data-finished="true""#), "every entry is final: the page stops refreshing")
        XCTAssertTrue(body.contains(#"<strong class="task-status">finished</strong>"#), body)
        XCTAssertTrue(body.contains(#"<span class="count-success">1</span> succeeded, <span class="count-failure">1</span> failed"#), body)

        // By name: dev3; an unknown name is refused by the action, with no task made.
        let unknown = try await browser.post("\(firmwarePath)/tasks", [("_csrf", token), ("version", "2.0.0"), ("mode", "names"), ("devices", "dev3\nghost")])
        XCTAssertEqual(unknown.status, 404, unknown.body)
        XCTAssertTrue(unknown.body.contains("device ghost not exist"), unknown.body)
        XCTAssertTrue(unknown.body.contains("dev3\nghost</textarea>"), "the form keeps the names")
        var tasks = try await hub.hub.registry.firmwareTasks(productId: productId, version: "2.0.0")
        XCTAssertEqual(tasks.count, 1)
        let byName = try await browser.post("\(firmwarePath)/tasks", [("_csrf", token), ("version", "2.0.0"), ("mode", "names"), ("devices", " dev3 \n\n")])
        XCTAssertEqual(byName.status, 303, byName.body)
        let dev3Command = try await otaMessage(dev3)
        XCTAssertEqual(dev3Command["type"], .string("update_firmware"))
        tasks = try await hub.hub.registry.firmwareTasks(productId: productId, version: "2.0.0")
        XCTAssertEqual(tasks.count, 2)
        XCTAssertEqual(tasks.first?.task.mode, .deviceNames)

        // The task list: both, newest first, with their counts.
        let list = try await browser.get(firmwarePath).body
        let rows = list.components(separatedBy: #"<a class="task-link""#).dropFirst()
        XCTAssertEqual(rows.count, 2, list)
        XCTAssertTrue(rows.first?.contains("by device name") ?? false, list)
        XCTAssertTrue(rows.last?.contains("devices at version 1.0.0") ?? false, list)
        XCTAssertTrue(rows.last?.contains(#"<td class="task-status">finished</td>"#) ?? false, list)
        XCTAssertTrue(rows.last?.contains(#"<td class="count-success">1</td><td class="count-failure">1</td>"#) ?? false, list)
    }

    func testViewerSeesTheFirmwarePagesButCannotChangeAnything() async throws {
        try await hub.uploadFirmware(productId: productId, version: "2.0.0", bytes: Self.bytes(3000))
        let created = try await hub.api.call(
            "BatchUpdateFirmware", [("ProductId", .string(productId)), ("FirmwareVersion", .string("2.0.0")), ("DeviceNames", .array(["dev1"]))]
        )
        let taskId = try XCTUnwrap(created["TaskId"]?.int64Value)
        let viewer = try await signedIn("victor")
        let page = try await viewer.get(firmwarePath)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains(#"<td class="firmware-version">2.0.0</td>"#), page.body)
        XCTAssertFalse(page.body.contains("upload-firmware"), "no upload form for a viewer")
        XCTAssertFalse(page.body.contains("create-task"), "no task form for a viewer")
        let taskPage = try await viewer.get("\(firmwarePath)/tasks/\(taskId)?version=2.0.0")
        XCTAssertEqual(taskPage.status, 200)
        XCTAssertTrue(taskPage.body.contains(#"<td class="device-name">dev1</td>"#), taskPage.body)

        let token = try XCTUnwrap(page.csrf)
        let upload = try await upload(viewer, fields: [("_csrf", token), ("version", "3.0.0")], file: Self.bytes(1000))
        XCTAssertEqual(upload.status, 403, upload.body)
        XCTAssertTrue(upload.body.contains("A viewer can see everything and change nothing."))
        let task = try await viewer.post("\(firmwarePath)/tasks", [("_csrf", token), ("version", "2.0.0"), ("mode", "names"), ("devices", "dev2")])
        XCTAssertEqual(task.status, 403, task.body)
        let versions = try await firmwares().map(\.version)
        XCTAssertEqual(versions, ["2.0.0"])
        XCTAssertEqual(stagedFiles, [])
        let tasks = try await hub.hub.registry.firmwareTasks(productId: productId, version: "2.0.0")
        XCTAssertEqual(tasks.count, 1)
    }

    func testMultipartAndTaskFormsWithoutTheCSRFTokenAreRefusedBeforeAnythingIsStored() async throws {
        let browser = try await signedIn()
        let token = try await csrf(browser)
        let file = Self.bytes(2000)
        for (label, fields, fileFirst) in [
            ("no token", [("version", "2.0")], false), ("wrong token", [("_csrf", (token.first == "x" ? "y" : "x") + token.dropFirst()), ("version", "2.0")], false),
            ("token after the file", [("_csrf", token), ("version", "2.0")], true),
        ] {
            let refused = try await upload(browser, fields: fields, file: file, fileFirst: fileFirst)
            XCTAssertEqual(refused.status, 403, "\(label): \(refused.body)")
            XCTAssertTrue(refused.body.contains("security token is missing or wrong"), label)
            XCTAssertEqual(stagedFiles, [], label)
        }
        let task = try await browser.post("\(firmwarePath)/tasks", [("version", "2.0"), ("mode", "names"), ("devices", "dev1")])
        XCTAssertEqual(task.status, 403)
        // Signed out: refused too.
        var stranger = ConsoleBrowser(port: hub.apiPort)
        stranger.cookie = "not-a-session"
        let anonymous = try await upload(stranger, fields: [("_csrf", token), ("version", "2.0")], file: file)
        XCTAssertEqual(anonymous.status, 403)
        let count = try await firmwares().count
        XCTAssertEqual(count, 0)
        // Not a multipart form at all.
        let urlencoded = try await browser.post(firmwarePath, [("_csrf", token), ("version", "2.0")])
        XCTAssertEqual(urlencoded.status, 415, urlencoded.body)
        // With the token, the same upload goes through: the refusals were the token's.
        let accepted = try await upload(browser, fields: [("_csrf", token), ("version", "2.0")], file: file)
        XCTAssertEqual(accepted.status, 303, accepted.body)
    }

    func testMarkupInFirmwareFieldsIsEscaped() async throws {
        let browser = try await signedIn()
        let token = try await csrf(browser)
        let xss = "<script>alert(1)</script>"
        let accepted = try await upload(browser, fields: [("_csrf", token), ("version", "v<1>"), ("name", xss), ("description", xss)], file: Self.bytes(10))
        XCTAssertEqual(accepted.status, 303, accepted.body)
        for path in [firmwarePath, "/console/firmware"] {
            let page = try await browser.get(path)
            XCTAssertFalse(page.body.contains(xss), page.body)
            XCTAssertTrue(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), page.body)
            XCTAssertTrue(page.body.contains("v&lt;1&gt;"), page.body)
        }
    }
}
