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
        try await store.appendDeviceLogs(entries(one, at: 1_000, ["old1", "old2"]), device: one, keepNewest: 3, keepBytes: 1 << 20)
        try await store.appendDeviceLogs(entries(one, at: 5_000, ["new1", "new2"], level: "INF"), device: one, keepNewest: 3, keepBytes: 1 << 20)
        try await store.appendDeviceLogs(entries(two, at: 1_000, ["other"]), device: two, keepNewest: 3, keepBytes: 1 << 20)

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

    func testByteBudgetKeepsTheNewestEntriesAndDeleteRemovesADevice() async throws {
        let store = try await openStore()
        let one = DeviceKey(productId: "ABCDEFGHIJ", name: "one")
        let two = DeviceKey(productId: "ABCDEFGHIJ", name: "two")
        // Each entry: level 3 + date_time 1 + content 100 bytes = 104; 350 bytes keep the newest 3.
        let contents = (0..<5).map { String(repeating: Character(String($0)), count: 100) }
        try await store.appendDeviceLogs(entries(one, at: 1_000, Array(contents.prefix(2))), device: one, keepNewest: 100, keepBytes: 350)
        try await store.appendDeviceLogs(entries(one, at: 2_000, Array(contents.suffix(3))), device: one, keepNewest: 100, keepBytes: 350)
        try await store.appendDeviceLogs(entries(two, at: 1_000, ["é"]), device: two, keepNewest: 100, keepBytes: 350)
        var page = try await store.queryDeviceLogs(DeviceLogQuery(deviceName: "one"))
        XCTAssertEqual(page.entries.map { $0.content.first }, ["4", "3", "2"])
        // Bytes, not characters: "é" is 2 bytes, level 3 + time 1 = 6 > 5.
        try await store.appendDeviceLogs(entries(two, at: 3_000, ["é"]), device: two, keepNewest: 100, keepBytes: 5)
        page = try await store.queryDeviceLogs(DeviceLogQuery(deviceName: "two"))
        XCTAssertEqual(page.entries.count, 0, "an entry larger than the budget is not kept")
        try await store.appendDeviceLogs(entries(two, at: 4_000, ["é"]), device: two, keepNewest: 100, keepBytes: 6)
        page = try await store.queryDeviceLogs(DeviceLogQuery(deviceName: "two"))
        XCTAssertEqual(page.entries.count, 1)

        try await store.deleteDeviceLogs(device: one)
        page = try await store.queryDeviceLogs(DeviceLogQuery())
        XCTAssertEqual(page.entries.map(\.deviceName), ["two"])
        try await store.close()
    }

    func testTotalByteBudgetOverAllDevicesKeepsTheNewest() async throws {
        let store = try await openStore()
        let one = DeviceKey(productId: "ABCDEFGHIJ", name: "one")
        let two = DeviceKey(productId: "ABCDEFGHIJ", name: "two")
        // 104 bytes each (level 3, time 1, content 100), alternating devices, oldest first.
        for index in 0..<6 {
            let device = index.isMultiple(of: 2) ? one : two
            try await store.appendDeviceLogs(
                entries(device, at: Int64(index), [String(repeating: String(index), count: 100)]), device: device, keepNewest: 100, keepBytes: 1 << 20
            )
        }
        var deleted = try await store.pruneDeviceLogs(keepBytes: 1 << 20)
        XCTAssertEqual(deleted, 0, "within the budget")
        deleted = try await store.pruneDeviceLogs(keepBytes: 320)
        XCTAssertEqual(deleted, 3, "3 entries (312 bytes) fit in 320")
        let page = try await store.queryDeviceLogs(DeviceLogQuery())
        XCTAssertEqual(page.entries.compactMap(\.content.first), ["5", "4", "3"])
        try await store.close()
    }
}
