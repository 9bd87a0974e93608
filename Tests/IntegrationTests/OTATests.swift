import CloudAPI
import DeviceAuth
import Foundation
import HubHTTP
import HubServer
import HubTesting
import JSONCore
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

/// OTA end to end (device-protocol.md §6.4, §7.4; cloud-api.md §7.7): the operator on the management API
/// (with a real PUT of the firmware), devices on MQTT, downloads over raw HTTP the way the C SDK sends them.
final class OTATests: XCTestCase {
    var hub: TestHub!
    var productId = ""
    var psks: [String: String] = [:]
    var clients: [TestMQTTClient] = []

    override func setUp() async throws {
        try await prepare(try await TestHub.start())
    }

    /// A product "ota" with devices dev1…dev3 on `hub`.
    func prepare(_ hub: TestHub) async throws {
        self.hub = hub
        (productId, psks) = try await hub.productWithThreeDevices("ota")
    }

    override func tearDown() async throws {
        for client in clients { await client.close() }
        await hub.stopAndRemove()
    }

    // MARK: helpers

    /// Deterministic, non-repeating-looking bytes.
    static func firmwareBytes(_ count: Int, seed: UInt32 = 7) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
    }

    func p(_ extra: [(String, JSONValue)] = []) -> [(String, JSONValue)] {
        [("ProductId", .string(productId))] + extra
    }

    /// GetCOSURL, then a raw PUT of the bytes; returns the URL and the PUT's response.
    func put(_ bytes: [UInt8], version: String) async throws -> (url: String, status: Int, headers: [String]) {
        let cos = try await hub.api.call("GetCOSURL", p([("FirmwareVersion", .string(version)), ("FileSize", .int(Int64(bytes.count)))]))
        let url = try XCTUnwrap(cos["Url"]?.stringValue)
        let response = try await rawPut(url: url, bytes)
        return (url, response.status, response.headerLines)
    }

    func rawPut(url: String, _ bytes: [UInt8]) async throws -> (status: Int, headerLines: [String], body: [UInt8]) {
        let parsed = try XCTUnwrap(URL(string: url))
        let request = RawHTTP.request(
            method: "PUT", path: parsed.path, headers: [("Host", "\(parsed.host ?? ""):\(parsed.port ?? 80)"), ("Content-Type", "application/octet-stream")],
            body: bytes
        )
        let raw = try await RawHTTP.exchange(port: try XCTUnwrap(parsed.port), request: request)
        return try XCTUnwrap(RawHTTP.parse(raw))
    }

    /// Uploads a firmware version through the API (GetCOSURL → PUT → UploadFirmware).
    @discardableResult
    func upload(_ bytes: [UInt8], version: String) async throws -> String {
        try await hub.uploadFirmware(productId: productId, version: version, bytes: bytes)
    }

    /// A device online and subscribed to its OTA topic (QoS 1).
    func connect(_ name: String) async throws -> TestMQTTClient {
        let (client, ack) = try await TestMQTTClient.device(port: await hub.port(.mqtt), productId: productId, deviceName: name, psk: psks[name] ?? "")
        XCTAssertEqual(ack?.returnCode, 0)
        clients.append(client)
        let codes = try await client.subscribe("$ota/update/\(productId)/\(name)", qos: .atLeastOnce)
        XCTAssertEqual(codes, [1])
        return client
    }

    /// The next message on `$ota/update/…`, acknowledged when QoS 1.
    func otaMessage(_ client: TestMQTTClient, timeout: Double = 5) async throws -> JSONValue {
        let message = try await client.message(timeout: timeout)
        if message.qos == .atLeastOnce, let id = message.packetId { try await client.send(.puback(MQTTAck(packetId: id))) }
        XCTAssertTrue(message.topic.hasPrefix("$ota/update/\(productId)/"), message.topic)
        return try JSONValue(parsing: Array(message.payload.readableBytesView))
    }

    func report(_ client: TestMQTTClient, _ name: String, _ text: String, qos: MQTTQoS = .atMostOnce, id: UInt16? = nil) async throws {
        try await client.publish("$ota/report/\(productId)/\(name)", text, qos: qos, id: id)
    }

    func taskDevices(_ version: String, taskId: Int64) async throws -> [JSONValue] {
        let response = try await hub.api.call(
            "DescribeFirmwareTaskDevices",
            p([
                ("FirmwareVersion", .string(version)),
                ("Filters", .array([.object(JSONObject([("Key", .string("TaskId")), ("Value", .string(String(taskId)))]))])),
            ])
        )
        return response["Devices"]?.arrayValue ?? []
    }

    /// Polls until the device's entry has the status (reports are handled asynchronously).
    func waitForStatus(_ version: String, taskId: Int64, device: String, _ status: Int64, timeout: Double = 5) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        var last: JSONValue?
        while Date() < deadline {
            last = try await taskDevices(version, taskId: taskId).first { $0["DeviceName"]?.stringValue == device }
            if last?["Status"]?.int64Value == status { return try XCTUnwrap(last) }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("\(device) never reached status \(status); last \(String(describing: last))")
        return last ?? .null
    }

    func expectError(_ code: String, _ action: String, _ parameters: [(String, JSONValue)], file: StaticString = #filePath, line: UInt = #line) async {
        do {
            try await hub.api.call(action, parameters)
            XCTFail("\(action) succeeded; expected \(code)", file: file, line: line)
        } catch let failure as TestAPIClient.Failure {
            XCTAssertEqual(failure.code, code, failure.message, file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    /// A C-SDK-style firmware GET (`Range: bytes=<offset>-<file_size>`, gzip accepted).
    static func firmwareRequest(path: String, range: String?) -> [UInt8] {
        var text = "GET \(path) HTTP/1.1\r\nHost: hub.example\r\n"
        text += "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\n"
        if let range { text += "Range: \(range)\r\n" }
        text += "Connection: close\r\n\r\n"
        return Array(text.utf8)
    }

    func get(_ path: String, range: String?) async throws -> (status: Int, headerLines: [String], body: [UInt8]) {
        let raw = try await RawHTTP.exchange(port: hub.httpPort, request: Self.firmwareRequest(path: path, range: range))
        return try XCTUnwrap(RawHTTP.parse(raw))
    }

    // MARK: tests

    func testCompleteOTAEndToEndWithResumedDownload() async throws {
        let firmware = Self.firmwareBytes(300_000)
        let md5 = MD5Digest.hex(of: firmware)

        // Upload: GetCOSURL gives a hub URL on the device HTTP port that accepts one PUT.
        let (url, status, headers) = try await put(firmware, version: "2.0.0")
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:\(hub.httpPort)/firmware-upload/"), url)
        XCTAssertEqual(status, 200)
        XCTAssertTrue(headers.contains("ETag: \"\(md5)\""), "\(headers)")
        let again = try await rawPut(url: url, firmware)
        XCTAssertEqual(again.status, 403, "an upload URL accepts one PUT")
        // The checks of UploadFirmware.
        await expectError("InvalidParameterValue", "UploadFirmware", p([
            ("FirmwareVersion", .string("2.0.0")), ("Md5sum", .string(String(repeating: "0", count: 32))), ("FileSize", .int(Int64(firmware.count))),
        ]))
        await expectError("InvalidParameterValue", "UploadFirmware", p([
            ("FirmwareVersion", .string("2.0.0")), ("Md5sum", .string(md5)), ("FileSize", .int(Int64(firmware.count - 1))),
        ]))
        try await hub.api.call("UploadFirmware", p([
            ("FirmwareVersion", .string("2.0.0")), ("Md5sum", .string(md5.uppercased())), ("FileSize", .int(Int64(firmware.count))),
            ("FirmwareName", .string("main")), ("FirmwareDescription", .string("first")),
        ]))
        await expectError("InvalidParameterValue.FirmwareAlreadyExist", "UploadFirmware", p([
            ("FirmwareVersion", .string("2.0.0")), ("Md5sum", .string(md5)), ("FileSize", .int(Int64(firmware.count))),
        ]))
        let described = try await hub.api.call("DescribeFirmware", p([("FirmwareVersion", .string("2.0.0"))]))
        XCTAssertEqual(described["Md5sum"], .string(md5))
        XCTAssertEqual(described["Name"], .string("main"))
        XCTAssertEqual(described["ProductName"], .string("ota"))
        XCTAssertNotNil(described["Createtime"]?.int64Value)
        let versions = try await hub.api.call("GetAllVersion", p())
        XCTAssertEqual(versions["Version"], .array([.string("2.0.0")]))
        let stored = try FileManager.default.contentsOfDirectory(atPath: hub.dataDirectory + "/firmware").filter { $0.hasSuffix(".bin") }
        XCTAssertEqual(stored.count, 1, "the firmware is stored under DATA/firmware")

        // The device reports its version, the operator creates the task, the device gets update_firmware.
        let device = try await connect("dev1")
        try await report(device, "dev1", #"{"type": "report_version", "report":{"version":"1.0.0"}}"#, qos: .atLeastOnce, id: 5)
        let rsp = try await otaMessage(device)
        XCTAssertEqual(rsp, try JSONValue(parsing: #"{"result_code":0,"result_msg":"success","type":"report_version_rsp","version":"1.0.0"}"#))
        let created = try await hub.api.call(
            "BatchUpdateFirmware", p([("FirmwareVersion", .string("2.0.0")), ("DeviceNames", .array(["dev1"])), ("TimeoutInterval", .int(120))])
        )
        let taskId = try XCTUnwrap(created["TaskId"]?.int64Value)
        let command = try await otaMessage(device)
        XCTAssertEqual(command["type"], .string("update_firmware"))
        XCTAssertEqual(command["file_size"], .int(Int64(firmware.count)))
        XCTAssertEqual(command["md5sum"], .string(md5))
        XCTAssertEqual(command["version"], .string("2.0.0"))
        let downloadURL = try XCTUnwrap(command["url"]?.stringValue)
        let parsed = try XCTUnwrap(URL(string: downloadURL))
        XCTAssertEqual(parsed.scheme, "http")
        XCTAssertEqual(parsed.host, "127.0.0.1")
        XCTAssertEqual(parsed.port, hub.httpPort)
        XCTAssertEqual(parsed.pathComponents.count, 2, "single path segment: \(downloadURL)")
        XCTAssertTrue(parsed.path.hasSuffix(".bin"))
        _ = try await waitForStatus("2.0.0", taskId: taskId, device: "dev1", 2)

        // Download from offset 0 the C way; the connection drops part-way.
        let size = firmware.count
        let partial = try await PartialHTTP.fetch(
            port: hub.httpPort, request: Self.firmwareRequest(path: parsed.path, range: "bytes=0-\(size)"), closeAfter: 100_000
        )
        let first = try XCTUnwrap(RawHTTP.parse(partial))
        XCTAssertEqual(first.status, 206)
        XCTAssertTrue(first.headerLines.contains("Content-Length: \(size)"), "\(first.headerLines)")
        XCTAssertTrue(first.headerLines.contains("Content-Range: bytes 0-\(size - 1)/\(size)"), "\(first.headerLines)")
        let received = first.body
        XCTAssertGreaterThan(received.count, 0)
        XCTAssertLessThan(received.count, size, "the connection was cut before the end")
        XCTAssertEqual(received, Array(firmware.prefix(received.count)))
        try await report(device, "dev1", #"{"type": "report_progress", "report": {"progress": {"state":"downloading", "percent":"31", "result_code":"0", "result_msg":""}, "version": "2.0.0"}}"#)
        let downloading = try await waitForStatus("2.0.0", taskId: taskId, device: "dev1", 3)
        XCTAssertEqual(downloading["Percent"], .int(31))

        // Resume from the offset with the off-by-one end: clamped, 206, exact headers, no compression, no chunks.
        let offset = received.count
        let rest = try await RawHTTP.exchange(port: hub.httpPort, request: Self.firmwareRequest(path: parsed.path, range: "bytes=\(offset)-\(size)"))
        let second = try XCTUnwrap(RawHTTP.parse(rest))
        XCTAssertEqual(second.status, 206)
        XCTAssertTrue(second.headerLines.contains("Content-Length: \(size - offset)"), "\(second.headerLines)")
        XCTAssertTrue(second.headerLines.contains("Content-Range: bytes \(offset)-\(size - 1)/\(size)"), "\(second.headerLines)")
        XCTAssertFalse(second.headerLines.contains { $0.lowercased().hasPrefix("transfer-encoding") || $0.lowercased().hasPrefix("content-encoding") })
        let whole = received + second.body
        XCTAssertEqual(whole.count, size)
        XCTAssertEqual(MD5Digest.hex(of: whole), command["md5sum"]?.stringValue, "MD5 over the resumed download")

        // Burning, then done (QoS 1) for the target version.
        try await report(device, "dev1", #"{"type": "report_progress", "report": {"progress": {"state":"burning", "result_code":"0", "result_msg":""}, "version": "2.0.0"}}"#)
        _ = try await waitForStatus("2.0.0", taskId: taskId, device: "dev1", 4)
        try await report(
            device, "dev1", #"{"type": "report_progress", "report": {"progress": {"state":"done", "result_code":"0", "result_msg":""}, "version": "2.0.0"}}"#,
            qos: .atLeastOnce, id: 6
        )
        let done = try await waitForStatus("2.0.0", taskId: taskId, device: "dev1", 6)
        XCTAssertEqual(done["Percent"], .int(100))
        XCTAssertEqual(done["OriVersion"], .string("1.0.0"))
        XCTAssertEqual(done["DstVersion"], .string("2.0.0"))

        let task = try await hub.api.call("DescribeFirmwareTask", p([("FirmwareVersion", .string("2.0.0")), ("TaskId", .int(taskId))]))
        XCTAssertEqual(task["Status"], .int(2))
        XCTAssertEqual(task["UpgradeMode"], .string("devicenames"))
        XCTAssertEqual(task["ProductName"], .string("ota"))
        let statistics = try await hub.api.call("DescribeFirmwareTaskStatistics", p([("FirmwareVersion", .string("2.0.0"))]))
        XCTAssertEqual(statistics["SuccessTotal"], .int(1))
        XCTAssertEqual(statistics["FailureTotal"], .int(0))
        XCTAssertEqual(statistics["UpgradingTotal"], .int(0))
        let distribution = try await hub.api.call("DescribeFirmwareTaskDistribution", p([("FirmwareVersion", .string("2.0.0")), ("TaskId", .int(taskId))]))
        XCTAssertEqual(distribution["StatusInfos"], try JSONValue(parsing: #"[{"Status":6,"Total":1}]"#))
        let tasks = try await hub.api.call(
            "DescribeFirmwareTasks", p([("FirmwareVersion", .string("2.0.0")), ("Offset", .int(0)), ("Limit", .int(10))])
        )
        XCTAssertEqual(tasks["Total"], .int(1))
        XCTAssertEqual(tasks["TaskInfos"]?[0]?["Status"], .int(2))
        let info = try await hub.api.call("DescribeDevice", p([("DeviceName", .string("dev1"))]))
        XCTAssertEqual(info["Version"], .string("2.0.0"))
        await expectError("FailedOperation.DeviceFirmwareTaskAlreadDone", "RetryDeviceFirmwareTask", p([
            ("DeviceName", .string("dev1")), ("FirmwareVersion", .string("2.0.0")), ("TaskId", .int(taskId)),
        ]))
    }

    func testOfflineDeviceGetsTheCommandAfterReportVersionAndUpToDateDevicesSucceedWithoutOne() async throws {
        let md5 = try await upload(Self.firmwareBytes(10_000), version: "3.1")
        // dev3 is already on 3.1.
        let dev3 = try await connect("dev3")
        try await report(dev3, "dev3", #"{"type":"report_version","report":{"version":"3.1"}}"#, qos: .atLeastOnce, id: 1)
        _ = try await otaMessage(dev3)
        let created = try await hub.api.call(
            "BatchUpdateFirmware", p([("FirmwareVersion", .string("3.1")), ("DeviceNames", .array(["dev2", "dev3"]))])
        )
        let taskId = try XCTUnwrap(created["TaskId"]?.int64Value)
        let entries = try await taskDevices("3.1", taskId: taskId)
        XCTAssertEqual(entries.map { $0["DeviceName"] }, [.string("dev2"), .string("dev3")])
        XCTAssertEqual(entries.map { $0["Status"] }, [.int(0), .int(6)], "dev2 offline (0), dev3 already upgraded (6)")
        let waiting = try await hub.api.call("DescribeFirmwareTask", p([("FirmwareVersion", .string("3.1")), ("TaskId", .int(taskId))]))
        XCTAssertEqual(waiting["Status"], .int(0))
        do {
            let unexpected = try await dev3.message(timeout: 0.5)
            XCTFail("dev3 got \(unexpected.topic)")
        } catch is TestMQTTClient.TimeoutError {}
        // A device in a task cannot be put into another one.
        await expectError("FailedOperation.DeviceIsUpdating", "BatchUpdateFirmware", p([("FirmwareVersion", .string("3.1")), ("DeviceNames", .array(["dev2"]))]))

        // dev2 comes online and reports its version: the reply, then the command.
        let dev2 = try await connect("dev2")
        try await report(dev2, "dev2", #"{"type": "report_version", "report":{"version":"0.9"}}"#, qos: .atLeastOnce, id: 1)
        let rsp = try await otaMessage(dev2)
        XCTAssertEqual(rsp["type"], .string("report_version_rsp"))
        let command = try await otaMessage(dev2)
        XCTAssertEqual(command["type"], .string("update_firmware"))
        XCTAssertEqual(command["md5sum"], .string(md5))
        XCTAssertEqual(command["file_size"], .int(10_000))
        let delivered = try await waitForStatus("3.1", taskId: taskId, device: "dev2", 2)
        XCTAssertEqual(delivered["OriVersion"], .string(""), "the version known when the task was created")
        let running = try await hub.api.call("DescribeFirmwareTask", p([("FirmwareVersion", .string("3.1")), ("TaskId", .int(taskId))]))
        XCTAssertEqual(running["Status"], .int(1))

        // A failure report fails the entry with the device's code and message; retry sends the command again.
        try await report(
            dev2, "dev2", #"{"type": "report_progress", "report": {"progress": {"state":"fail", "result_code":"-4", "result_msg":"time_out"}, "version": "3.1"}}"#,
            qos: .atLeastOnce, id: 2
        )
        let failed = try await waitForStatus("3.1", taskId: taskId, device: "dev2", 5)
        XCTAssertEqual(failed["Retcode"], .int(-4))
        XCTAssertEqual(failed["ErrMsg"], .string("time_out"))
        let statistics = try await hub.api.call("DescribeFirmwareTaskStatistics", p([("FirmwareVersion", .string("3.1"))]))
        XCTAssertEqual(statistics["SuccessTotal"], .int(1))
        XCTAssertEqual(statistics["FailureTotal"], .int(1))
        try await hub.api.call("RetryDeviceFirmwareTask", p([("DeviceName", .string("dev2")), ("FirmwareVersion", .string("3.1")), ("TaskId", .int(taskId))]))
        let again = try await otaMessage(dev2)
        XCTAssertEqual(again["type"], .string("update_firmware"))
        _ = try await waitForStatus("3.1", taskId: taskId, device: "dev2", 2)
        try await hub.api.call("CancelDeviceFirmwareTask", p([("DeviceName", .string("dev2")), ("FirmwareVersion", .string("3.1")), ("TaskId", .int(taskId))]))
        let cancelled = try await waitForStatus("3.1", taskId: taskId, device: "dev2", 5)
        XCTAssertEqual(cancelled["ErrMsg"], .string("cancelled"))

        // By original version: every device currently on 0.9 (dev2 only).
        let byVersion = try await hub.api.call(
            "BatchUpdateFirmware", p([("FirmwareVersion", .string("3.1")), ("FirmwareOriVersion", .string("0.9"))])
        )
        let secondTask = try XCTUnwrap(byVersion["TaskId"]?.int64Value)
        let secondEntries = try await taskDevices("3.1", taskId: secondTask)
        XCTAssertEqual(secondEntries.map { $0["DeviceName"] }, [.string("dev2")])
        let pushed = try await otaMessage(dev2)
        XCTAssertEqual(pushed["type"], .string("update_firmware"))
        let described = try await hub.api.call("DescribeFirmwareTask", p([("FirmwareVersion", .string("3.1")), ("TaskId", .int(secondTask))]))
        XCTAssertEqual(described["UpgradeMode"], .string("originalVersion"))
        XCTAssertEqual(described["OriginalVersion"], .string("0.9"))
    }

    func testDocumentedErrors() async throws {
        await expectError("ResourceNotFound.FirmwareNotExist", "BatchUpdateFirmware", p([("FirmwareVersion", .string("9.9")), ("DeviceNames", .array(["dev1"]))]))
        await expectError("ResourceNotFound.FirmwareNotExist", "DescribeFirmware", p([("FirmwareVersion", .string("9.9"))]))
        await expectError("ResourceNotFound.ProductNotExist", "GetCOSURL", [("ProductId", .string("NOPRODUCT1")), ("FirmwareVersion", .string("1"))])
        // Nothing was uploaded for this version.
        await expectError("InvalidParameterValue", "UploadFirmware", p([
            ("FirmwareVersion", .string("1.0")), ("Md5sum", .string(String(repeating: "a", count: 32))), ("FileSize", .int(10)),
        ]))
        let bytes = Self.firmwareBytes(4096)
        try await upload(bytes, version: "1.0")
        await expectError("InvalidParameterValue", "BatchUpdateFirmware", p([
            ("FirmwareVersion", .string("1.0")), ("DeviceNames", .array(["dev1"])), ("TimeoutInterval", .int(10)),
        ]))
        await expectError("ResourceNotFound.DeviceNotExist", "BatchUpdateFirmware", p([("FirmwareVersion", .string("1.0")), ("DeviceNames", .array(["ghost"]))]))
        await expectError("ResourceNotFound.FirmwareTaskNotExist", "DescribeFirmwareTask", p([("FirmwareVersion", .string("1.0")), ("TaskId", .int(4242))]))
        await expectError("ResourceNotFound.DeviceFirmwareTaskNotExist", "CancelDeviceFirmwareTask", p([
            ("DeviceName", .string("dev1")), ("FirmwareVersion", .string("1.0")), ("TaskId", .int(4242)),
        ]))

        // 2018-06-14: `ProductID` and `FwType`; the 2021 spelling is refused.
        var old = hub.api
        old.version = "2018-06-14"
        let described = try await old.call("DescribeFirmware", [("ProductID", .string(productId)), ("FirmwareVersion", .string("1.0"))])
        XCTAssertEqual(described["ProductId"], .string(productId))
        XCTAssertNil(described["UserDefined"], "2018 has no UserDefined")
        try await old.call("EditFirmware", [("ProductID", .string(productId)), ("FirmwareVersion", .string("1.0")), ("FirmwareName", .string("renamed")), ("FwType", .string("module"))])
        let edited = try await hub.api.call("DescribeFirmware", p([("FirmwareVersion", .string("1.0"))]))
        XCTAssertEqual(edited["Name"], .string("renamed"))
        XCTAssertEqual(edited["FwType"], .string("module"))
        do {
            try await old.call("DescribeFirmware", [("ProductId", .string(productId)), ("FirmwareVersion", .string("1.0"))])
            XCTFail("2021 spelling accepted in 2018")
        } catch let failure as TestAPIClient.Failure {
            XCTAssertEqual(failure.code, "UnknownParameter")
        }
        let list = try await hub.api.call("ListFirmwares", [("PageNum", .int(1)), ("PageSize", .int(10)), ("ProductId", .string(productId))])
        XCTAssertEqual(list["TotalCount"], .int(1))
        XCTAssertEqual(list["Firmwares"]?[0]?["Version"], .string("1.0"))
    }

    func testFirmwareDownloadHTTPRules() async throws {
        let bytes = Self.firmwareBytes(70_000)
        try await upload(bytes, version: "4.0")
        let device = try await connect("dev1")
        try await hub.api.call("BatchUpdateFirmware", p([("FirmwareVersion", .string("4.0")), ("DeviceNames", .array(["dev1"]))]))
        let command = try await otaMessage(device)
        let path = try XCTUnwrap(URL(string: try XCTUnwrap(command["url"]?.stringValue))).path
        let size = bytes.count

        // Whole file without Range: 200, exact-case Content-Length, not chunked, not compressed despite gzip.
        let full = try await get(path, range: nil)
        XCTAssertEqual(full.status, 200)
        XCTAssertTrue(full.headerLines.contains("Content-Length: \(size)"), "\(full.headerLines)")
        XCTAssertFalse(full.headerLines.contains { $0.hasPrefix("content-length") })
        XCTAssertFalse(full.headerLines.contains { $0.lowercased().hasPrefix("transfer-encoding") || $0.lowercased().hasPrefix("content-encoding") })
        XCTAssertEqual(full.body, bytes)

        // A middle range; the suffix form.
        let middle = try await get(path, range: "bytes=10-20")
        XCTAssertEqual(middle.status, 206)
        XCTAssertTrue(middle.headerLines.contains("Content-Length: 11"))
        XCTAssertEqual(middle.body, Array(bytes[10...20]))
        let tail = try await get(path, range: "bytes=-5")
        XCTAssertEqual(tail.status, 206)
        XCTAssertEqual(tail.body, Array(bytes.suffix(5)))

        // Offset at or past the end: 416 with Content-Range: bytes */size.
        for offset in [size, size + 10] {
            let raw = try await RawHTTP.exchange(port: hub.httpPort, request: Self.firmwareRequest(path: path, range: "bytes=\(offset)-\(size)"))
            let refused = try XCTUnwrap(RawHTTP.parse(raw))
            XCTAssertEqual(refused.status, 416)
            XCTAssertTrue(refused.headerLines.contains("Content-Range: bytes */\(size)"), "\(refused.headerLines)")
            XCTAssertTrue(refused.headerLines.contains("Content-Length: 0"), "\(refused.headerLines)")
        }
        // Unknown token.
        let missing = try await get("/0123456789abcdef.bin", range: nil)
        XCTAssertEqual(missing.status, 404)
    }

    func testRangeResolutionAndURLHosts() {
        let size: Int64 = 1000
        XCTAssertEqual(FirmwareGateway.resolveRange(nil, size: size), .full)
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=0-1000", size: size), .partial(0...999), "C SDK off-by-one end clamped")
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=400-1000", size: size), .partial(400...999))
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=400-", size: size), .partial(400...999))
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=0-0", size: size), .partial(0...0))
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=-10", size: size), .partial(990...999))
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=-5000", size: size), .partial(0...999))
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=1000-1000", size: size), .unsatisfiable)
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=5000-", size: size), .unsatisfiable)
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=-0", size: size), .unsatisfiable)
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=10-5", size: size), .full, "invalid range ignored")
        XCTAssertEqual(FirmwareGateway.resolveRange("items=0-5", size: size), .full)
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=abc", size: size), .full)
        XCTAssertEqual(FirmwareGateway.resolveRange("bytes=5-9, 20-30", size: size), .partial(5...9), "first range only")
        XCTAssertEqual(FirmwareRepository.hostName("127.0.0.1:9080"), "127.0.0.1")
        XCTAssertEqual(FirmwareRepository.hostName("http://127.0.0.1:9080"), "127.0.0.1", "tccli's Host")
        XCTAssertEqual(FirmwareRepository.hostName("hub.example"), "hub.example")
        XCTAssertEqual(FirmwareRepository.hostName("[::1]:9080"), "[::1]")
        XCTAssertNil(FirmwareRepository.hostName(""))
    }

    func testPublicHostGoesIntoFirmwareURLs() async throws {
        let other = try await TestHub.start { $0.publicHosts = ["ota.example.com", "second.example.com"] }
        do {
            let created = try await other.api.call("CreateProduct", [("ProductName", .string("pubhost"))])
            let pid = try XCTUnwrap(created["ProductId"]?.stringValue)
            let cos = try await other.api.call("GetCOSURL", [("ProductId", .string(pid)), ("FirmwareVersion", .string("1"))])
            XCTAssertEqual(cos["Url"]?.stringValue?.hasPrefix("http://ota.example.com:\(other.httpPort)/firmware-upload/"), true, "\(cos)")
        } catch {
            await other.stopAndRemove()
            throw error
        }
        await other.stopAndRemove()
    }

    /// A hub that serves HTTPS sends https firmware URLs on its HTTPS port (as Tencent does; TLS builds of
    /// the SDKs download over TLS), and ranged downloads over TLS follow the same rules as over HTTP.
    func testFirmwareURLsAreHTTPSWhenTheHubServesHTTPS() async throws {
        await hub.stopAndRemove()
        try await prepare(try await TestHub.start { $0.httpsPort = 0 })
        let httpsPort = await hub.hub.ports.port(.https)
        let firmware = Self.firmwareBytes(50_000, seed: 3)
        try await upload(firmware, version: "3.0.0")
        let device = try await connect("dev2")
        try await hub.api.call("BatchUpdateFirmware", p([("FirmwareVersion", .string("3.0.0")), ("DeviceNames", .array(["dev2"]))]))
        let command = try await otaMessage(device)
        let url = try XCTUnwrap(command["url"]?.stringValue)
        let parsed = try XCTUnwrap(URL(string: url))
        XCTAssertEqual(parsed.scheme, "https", url)
        XCTAssertEqual(parsed.host, "127.0.0.1")
        XCTAssertEqual(parsed.port, httpsPort)
        XCTAssertEqual(parsed.pathComponents.count, 2, "single path segment: \(url)")

        // curl, trusting only the hub CA, resumes at an offset with the C SDK's off-by-one end.
        let offset = 12_345
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("fw-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = [
            "-sS", "--cacert", hub.dataDirectory + "/ca/ca.cert.pem", "-H", "Range: bytes=\(offset)-\(firmware.count)",
            "-D", "-", "-o", output, url,
        ]
        let headers = Pipe()
        curl.standardOutput = headers
        try curl.run()
        let headerText = String(decoding: headers.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        XCTAssertEqual(curl.terminationStatus, 0, headerText)
        let lines = headerText.split(separator: "\r\n").map(String.init)
        XCTAssertEqual(lines.first, "HTTP/1.1 206 Partial Content", headerText)
        XCTAssertTrue(lines.contains("Content-Range: bytes \(offset)-\(firmware.count - 1)/\(firmware.count)"), headerText)
        XCTAssertTrue(lines.contains("Content-Length: \(firmware.count - offset)"), headerText)
        let body = try XCTUnwrap(FileManager.default.contents(atPath: output))
        XCTAssertEqual(Array(body), Array(firmware[offset...]))

        // `http` keeps plain URLs on a hub that serves HTTPS; `https` needs an HTTPS listener.
        let plain = try FirmwareRepository(
            directory: hub.dataDirectory + "/plain-fw", publicHosts: ["ota.example.com"], httpPort: { 80 }, httpsPort: { 443 }, downloadScheme: .http
        )
        let plainURL = await plain.downloadURL(fileToken: "abc", operatorHost: nil)
        XCTAssertEqual(plainURL, "http://ota.example.com/abc.bin")
        let secure = try FirmwareRepository(
            directory: hub.dataDirectory + "/secure-fw", publicHosts: ["ota.example.com"], httpPort: { 80 }, httpsPort: { 443 }, downloadScheme: .auto
        )
        let secureURL = await secure.downloadURL(fileToken: "abc", operatorHost: nil)
        XCTAssertEqual(secureURL, "https://ota.example.com/abc.bin")
        var configuration = HubConfiguration()
        configuration.firmwareURLScheme = .https
        XCTAssertThrowsError(try configuration.validate())
        configuration.httpsPort = 8443
        XCTAssertNoThrow(try configuration.validate())
    }

    func testBadReportsOnOTATopicChangeNothing() async throws {
        try await upload(Self.firmwareBytes(1000), version: "5.0")
        let device = try await connect("dev1")
        try await report(device, "dev1", #"{"type":"report_version","report":{"version":"4.0"}}"#, qos: .atLeastOnce, id: 1)
        _ = try await otaMessage(device)
        let created = try await hub.api.call("BatchUpdateFirmware", p([("FirmwareVersion", .string("5.0")), ("DeviceNames", .array(["dev1"]))]))
        let taskId = try XCTUnwrap(created["TaskId"]?.int64Value)
        _ = try await otaMessage(device)
        let before = try await taskDevices("5.0", taskId: taskId)
        for text in [
            "not json", #"{"type": "report_progress", "report": "#, #"{"type":"report_progress","report":{"progress":{"state":"exploding"},"version":"5.0"}}"#,
            #"{"type":"report_version","report":{"version":5}}"#, #"{"type":"report_version"}"#, #"{"report":{"version":"9"}}"#, "[]",
            #"{"type":"report_progress","report":{"progress":{"state":"done"},"version":"6.6"}}"#,
        ] {
            try await report(device, "dev1", text, qos: .atLeastOnce, id: 7)
        }
        // A valid report afterwards is still handled (the connection stayed up), and nothing else changed.
        try await report(device, "dev1", #"{"type":"report_version","report":{"version":"4.0"}}"#, qos: .atLeastOnce, id: 8)
        let rsp = try await otaMessage(device)
        XCTAssertEqual(rsp["type"], .string("report_version_rsp"), "no reply to the bad reports")
        let info = try await hub.api.call("DescribeDevice", p([("DeviceName", .string("dev1"))]))
        XCTAssertEqual(info["Version"], .string("4.0"))
        // The valid report_version re-sends the command (the device is not on 5.0); the entry is otherwise unchanged.
        let resent = try await otaMessage(device)
        XCTAssertEqual(resent["type"], .string("update_firmware"))
        let after = try await taskDevices("5.0", taskId: taskId)
        XCTAssertEqual(after.map { $0["Status"] }, before.map { $0["Status"] })
        XCTAssertEqual(after.map { $0["Percent"] }, before.map { $0["Percent"] })
        XCTAssertEqual(after.map { $0["Retcode"] }, before.map { $0["Retcode"] })
    }
}

/// Reads a response until `closeAfter` bytes arrived, then drops the connection (a device losing its link
/// mid-download).
enum PartialHTTP {
    static func fetch(port: Int, request: [UInt8], closeAfter limit: Int) async throws -> [UInt8] {
        let collector = Collector(limit: limit)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4096))
            .channelInitializer { channel in channel.pipeline.addHandler(collector) }
            .connect(host: "127.0.0.1", port: port)
            .get()
        try await channel.writeAndFlush(ByteBuffer(bytes: request))
        let deadline = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        try await channel.closeFuture.get()
        deadline.cancel()
        return collector.bytes
    }

    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let limit: Int
        private let lock = NIOLock()
        private var received: [UInt8] = []

        init(limit: Int) { self.limit = limit }

        var bytes: [UInt8] { lock.withLock { received } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            let count = lock.withLock {
                received += buffer.readBytes(length: buffer.readableBytes) ?? []
                return received.count
            }
            if count >= limit { context.close(promise: nil) }
        }
    }
}
