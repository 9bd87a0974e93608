import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import MQTTCore
import NIOCore
import XCTest

/// Resource management end to end (device-protocol.md §6.12, cloud-api.md §7.8): the operator on the
/// management API, devices on MQTT with the C33 texts, transfers over raw HTTP the way C33 sends them.
final class ResourceTests: XCTestCase {
    var hub: TestHub!
    var productId = ""
    var psks: [String: String] = [:]
    var clients: [TestMQTTClient] = []

    override func setUp() async throws {
        hub = try await TestHub.start { $0.resourceMaxSize = 1 << 20 }
        let created = try await hub.api.call(
            "CreateProduct", [("ProductName", .string("res")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        productId = try XCTUnwrap(created["ProductId"]?.stringValue)
        for name in ["dev1", "dev2"] {
            let device = try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
            psks[name] = try XCTUnwrap(device["DevicePsk"]?.stringValue)
        }
    }

    override func tearDown() async throws {
        for client in clients { await client.close() }
        await hub.stopAndRemove()
    }

    // MARK: helpers

    static func bytes(_ count: Int, seed: UInt32 = 11) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
    }

    func p(_ extra: [(String, JSONValue)] = []) -> [(String, JSONValue)] { [("ProductID", .string(productId))] + extra }

    /// A device online and subscribed to its down topic with QoS 1, as C33's `IOT_Resource_Init`.
    func connect(_ name: String) async throws -> TestMQTTClient {
        let (client, ack) = try await TestMQTTClient.device(port: await hub.port(.mqtt), productId: productId, deviceName: name, psk: psks[name] ?? "")
        XCTAssertEqual(ack?.returnCode, 0)
        clients.append(client)
        let value1 = try await client.subscribe("$resource/down/service/\(productId)/\(name)", qos: .atLeastOnce)
        XCTAssertEqual(value1, [1])
        return client
    }

    func send(_ client: TestMQTTClient, _ name: String, _ text: String, qos: MQTTQoS = .atMostOnce, id: UInt16? = nil) async throws {
        try await client.publish("$resource/up/service/\(productId)/\(name)", text, qos: qos, id: id)
    }

    /// The next message on the down topic as text, acknowledged when QoS 1.
    func received(_ client: TestMQTTClient, _ name: String) async throws -> (text: String, qos: MQTTQoS) {
        let message = try await client.message()
        if message.qos == .atLeastOnce, let id = message.packetId { try await client.send(.puback(MQTTAck(packetId: id))) }
        XCTAssertEqual(message.topic, "$resource/down/service/\(productId)/\(name)")
        return (String(decoding: message.payload.readableBytesView, as: UTF8.self), message.qos)
    }

    func json(_ text: String) throws -> JSONValue { try JSONValue(parsing: Array(text.utf8)) }

    /// The C33 upload request head exactly as captured (`Content-MD5:` without a space), then the bytes.
    func c33Put(url: String, md5Hex: String, body: [UInt8], contentLength: Int? = nil) async throws -> (status: Int, headerLines: [String], body: [UInt8]) {
        let parsed = try XCTUnwrap(URL(string: url))
        let digest = stride(from: 0, to: 32, by: 2).map { index -> UInt8 in
            let start = md5Hex.index(md5Hex.startIndex, offsetBy: index)
            return UInt8(md5Hex[start..<md5Hex.index(start, offsetBy: 2)], radix: 16)!
        }
        var head = "PUT \(parsed.path) HTTP/1.1\r\nHost: 127.0.0.4\r\nContent-MD5:\(Data(digest).base64EncodedString())\r\n"
        head += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(contentLength ?? body.count)\r\nConnection: close\r\n\r\n"
        let raw = try await RawHTTP.exchange(port: try XCTUnwrap(parsed.port), request: Array(head.utf8) + body)
        return try XCTUnwrap(RawHTTP.parse(raw))
    }

    /// The C OTA fetcher's GET (`ota_fetch.c`), `Range: bytes={offset}-{size}` (§6.12.3 step 3).
    func c33Get(url: String, range: String?) async throws -> (status: Int, headerLines: [String], body: [UInt8]) {
        let parsed = try XCTUnwrap(URL(string: url))
        var text = "GET \(parsed.path) HTTP/1.1\r\nHost: 127.0.0.4\r\n"
        text += "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\n"
        if let range { text += "Range: \(range)\r\n" }
        text += "Connection: close\r\n\r\n"
        let raw = try await RawHTTP.exchange(port: try XCTUnwrap(parsed.port), request: Array(text.utf8))
        return try XCTUnwrap(RawHTTP.parse(raw))
    }

    /// Creates a product resource the way `iothub resource push` does: CreateProductResource, one PUT.
    func createResource(_ name: String, _ bytes: [UInt8]) async throws -> String {
        let md5 = MD5Digest.hex(of: bytes)
        let created = try await hub.api.call("CreateProductResource", p([("Name", .string(name)), ("Md5", .string(md5)), ("Size", .int(Int64(bytes.count)))]))
        let url = try XCTUnwrap(created["Url"]?.stringValue)
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:\(hub.httpPort)/"), url)
        XCTAssertEqual(try XCTUnwrap(URL(string: url)).pathComponents.count, 2, "one path segment: \(url)")
        let put = try await c33Put(url: url, md5Hex: md5, body: bytes)
        XCTAssertEqual(put.status, 200)
        XCTAssertTrue(put.headerLines.contains("Content-Length: 0"), "\(put.headerLines)")
        return md5
    }

    func taskDevices(_ name: String) async throws -> [String: JSONValue] {
        let response = try await hub.api.call("DescribeResourceTaskDevices", p([("Name", .string(name))]))
        var byName: [String: JSONValue] = [:]
        for entry in response["Devices"]?.arrayValue ?? [] { byName[entry["DeviceName"]?.stringValue ?? ""] = entry }
        return byName
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

    /// A report about a name the hub has no task for: its reply (1, `no such task`) marks the place in the
    /// reply stream, so that a request answered with nothing is seen to be answered with nothing.
    func marker(_ client: TestMQTTClient, _ name: String) async throws {
        try await send(client, name, #"{"type":"report_download_progress","name":"marker","progress":{"percent":1,"state":"downloading","result_code":0,"result_msg":""}}"#)
        let value2 = try await received(client, name).text
        XCTAssertEqual(value2, #"{"type":"report_download_progress_rsp","result_code":1,"result_msg":"no such task"}"#)
    }

    // MARK: tests

    /// §6.12.1: C33 subscribes its down topic with QoS 1 and must be granted it; never another device's.
    func testDeviceSubscribesItsDownTopicOnly() async throws {
        let client = try await connect("dev1")
        let value3 = try await client.subscribe("$resource/down/service/\(productId)/dev2", qos: .atLeastOnce, id: 2)
        XCTAssertEqual(value3, [0x80])
        let value4 = try await client.subscribe("$resource/up/service/\(productId)/dev1", qos: .atLeastOnce, id: 3)
        XCTAssertEqual(value4, [0x80])
        let value5 = try await client.subscribe("$resource/down/service/+/+", qos: .atLeastOnce, id: 4)
        XCTAssertEqual(value5, [0x80])
    }

    /// Operator → devices: the resource is uploaded, pushed as `download` to the online device, fetched by the
    /// other with `get_download_task`; ranged and resumed downloads; progress and status on the API.
    func testPushedResourceDownloadedWithResumeAndProgress() async throws {
        let bytes = Self.bytes(2300)
        let md5 = try await createResource("res1", bytes)
        let described = try await hub.api.call("DescribeProductResource", p([("Name", .string("res1"))]))
        XCTAssertEqual(described["Result"]?["Md5"]?.stringValue, md5)
        XCTAssertEqual(described["Result"]?["Size"]?.int64Value, 2300)
        XCTAssertEqual(described["Result"]?["ProductName"]?.stringValue, "res")

        let dev1 = try await connect("dev1")
        let pushed = try await hub.api.call("PushProductResource", p([("Name", .string("res1"))]))
        let taskId = try XCTUnwrap(pushed["TaskId"]?.int64Value)

        // The online device gets the push form at QoS 1.
        let push = try await received(dev1, "dev1")
        XCTAssertEqual(push.qos, .atLeastOnce)
        let url = try XCTUnwrap(try json(push.text)["url"]?.stringValue)
        XCTAssertEqual(push.text, #"{"type":"download","size":2300,"name":"res1","md5sum":"\#(md5)","url":"\#(url)"}"#)
        XCTAssertTrue(url.hasSuffix(".res") && url.hasPrefix("http://127.0.0.1:\(hub.httpPort)/"), url)
        var entries = try await taskDevices("res1")
        XCTAssertEqual(entries["dev1"]?["Status"]?.int64Value, 2)
        XCTAssertEqual(entries["dev2"]?["Status"]?.int64Value, 1)
        XCTAssertEqual(entries["dev1"]?["TaskId"]?.int64Value, taskId)

        // C33's download: the off-by-one range, interrupted, then resumed from the offset it has.
        let first = try await c33Get(url: url, range: "bytes=0-999")
        XCTAssertEqual(first.status, 206)
        XCTAssertTrue(first.headerLines.contains("Content-Range: bytes 0-999/2300"), "\(first.headerLines)")
        XCTAssertFalse(first.headerLines.contains { $0.lowercased().hasPrefix("content-encoding") })
        let resumed = try await c33Get(url: url, range: "bytes=1000-2300")
        XCTAssertEqual(resumed.status, 206)
        XCTAssertTrue(resumed.headerLines.contains("Content-Range: bytes 1000-2299/2300"), "\(resumed.headerLines)")
        XCTAssertTrue(resumed.headerLines.contains("Content-Length: 1300"), "\(resumed.headerLines)")
        XCTAssertEqual(MD5Digest.hex(of: first.body + resumed.body), md5)
        let past = try await c33Get(url: url, range: "bytes=2300-2300")
        XCTAssertEqual(past.status, 416)

        try await send(dev1, "dev1", #"{"type":"report_download_progress","name":"res1","progress":{"percent":43,"state":"downloading","result_code":0,"result_msg":""}}"#)
        let value6 = try await received(dev1, "dev1").text
        XCTAssertEqual(value6, #"{"type":"report_download_progress_rsp","result_code":0,"result_msg":"ok"}"#)
        entries = try await taskDevices("res1")
        XCTAssertEqual(entries["dev1"]?["Status"]?.int64Value, 3)
        XCTAssertEqual(entries["dev1"]?["Percent"]?.int64Value, 43)
        try await send(dev1, "dev1", #"{"type":"report_download_progress","name":"res1","progress":{"state":"done","result_code":0,"result_msg":""}}"#, qos: .atLeastOnce, id: 7)
        let value7 = try await received(dev1, "dev1").text
        XCTAssertEqual(value7, #"{"type":"report_download_progress_rsp","result_code":0,"result_msg":"ok"}"#)
        entries = try await taskDevices("res1")
        XCTAssertEqual(entries["dev1"]?["Status"]?.int64Value, 6)
        XCTAssertEqual(entries["dev1"]?["Percent"]?.int64Value, 100)

        // Done: a new request gets nothing.
        try await send(dev1, "dev1", #"{"type": "get_download_task"}"#, qos: .atLeastOnce, id: 8)
        try await marker(dev1, "dev1")

        // The device that was offline asks when it comes (C33's sample asks once at the start of its loop).
        let dev2 = try await connect("dev2")
        try await send(dev2, "dev2", #"{"type": "get_download_task"}"#, qos: .atLeastOnce, id: 1)
        let reply = try await received(dev2, "dev2")
        XCTAssertEqual(reply.text, #"{"type":"get_download_task_rsp","size":2300,"name":"res1","md5sum":"\#(md5)","url":"\#(url)"}"#)
        let whole = try await c33Get(url: url, range: "bytes=0-2300")
        XCTAssertEqual(whole.status, 206)
        XCTAssertEqual(whole.body, bytes)
        try await send(dev2, "dev2", #"{"type":"report_download_progress","name":"res1","progress":{"state":"fail","result_code":-4,"result_msg":"md5sum not matched"}}"#)
        let value8 = try await received(dev2, "dev2").text
        XCTAssertEqual(value8, #"{"type":"report_download_progress_rsp","result_code":0,"result_msg":"ok"}"#)
        entries = try await taskDevices("res1")
        XCTAssertEqual(entries["dev2"]?["Status"]?.int64Value, 5)
        XCTAssertEqual(entries["dev2"]?["Retcode"]?.int64Value, -4)
        XCTAssertEqual(entries["dev2"]?["ErrMsg"]?.stringValue, "md5sum not matched")

        let statistics = try await hub.api.call("DescribePushResourceTaskStatistics", p([("Name", .string("res1"))]))
        XCTAssertEqual(statistics["SuccessTotal"]?.int64Value, 1)
        XCTAssertEqual(statistics["FailureTotal"]?.int64Value, 1)
        XCTAssertEqual(statistics["UpgradingTotal"]?.int64Value, 0)
        let tasks = try await hub.api.call("DescribeResourceTasks", p([("Name", .string("res1")), ("Offset", .int(0)), ("Limit", .int(10))]))
        XCTAssertEqual(tasks["Total"]?.int64Value, 1)
        XCTAssertEqual(tasks["TaskInfos"]?[0]?["TaskId"]?.int64Value, taskId)
        XCTAssertEqual(tasks["TaskInfos"]?[0]?["Status"]?.int64Value, 2)

        // Deleted: its URL is gone and a device still reporting on it is told to stop.
        try await hub.api.call("DeleteProductResource", p([("Name", .string("res1"))]))
        let value9 = try await c33Get(url: url, range: nil).status
        XCTAssertEqual(value9, 404)
        try await send(dev2, "dev2", #"{"type":"report_download_progress","name":"res1","progress":{"percent":5,"state":"downloading","result_code":0,"result_msg":""}}"#)
        let value10 = try await received(dev2, "dev2").text
        XCTAssertEqual(value10, #"{"type":"report_download_progress_rsp","result_code":1,"result_msg":"no such task"}"#)
        await expectError("ResourceNotFound.ProductResourceNotExist", "DescribeProductResource", p([("Name", .string("res1"))]))
    }

    /// Device → operator with the C33 texts and request head: create_upload_task, the PUT with `Content-MD5:`,
    /// progress, the `done` answer; the operator lists, downloads (ranged) and deletes the upload.
    func testDeviceUploadEndToEnd() async throws {
        let bytes = Self.bytes(4053, seed: 3)
        let md5 = MD5Digest.hex(of: bytes)
        let dev1 = try await connect("dev1")
        try await send(dev1, "dev1", #"{"type": "create_upload_task","size": 4053,"name": "uploadtest","md5sum": "\#(md5)"}"#, qos: .atLeastOnce, id: 1)
        let reply = try await received(dev1, "dev1")
        let url = try XCTUnwrap(try json(reply.text)["url"]?.stringValue)
        XCTAssertEqual(reply.text, #"{"type":"create_upload_task_rsp","size":4053,"name":"uploadtest","md5sum":"\#(md5)","url":"\#(url)"}"#)
        XCTAssertEqual(try XCTUnwrap(URL(string: url)).pathComponents.count, 2, "one path segment: \(url)")
        var listed = try await hub.api.call("DescribeDeviceResources", [("Offset", .int(0)), ("Limit", .int(10)), ("ProductID", .string(productId))])
        XCTAssertEqual(listed["Result"]?[0]?["Status"]?.int64Value, 0)

        let put = try await c33Put(url: url, md5Hex: md5, body: bytes)
        XCTAssertEqual(put.status, 200)
        XCTAssertTrue(put.headerLines.contains("Content-Length: 0"), "\(put.headerLines)")
        // Single use.
        let value11 = try await c33Put(url: url, md5Hex: md5, body: bytes).status
        XCTAssertEqual(value11, 404)

        try await send(dev1, "dev1", #"{"type":"report_upload_progress","name":"uploadtest","progress":{"percent":100,"state":"uploading","result_code":0,"result_msg":""}}"#)
        let value12 = try await received(dev1, "dev1").text
        XCTAssertEqual(value12, #"{"type":"report_upload_progress_rsp","result_code":0,"result_msg":"ok"}"#)
        try await send(dev1, "dev1", #"{"type":"report_upload_progress","name":"uploadtest","progress":{"state":"done","result_code":0,"result_msg":""}}"#, qos: .atLeastOnce, id: 2)
        let value13 = try await received(dev1, "dev1").text
        XCTAssertEqual(value13, #"{"type":"report_upload_progress_rsp","result_code":0,"result_msg":"ok"}"#)

        listed = try await hub.api.call("DescribeDeviceResources", [("Offset", .int(0)), ("Limit", .int(10)), ("ProductID", .string(productId)), ("DeviceName", .string("dev1"))])
        XCTAssertEqual(listed["TotalCount"]?.int64Value, 1)
        let item = try XCTUnwrap(listed["Result"]?[0])
        XCTAssertEqual(item["Name"]?.stringValue, "uploadtest")
        XCTAssertEqual(item["Md5"]?.stringValue, md5)
        XCTAssertEqual(item["Size"]?.int64Value, 4053)
        XCTAssertEqual(item["Status"]?.int64Value, 2)
        XCTAssertEqual(item["Percent"]?.int64Value, 100)
        XCTAssertEqual(item["DeviceName"]?.stringValue, "dev1")
        XCTAssertEqual(item["UpdateTime"]?.stringValue?.count, 19)
        let one = try await hub.api.call("DescribeDeviceResource", p([("DeviceName", .string("dev1")), ("Name", .string("uploadtest"))]))
        XCTAssertEqual(one["Result"]?["Status"]?.int64Value, 2)

        let download = try await hub.api.call("DownloadDeviceResource", p([("DeviceName", .string("dev1")), ("Name", .string("uploadtest"))]))
        let downloadURL = try XCTUnwrap(download["Url"]?.stringValue)
        let whole = try await c33Get(url: downloadURL, range: nil)
        XCTAssertEqual(whole.status, 200)
        XCTAssertEqual(whole.body, bytes)
        let tail = try await c33Get(url: downloadURL, range: "bytes=4000-4053")
        XCTAssertEqual(tail.body, Array(bytes[4000...]))
        let usage = try await hub.api.call("GetUserResourceInfo", [])
        XCTAssertEqual(usage["UsedSize"]?.int64Value, 4053)
        XCTAssertEqual(usage["Limit"]?.int64Value, 10 << 30)

        try await hub.api.call("DeleteDeviceResource", p([("DeviceName", .string("dev1")), ("Name", .string("uploadtest"))]))
        let value14 = try await c33Get(url: downloadURL, range: nil).status
        XCTAssertEqual(value14, 404)
        await expectError("ResourceNotFound.DeviceResourceNotExist", "DescribeDeviceResource", p([("DeviceName", .string("dev1")), ("Name", .string("uploadtest"))]))
        let value15 = try await hub.api.call("GetUserResourceInfo", [])["UsedSize"]?.int64Value
        XCTAssertEqual(value15, 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: hub.dataDirectory + "/resources").filter { $0 != "staging" }
        XCTAssertEqual(left, [])
    }

    /// Deleting a device takes its uploads (records, files, URLs) and its push entries with it, so that a
    /// device created again under the name starts clean; deleting a product takes its resources.
    func testDeletingADeviceOrAProductRemovesItsResources() async throws {
        let bytes = Self.bytes(1500, seed: 9)
        let md5 = MD5Digest.hex(of: bytes)
        let dev1 = try await connect("dev1")
        try await send(dev1, "dev1", #"{"type": "create_upload_task","size": 1500,"name": "dump","md5sum": "\#(md5)"}"#)
        let answer = try await received(dev1, "dev1").text
        let url = try XCTUnwrap(try json(answer)["url"]?.stringValue)
        let put = try await c33Put(url: url, md5Hex: md5, body: bytes)
        XCTAssertEqual(put.status, 200)
        _ = try await createResource("pushed", Self.bytes(800, seed: 4))
        try await hub.api.call("PushProductResource", p([("Name", .string("pushed")), ("DeviceNames", .array([.string("dev2")]))]))
        var files = try FileManager.default.contentsOfDirectory(atPath: hub.dataDirectory + "/resources").filter { $0 != "staging" }
        XCTAssertEqual(files.count, 2, "the upload and the product resource")
        let usedBefore = try await hub.api.call("GetUserResourceInfo", [])["UsedSize"]?.int64Value
        XCTAssertEqual(usedBefore, 2300)

        await dev1.close()
        for name in ["dev1", "dev2"] {
            try await hub.api.call("DeleteDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
        }
        files = try FileManager.default.contentsOfDirectory(atPath: hub.dataDirectory + "/resources").filter { $0 != "staging" }
        XCTAssertEqual(files.count, 1, "the upload's file went with its device")
        let listed = try await hub.api.call("DescribeDeviceResources", [("Offset", .int(0)), ("Limit", .int(10)), ("ProductID", .string(productId))])
        XCTAssertEqual(listed["TotalCount"]?.int64Value, 0)
        let entries = try await taskDevices("pushed")
        XCTAssertNil(entries["dev2"], "the deleted device's push entry is gone")

        try await hub.api.call("DeleteProduct", [("ProductId", .string(productId))])
        files = try FileManager.default.contentsOfDirectory(atPath: hub.dataDirectory + "/resources").filter { $0 != "staging" }
        XCTAssertEqual(files, [], "the product's resources went with it")
        let usedAfter = try await hub.api.call("GetUserResourceInfo", [])["UsedSize"]?.int64Value
        XCTAssertEqual(usedAfter, 0)
    }

    /// A PUT whose bytes do not match the task's MD5 (or size) is refused with 400 and nothing is kept; the
    /// device's `done` then gets result_code 1 `md5 mismatch`, and the upload counts as failed.
    func testUploadWithWrongMD5IsRefusedAndRemoved() async throws {
        let announced = Self.bytes(1000, seed: 5)
        let md5 = MD5Digest.hex(of: announced)
        let sent = Self.bytes(1000, seed: 6)
        let dev1 = try await connect("dev1")
        try await send(dev1, "dev1", #"{"type": "create_upload_task","size": 1000,"name": "bad","md5sum": "\#(md5)"}"#, qos: .atLeastOnce, id: 1)
        let answer = try await received(dev1, "dev1").text
        let url = try XCTUnwrap(try json(answer)["url"]?.stringValue)

        // Wrong bytes (Content-MD5 names the task's MD5, as C33 sends it), a short body, a long one.
        let value16 = try await c33Put(url: url, md5Hex: md5, body: sent).status
        XCTAssertEqual(value16, 400)
        let value17 = try await c33Put(url: url, md5Hex: md5, body: Array(announced.prefix(999))).status
        XCTAssertEqual(value17, 400)
        let value18 = try await c33Put(url: url, md5Hex: md5, body: announced + [0], contentLength: 1001).status
        XCTAssertEqual(value18, 400)
        let value19 = try await c33Put(url: url.replacingOccurrences(of: ".res", with: "0.res"), md5Hex: md5, body: announced).status
        XCTAssertEqual(value19, 404)
        let stored = try FileManager.default.contentsOfDirectory(atPath: hub.dataDirectory + "/resources").filter { $0 != "staging" }
        XCTAssertEqual(stored, [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: hub.dataDirectory + "/resources/staging"), [])

        try await send(dev1, "dev1", #"{"type":"report_upload_progress","name":"bad","progress":{"state":"done","result_code":0,"result_msg":""}}"#, qos: .atLeastOnce, id: 2)
        let value20 = try await received(dev1, "dev1").text
        XCTAssertEqual(value20, #"{"type":"report_upload_progress_rsp","result_code":1,"result_msg":"md5 mismatch"}"#)
        let one = try await hub.api.call("DescribeDeviceResource", p([("DeviceName", .string("dev1")), ("Name", .string("bad"))]))
        XCTAssertEqual(one["Result"]?["Status"]?.int64Value, 3)
        await expectError("FailedOperation.ResourceNotUploaded", "DownloadDeviceResource", p([("DeviceName", .string("dev1")), ("Name", .string("bad"))]))

        // Without any PUT: `upload not received`.
        try await send(dev1, "dev1", #"{"type":"report_upload_progress","name":"never","progress":{"state":"done","result_code":0,"result_msg":""}}"#)
        let value21 = try await received(dev1, "dev1").text
        XCTAssertEqual(value21, #"{"type":"report_upload_progress_rsp","result_code":1,"result_msg":"upload not received"}"#)
    }

    /// Requests outside the rules get no reply and change nothing: over the maximum size, a bad name or MD5,
    /// a percent out of range; `get_download_task` without a task is not answered either.
    func testBadMessagesGetNoReplyAndChangeNothing() async throws {
        let dev1 = try await connect("dev1")
        let md5 = MD5Digest.hex(of: [1, 2, 3])
        for text in [
            #"{"type": "create_upload_task","size": 1048577,"name": "big","md5sum": "\#(md5)"}"#,
            #"{"type": "create_upload_task","size": 3,"name": "a b","md5sum": "\#(md5)"}"#,
            #"{"type": "create_upload_task","size": 3,"name": "\#(String(repeating: "n", count: 64))","md5sum": "\#(md5)"}"#,
            #"{"type": "create_upload_task","size": 3,"name": "x","md5sum": "\#(md5.uppercased())"}"#,
            #"{"type": "create_upload_task","size": "three","name": "x","md5sum": "\#(md5)"}"#,
            #"{"type":"report_upload_progress","name":"x","progress":{"percent":101,"state":"uploading","result_code":0,"result_msg":""}}"#,
            #"{"type": "get_download_task"}"#,
            "not json",
        ] {
            try await send(dev1, "dev1", text, qos: .atLeastOnce, id: 9)
        }
        try await marker(dev1, "dev1")
        let listed = try await hub.api.call("DescribeDeviceResources", [("Offset", .int(0)), ("Limit", .int(10))])
        XCTAssertEqual(listed["TotalCount"]?.int64Value, 0)
        // Another device's up topic is not the device's to use: dropped, nothing recorded for dev2.
        try await dev1.publish("$resource/up/service/\(productId)/dev2", #"{"type": "create_upload_task","size": 3,"name": "x","md5sum": "\#(md5)"}"#)
        try await marker(dev1, "dev1")
        let value22 = try await hub.api.call("DescribeDeviceResources", [("Offset", .int(0)), ("Limit", .int(10))])["TotalCount"]?.int64Value
        XCTAssertEqual(value22, 0)
    }

    /// Per-device quota: an upload that would take the device past it gets no reply.
    func testDeviceQuotaRefusesUploads() async throws {
        await hub.stopAndRemove()
        hub = try await TestHub.start { $0.resourceDeviceQuota = 1500 }
        let created = try await hub.api.call("CreateProduct", [("ProductName", .string("res")), ("ProductProperties", .object(["EncryptionType": .string("2")]))])
        productId = try XCTUnwrap(created["ProductId"]?.stringValue)
        let device = try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string("dev1"))])
        psks["dev1"] = try XCTUnwrap(device["DevicePsk"]?.stringValue)
        let dev1 = try await connect("dev1")
        let md5 = MD5Digest.hex(of: [1])
        try await send(dev1, "dev1", #"{"type": "create_upload_task","size": 1000,"name": "a","md5sum": "\#(md5)"}"#, qos: .atLeastOnce, id: 1)
        let value23 = try await received(dev1, "dev1").text.hasPrefix(#"{"type":"create_upload_task_rsp","size":1000,"name":"a""#)
        XCTAssertTrue(value23)
        // 1000 + 1000 > 1500: no reply. Replacing "a" with 1500 fits.
        try await send(dev1, "dev1", #"{"type": "create_upload_task","size": 1000,"name": "b","md5sum": "\#(md5)"}"#, qos: .atLeastOnce, id: 2)
        try await marker(dev1, "dev1")
        try await send(dev1, "dev1", #"{"type": "create_upload_task","size": 1500,"name": "a","md5sum": "\#(md5)"}"#, qos: .atLeastOnce, id: 3)
        let value24 = try await received(dev1, "dev1").text.hasPrefix(#"{"type":"create_upload_task_rsp","size":1500,"name":"a""#)
        XCTAssertTrue(value24)
    }

    func testOperatorRefusals() async throws {
        let md5 = MD5Digest.hex(of: [1, 2, 3])
        await expectError("InvalidParameterValue", "CreateProductResource", p([("Name", .string("a/b")), ("Md5", .string(md5)), ("Size", .int(3))]))
        await expectError("InvalidParameterValue", "CreateProductResource", p([("Name", .string("a")), ("Md5", .string("xyz")), ("Size", .int(3))]))
        await expectError("InvalidParameterValue", "CreateProductResource", p([("Name", .string("a")), ("Md5", .string(md5)), ("Size", .int((1 << 20) + 1))]))
        await expectError("ResourceNotFound.ProductNotExist", "CreateProductResource", [("ProductID", .string("ZZZZZZZZZZ")), ("Name", .string("a")), ("Md5", .string(md5)), ("Size", .int(3))])
        await expectError("ResourceNotFound.ProductResourceNotExist", "PushProductResource", p([("Name", .string("nothing"))]))
        _ = try await createResource("a", [1, 2, 3])
        await expectError("InvalidParameterValue.ProductResourceAlreadyExist", "CreateProductResource", p([("Name", .string("a")), ("Md5", .string(md5)), ("Size", .int(3))]))
        await expectError("ResourceNotFound.DeviceNotExist", "PushProductResource", p([("Name", .string("a")), ("DeviceNames", .array([.string("nobody")]))]))
        let listed = try await hub.api.call("DescribeProductResources", p([("Offset", .int(0)), ("Limit", .int(10))]))
        XCTAssertEqual(listed["TotalCount"]?.int64Value, 1)
        XCTAssertEqual(listed["Result"]?[0]?["Name"]?.stringValue, "a")
    }

    /// `iothub resource …` as the real executable: push a file to a device, follow it, list and download what
    /// a device uploaded.
    func testCLIPushStatusUploadsAndDownload() async throws {
        let common = ["--endpoint", hub.apiEndpoint, "--data-dir", hub.dataDirectory]
        let file = NSTemporaryDirectory() + "res-\(UUID().uuidString).bin"
        let output = NSTemporaryDirectory() + "res-\(UUID().uuidString).out"
        defer {
            try? FileManager.default.removeItem(atPath: file)
            try? FileManager.default.removeItem(atPath: output)
        }
        let bytes = Self.bytes(3000, seed: 9)
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
        let dev1 = try await connect("dev1")

        let push = try await HubProcess.runTool("iothub", ["resource", "push", productId, "cfg.bin", file, "--devices", "dev1"] + common)
        XCTAssertEqual(push.status, 0, push.stderr)
        XCTAssertTrue(push.stdout.contains("stored resource \(productId) cfg.bin: 3000 bytes, md5 \(MD5Digest.hex(of: bytes))"), push.stdout)
        let pushed = try await received(dev1, "dev1")
        XCTAssertTrue(pushed.text.hasPrefix(#"{"type":"download","size":3000,"name":"cfg.bin""#), pushed.text)
        try await send(dev1, "dev1", #"{"type":"report_download_progress","name":"cfg.bin","progress":{"percent":50,"state":"downloading","result_code":0,"result_msg":""}}"#)
        _ = try await received(dev1, "dev1")
        let status = try await HubProcess.runTool("iothub", ["resource", "status", productId, "cfg.bin"] + common)
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("dev1") && status.stdout.contains("downloading") && status.stdout.contains("50%"), status.stdout)
        let list = try await HubProcess.runTool("iothub", ["resource", "list", productId] + common)
        XCTAssertTrue(list.stdout.contains("cfg.bin") && list.stdout.contains("1 resource(s)"), list.stdout)

        let upload = Self.bytes(1234, seed: 10)
        let md5 = MD5Digest.hex(of: upload)
        try await send(dev1, "dev1", #"{"type": "create_upload_task","size": 1234,"name": "log.txt","md5sum": "\#(md5)"}"#, qos: .atLeastOnce, id: 1)
        let answer = try await received(dev1, "dev1").text
        let put = try await c33Put(url: try XCTUnwrap(try json(answer)["url"]?.stringValue), md5Hex: md5, body: upload)
        XCTAssertEqual(put.status, 200)
        try await send(dev1, "dev1", #"{"type":"report_upload_progress","name":"log.txt","progress":{"state":"done","result_code":0,"result_msg":""}}"#)
        _ = try await received(dev1, "dev1")
        let uploads = try await HubProcess.runTool("iothub", ["resource", "uploads", productId] + common)
        XCTAssertEqual(uploads.status, 0, uploads.stderr)
        XCTAssertTrue(uploads.stdout.contains("log.txt") && uploads.stdout.contains("done") && uploads.stdout.contains("1 upload(s)"), uploads.stdout)
        let download = try await HubProcess.runTool("iothub", ["resource", "download", productId, "dev1", "log.txt", "--output", output] + common)
        XCTAssertEqual(download.status, 0, download.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: output).map { Array($0) }, upload)
    }
}
