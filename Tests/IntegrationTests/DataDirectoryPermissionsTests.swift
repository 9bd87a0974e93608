import CloudAPI
import Foundation
import HubServer
import HubTesting
import JSONCore
import Logging
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Item 10 of issue #12: nothing in the data directory is readable by other users.
final class DataDirectoryPermissionsTests: XCTestCase {
    /// Every entry under `directory` (itself included) with its permission bits; symbolic links skipped.
    private func modes(under directory: String) throws -> [String: mode_t] {
        var result: [String: mode_t] = [:]
        var pending = [directory]
        while let path = pending.popLast() {
            // attributesOfItem does not follow a symbolic link (lstat).
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let type = attributes[.type] as? FileAttributeType
            guard type != .typeSymbolicLink, let permissions = attributes[.posixPermissions] as? NSNumber else { continue }
            result[path] = mode_t(permissions.uint16Value)
            if type == .typeDirectory {
                pending += try FileManager.default.contentsOfDirectory(atPath: path).map { (path as NSString).appendingPathComponent($0) }
            }
        }
        return result
    }

    private func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    func testEverythingTheHubCreatesIsPrivate() async throws {
        // A permissive umask as a shell would give; the hub must not depend on the caller's.
        let previous = umask(0o022)
        defer { _ = umask(previous) }
        let hub = try await TestHub.start { $0.httpsPort = 0 }
        defer { Task { await hub.stopAndRemove() } }
        let product = try await hub.api.call("CreateProduct", [("ProductName", .string("modes")), ("ProductProperties", .object(["EncryptionType": .string("2")]))])
        let productId = try XCTUnwrap(product["ProductId"]?.stringValue)
        try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string("d1"))])
        try await hub.api.call("CreateApplication", [("Name", .string("app")), ("ProductIds", .array([.string(productId)]))])
        try await hub.uploadFirmware(productId: productId, version: "1.0.0", bytes: Array(repeating: 7, count: 1000))

        let found = try modes(under: hub.dataDirectory)
        let names = Set(found.keys.map { String($0.dropFirst(hub.dataDirectory.count)) })
        for expected in ["", "/registry.sqlite", "/registry.sqlite-wal", "/registry.sqlite-shm", "/credentials.json", "/webhooks.sqlite",
                         "/ca", "/ca/ca.key.pem", "/ca/ca.cert.pem", "/ca/server.key.pem", "/ca/server.cert.pem", "/firmware"] {
            XCTAssertTrue(names.contains(expected), "\(expected) missing; found \(names.sorted())")
        }
        XCTAssertTrue(found.keys.contains { $0.hasPrefix(hub.dataDirectory + "/firmware/") && !isDirectory($0) }, "no firmware file in \(names.sorted())")
        for (path, mode) in found {
            XCTAssertEqual(mode, isDirectory(path) ? 0o700 : 0o600, "\(path) has mode \(String(mode, radix: 8))")
        }
    }

    func testWiderModesAreTightenedAtStartWithAWarning() async throws {
        let directory = NSTemporaryDirectory() + "iothub-modes-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await TestHub.start(dataDirectory: directory)
        await first.stop()
        // As an older hub (or an operator's cp -r) left them.
        XCTAssertEqual(chmod(directory, 0o755), 0)
        XCTAssertEqual(chmod(directory + "/registry.sqlite", 0o644), 0)
        XCTAssertEqual(chmod(directory + "/ca/ca.key.pem", 0o640), 0)

        let logs = LogCapture()
        let second = try await TestHub.start(dataDirectory: directory, logger: logs.logger(level: .info))
        defer { Task { await second.stopAndRemove() } }
        let found = try modes(under: directory)
        XCTAssertEqual(found[directory], 0o700)
        XCTAssertEqual(found[directory + "/registry.sqlite"], 0o600)
        XCTAssertEqual(found[directory + "/ca/ca.key.pem"], 0o600)
        let warnings = logs.records("data directory entry was readable by others; permissions tightened").filter { $0.level == .warning }
        let byPath = Dictionary(warnings.map { ($0.metadata["hub.path"] ?? "", $0.metadata["hub.old_mode"] ?? "") }, uniquingKeysWith: { $1 })
        XCTAssertEqual(byPath[directory], "0755", "\(warnings)")
        XCTAssertEqual(byPath[directory + "/registry.sqlite"], "0644", "\(warnings)")
        XCTAssertEqual(byPath[directory + "/ca/ca.key.pem"], "0640", "\(warnings)")
        XCTAssertEqual(warnings.count, 3, "only what was wider is reported: \(warnings)")
        // The hub works on the tightened directory.
        _ = try await second.api.call("DescribeProducts", [("Offset", .int(0)), ("Limit", .int(10))])
    }
}
