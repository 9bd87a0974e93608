import XCTest

@testable import Registry
@testable import RegistrySQLite

/// The `device_logs` table: per-device count limit at append, age pruning, filters and the page cursor.
final class DeviceLogStoreTests: RegistryTestCase {
    private func entries(_ device: DeviceKey, at time: Int64, _ contents: [String], level: String = "ERR") -> [DeviceLogEntry] {
        contents.map { DeviceLogEntry(productId: device.productId, deviceName: device.name, receivedAt: time, level: level, dateTime: "t", content: $0) }
    }

    func testCountLimitAgePruningFiltersAndPages() async throws {
        let store = try await openStore()
        let one = DeviceKey(productId: "ABCDEFGHIJ", name: "one")
        let two = DeviceKey(productId: "ABCDEFGHIJ", name: "two")
        try await store.appendDeviceLogs(entries(one, at: 1_000, ["old1", "old2"]), device: one, keepNewest: 3)
        try await store.appendDeviceLogs(entries(one, at: 5_000, ["new1", "new2"], level: "INF"), device: one, keepNewest: 3)
        try await store.appendDeviceLogs(entries(two, at: 1_000, ["other"]), device: two, keepNewest: 3)

        var page = try await store.queryDeviceLogs(DeviceLogQuery(productId: "ABCDEFGHIJ", deviceName: "one"))
        XCTAssertEqual(page.entries.map(\.content), ["new2", "new1", "old2"])
        XCTAssertFalse(page.more)
        page = try await store.queryDeviceLogs(DeviceLogQuery(deviceName: "one", level: "INF", words: ["2"]))
        XCTAssertEqual(page.entries.map(\.content), ["new2"])
        page = try await store.queryDeviceLogs(DeviceLogQuery(deviceName: "one", since: 2_000))
        XCTAssertEqual(page.entries.map(\.content), ["new2", "new1"])
        // Pages: newest first, the cursor is the last id.
        page = try await store.queryDeviceLogs(DeviceLogQuery(deviceName: "one", limit: 2))
        XCTAssertEqual(page.entries.map(\.content), ["new2", "new1"])
        XCTAssertTrue(page.more)
        page = try await store.queryDeviceLogs(DeviceLogQuery(deviceName: "one", beforeId: page.entries.last?.id, limit: 2))
        XCTAssertEqual(page.entries.map(\.content), ["old2"])
        XCTAssertFalse(page.more)

        let deleted = try await store.pruneDeviceLogs(before: 2_000)
        XCTAssertEqual(deleted, 2)
        page = try await store.queryDeviceLogs(DeviceLogQuery())
        XCTAssertEqual(page.entries.map(\.content), ["new2", "new1"])
        try await store.close()
    }
}
