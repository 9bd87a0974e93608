import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import XCTest

/// `iothub firmware …` as the real executable against a hub.
final class FirmwareCLITests: XCTestCase {
    func run(_ arguments: [String]) async throws -> ExternalTools.Result {
        try await HubProcess.runTool("iothub", arguments)
    }

    func testFirmwareUploadUpdateAndTaskShow() async throws {
        let hub = try await TestHub.start()
        let file = NSTemporaryDirectory() + "fw-\(UUID().uuidString).bin"
        defer { try? FileManager.default.removeItem(atPath: file) }
        do {
            let created = try await hub.api.call(
                "CreateProduct", [("ProductName", .string("clifw")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
            )
            let productId = try XCTUnwrap(created["ProductId"]?.stringValue)
            try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string("unit-1"))])
            let bytes = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(bytes)))
            let common = ["--endpoint", hub.apiEndpoint, "--data-dir", hub.dataDirectory]

            let upload = try await run(["firmware", "upload", file, "--product", productId, "--version", "1.2.3", "--name", "main"] + common)
            XCTAssertEqual(upload.status, 0, upload.stderr)
            XCTAssertTrue(upload.stdout.contains("uploaded firmware \(productId) 1.2.3: 5000 bytes, md5 \(MD5Digest.hex(of: bytes))"), upload.stdout)
            let described = try await hub.api.call("DescribeFirmware", [("ProductId", .string(productId)), ("FirmwareVersion", .string("1.2.3"))])
            XCTAssertEqual(described["Md5sum"], .string(MD5Digest.hex(of: bytes)))

            let list = try await run(["firmware", "list", "--product", productId] + common)
            XCTAssertEqual(list.status, 0, list.stderr)
            XCTAssertTrue(list.stdout.contains("1.2.3") && list.stdout.contains("main") && list.stdout.contains("1 firmware version(s)"), list.stdout)

            let update = try await run(["firmware", "update", "--product", productId, "--version", "1.2.3", "--devices", "unit-1", "--timeout", "300"] + common)
            XCTAssertEqual(update.status, 0, update.stderr)
            let taskId = try XCTUnwrap(update.stdout.split(separator: " ").dropFirst(3).first.map(String.init))
            XCTAssertNotNil(Int(taskId), update.stdout)

            let show = try await run(["firmware", "task", "show", "--product", productId, "--version", "1.2.3", "--task", taskId] + common)
            XCTAssertEqual(show.status, 0, show.stderr)
            XCTAssertTrue(show.stdout.contains("waiting"), show.stdout)
            XCTAssertTrue(show.stdout.contains("unit-1") && show.stdout.contains("offline"), show.stdout)

            let missing = try await run(["firmware", "update", "--product", productId, "--version", "9.9", "--devices", "unit-1"] + common)
            XCTAssertNotEqual(missing.status, 0)
            XCTAssertTrue(missing.stderr.contains("ResourceNotFound.FirmwareNotExist"), missing.stderr)
        } catch {
            await hub.stopAndRemove()
            throw error
        }
        await hub.stopAndRemove()
    }
}
