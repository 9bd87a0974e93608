import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import IoTHubDevice
import JSONCore
import MQTTCore
import NIOConcurrencyHelpers
import Registry
import XCTest

/// The SDK's service helpers against the hub, with the operator on the management API: shadow, time,
/// remote configuration, log level, broadcast, RRPC and a whole OTA update.
final class DeviceSDKServicesTests: XCTestCase {
    var fixture: SDKFixture!
    var device: DeviceClient!
    var productId = ""
    let deviceName = "svc-1"

    override func setUp() async throws {
        fixture = try await SDKFixture.start()
        let (id, secret) = try await fixture.product()
        productId = id
        device = try await DeviceClient.boot(
            store: InMemoryIdentityStore(productId: id, productSecret: secret, deviceName: deviceName), configuration: try await fixture.configuration()
        )
    }

    override func tearDown() async throws {
        await device?.disconnect()
        await fixture?.stop()
    }

    var deviceParameters: [(String, JSONValue)] { [("ProductId", .string(productId)), ("DeviceName", .string(deviceName))] }

    func testShadowUpdateGetDeltaAndRejection() async throws {
        let deltas = StreamCollector(device.shadowDeltas)
        let version = try await device.updateShadow(reported: ["temperature": 21, "mode": "eco"])
        XCTAssertEqual(version, 1)
        var document = try await device.getShadow()
        XCTAssertEqual(document.reported, ["temperature": 21, "mode": "eco"])
        XCTAssertEqual(document.version, 1)
        XCTAssertTrue(document.delta.isEmpty)

        // The operator wants another mode: the device gets a delta with a newer version.
        try await fixture.hub.api.call(
            "UpdateDeviceShadow", deviceParameters + [("State", .string(#"{"desired":{"mode":"boost"}}"#)), ("ShadowVersion", .int(1))]
        )
        let delta = try await deltas.next()
        XCTAssertEqual(delta.state, ["mode": "boost"])
        XCTAssertEqual(delta.version, 2)
        document = try await device.getShadow()
        XCTAssertEqual(document.delta, ["mode": "boost"])

        // The device applies it the C SDK's way: report the value, clear desired.
        let applied = try await device.updateShadow(reported: ["mode": "boost"], desired: .null)
        XCTAssertEqual(applied, 3)
        document = try await device.getShadow()
        XCTAssertEqual(document.reported["mode"], "boost")
        XCTAssertTrue(document.desired.isEmpty)
        XCTAssertTrue(document.delta.isEmpty)

        // Too large: result 2, nothing changed.
        do {
            try await device.updateShadow(reported: ["blob": .string(String(repeating: "x", count: 9_000))])
            XCTFail("an oversize shadow was accepted")
        } catch let error as ShadowError {
            XCTAssertEqual(error.result, 2)
        }
        let unchanged = try await device.getShadow()
        XCTAssertEqual(unchanged.version, 3)
        try await device.deleteShadow()
        let deleted = try await device.getShadow()
        XCTAssertTrue(deleted.reported.isEmpty)
    }

    func testTimeConfigAndLogLevel() async throws {
        let before = Date()
        let time = try await device.serverTime()
        XCTAssertGreaterThanOrEqual(time.ntpTime2, time.ntpTime1)
        XCTAssertEqual(time.time, time.ntpTime1 / 1000)
        XCTAssertGreaterThanOrEqual(time.ntpTime1, Int64(before.timeIntervalSince1970 * 1000) - 1_000, "same clock, same machine")
        XCTAssertGreaterThanOrEqual(time.estimatedNow.timeIntervalSince1970 * 1000, Double(time.ntpTime1))

        let empty = try await device.remoteConfig()
        XCTAssertTrue(empty.isEmpty)
        let pushes = StreamCollector(device.configPushes)
        try await fixture.hub.api.call("UpdateProductRemoteConfig", [("ProductId", .string(productId)), ("Config", .string(#"{"interval":30}"#))])
        let pushed = try await pushes.next()
        XCTAssertEqual(pushed, ["interval": 30])
        let fetched = try await device.remoteConfig()
        XCTAssertEqual(fetched, ["interval": 30])

        try await fixture.hub.api.call("UpdateDeviceLogLevel", deviceParameters + [("LogLevel", .int(4))])
        let level = try await device.logLevel()
        XCTAssertEqual(level, 4)
    }

    func testBroadcastAndRRPCReply() async throws {
        let broadcasts = StreamCollector(device.broadcasts)
        try await fixture.hub.api.call(
            "PublishBroadcastMessage", [("ProductId", .string(productId)), ("Payload", .string(#"{"notice":"maintenance"}"#)), ("Qos", .int(0))]
        )
        let notice = try await broadcasts.next()
        XCTAssertEqual(notice.text, #"{"notice":"maintenance"}"#)
        XCTAssertEqual(notice.topic, device.topics.broadcast)

        let device = self.device!
        let answerer = Task { () -> RRPCRequest? in
            for await request in device.rrpcRequests {
                try await device.reply(to: request, payload: #"{"echo":\#(request.text)}"#)
                return request
            }
            return nil
        }
        let response = try await fixture.hub.api.call("PublishRRPCMessage", deviceParameters + [("Payload", .string(#"{"cmd":"read"}"#))])
        let request = try await answerer.value
        XCTAssertEqual(request?.text, #"{"cmd":"read"}"#)
        XCTAssertEqual(request?.processId, response["MessageId"]?.int64Value.map(String.init))
        let reply = try XCTUnwrap(response["PayloadBase64"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        XCTAssertEqual(String(decoding: reply, as: UTF8.self), #"{"echo":{"cmd":"read"}}"#)
    }

    /// Deterministic bytes that do not repeat in short cycles.
    static func firmware(_ count: Int) -> [UInt8] {
        var state: UInt32 = 11
        return (0..<count).map { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
    }

    /// Report the version, receive the command, resume an interrupted download in ranged chunks, check
    /// the MD5, install, report done and the new version: the hub's task ends successful.
    func testWholeFirmwareUpdateWithAResumedDownload() async throws {
        let image = Self.firmware(200_000)
        let md5 = try await fixture.hub.uploadFirmware(productId: productId, version: "2.0.0", bytes: image)
        let updates = StreamCollector(device.firmwareUpdates)
        try await device.reportFirmwareVersion("1.0.0")
        let reported = try await fixture.hub.hub.registry.device(productId: productId, name: deviceName)
        XCTAssertEqual(reported.firmwareVersion, "1.0.0")

        let created = try await fixture.hub.api.call(
            "BatchUpdateFirmware",
            [("ProductId", .string(productId)), ("FirmwareVersion", .string("2.0.0")), ("DeviceNames", .array([.string(deviceName)])), ("TimeoutInterval", .int(300))]
        )
        let taskId = try XCTUnwrap(created["TaskId"]?.int64Value)
        let update = try await updates.next()
        XCTAssertEqual(update, FirmwareUpdate(version: "2.0.0", url: update.url, md5: md5, fileSize: Int64(image.count)))

        // An earlier attempt got the first 70,000 bytes before the power went.
        let path = fixture.files + "/firmware.bin"
        let partial = FirmwareDownloader.partialPath(for: update, at: path)
        try Data(image.prefix(70_000)).write(to: URL(fileURLWithPath: partial))
        let installed = NIOLockedValueBox([UInt8]())
        try await device.performFirmwareUpdate(update, downloadTo: path, downloader: FirmwareDownloader(chunkSize: 32 * 1024)) { file in
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            installed.withLockedValue { $0 = bytes }
        }
        XCTAssertEqual(installed.withLockedValue { $0 }, image, "the installed image is the uploaded one")
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial))

        // The hub saw the progress and the new version; the task entry is done (status 6).
        var status: Int64?
        for _ in 0..<500 {
            let devices = try await fixture.hub.api.call(
                "DescribeFirmwareTaskDevices",
                [
                    ("ProductId", .string(productId)), ("FirmwareVersion", .string("2.0.0")),
                    ("Filters", .array([.object(JSONObject([("Key", .string("TaskId")), ("Value", .string(String(taskId)))]))])),
                ]
            )
            status = devices["Devices"]?[0]?["Status"]?.int64Value
            if status == 6 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTAssertEqual(status, 6)
        let upgraded = try await fixture.hub.hub.registry.device(productId: productId, name: deviceName)
        XCTAssertEqual(upgraded.firmwareVersion, "2.0.0")
    }

    /// A wrong MD5 and a missing file fail with their OTA result codes; the partial file is not kept.
    func testDownloadFailuresCarryTheirResultCodes() async throws {
        let image = Self.firmware(50_000)
        try await fixture.hub.uploadFirmware(productId: productId, version: "3.0.0", bytes: image)
        let updates = StreamCollector(device.firmwareUpdates)
        try await device.reportFirmwareVersion("1.0.0")
        try await fixture.hub.api.call(
            "BatchUpdateFirmware",
            [("ProductId", .string(productId)), ("FirmwareVersion", .string("3.0.0")), ("DeviceNames", .array([.string(deviceName)])), ("TimeoutInterval", .int(300))]
        )
        let command = try await updates.next()
        var update = command
        let path = fixture.files + "/bad.bin"
        update.md5 = String(repeating: "0", count: 32)
        do {
            try await FirmwareDownloader().download(update, to: path)
            XCTFail("a wrong MD5 was accepted")
        } catch {
            XCTAssertEqual(error.failure, .md5Mismatch)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: FirmwareDownloader.partialPath(for: update, at: path)))

        // Resuming really continues from the stored bytes: 10,000 wrong bytes stored first make the MD5 fail;
        // the next attempt starts over (the bad part was dropped) and succeeds.
        update.md5 = command.md5
        try Data(repeating: 0xEE, count: 10_000).write(to: URL(fileURLWithPath: FirmwareDownloader.partialPath(for: update, at: path)))
        let offsets = NIOLockedValueBox([Int64]())
        do {
            try await FirmwareDownloader(chunkSize: 8_192).download(update, to: path) { received, _ in
                offsets.withLockedValue { $0.append(received) }
            }
            XCTFail("the corrupted partial download was accepted")
        } catch {
            XCTAssertEqual(error.failure, .md5Mismatch)
        }
        XCTAssertEqual(offsets.withLockedValue { $0.first }, 10_000, "the download resumed after the stored bytes")
        try await FirmwareDownloader(chunkSize: 8_192).download(update, to: path)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), image)

        var missing = update
        missing.url = update.url.replacingOccurrences(of: ".bin", with: "x.bin")
        do {
            try await FirmwareDownloader().download(missing, to: path)
            XCTFail("a missing file downloaded")
        } catch {
            XCTAssertEqual(error.failure, .fileNotFound, "\(error)")
        }
    }
}
