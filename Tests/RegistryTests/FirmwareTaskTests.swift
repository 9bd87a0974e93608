import DeviceAuth
import Foundation
import Logging
import Synchronization
import XCTest

@testable import Registry
@testable import RegistrySQLite

/// The OTA state machine of the registry (firmware, tasks, per-device entries) on a real SQLite file, with
/// a controllable clock for the timeouts.
final class FirmwareTaskTests: RegistryTestCase {
    let clock = TestClock()

    func openEngine() async throws -> RegistryEngine {
        let clock = self.clock
        return try await openEngine(now: { clock.now() })
    }

    func advance(seconds: Int64) { clock.advance(milliseconds: seconds * 1000) }

    func setUpProduct(_ engine: RegistryEngine, devices: [String: String]) async throws -> String {
        var spec = NewProduct(name: "ota")
        spec.encryptionType = .psk
        let product = try await engine.createProduct(spec)
        for (name, version) in devices.sorted(by: { $0.key < $1.key }) {
            _ = try await engine.createDevice(productId: product.id, name: name)
            if !version.isEmpty { _ = try await engine.firmwareVersionReported(DeviceKey(productId: product.id, name: name), version: version) }
        }
        _ = try await engine.addFirmware(NewFirmware(productId: product.id, version: "2.0", md5: "ABCDEF0123456789ABCDEF0123456789", size: 100, fileToken: "tok"))
        return product.id
    }

    func testTaskLifecycleTimeoutsAndReload() async throws {
        var engine = try await openEngine()
        let pid = try await setUpProduct(engine, devices: ["a": "1.0", "b": "1.0", "c": "2.0", "d": "0.9"])
        let key = { (name: String) in DeviceKey(productId: pid, name: name) }
        let firmware = try await engine.firmware(productId: pid, version: "2.0")
        XCTAssertEqual(firmware.md5, "abcdef0123456789abcdef0123456789")
        do {
            _ = try await engine.addFirmware(NewFirmware(productId: pid, version: "2.0", md5: "x", size: 1, fileToken: "t2"))
            XCTFail("duplicate version accepted")
        } catch let error as RegistryError {
            XCTAssertEqual(error.code, .firmwareAlreadyExists)
        }

        // By original version: a and b (1.0); only a is reachable; c (already 2.0) and d are not targeted.
        var spec = NewFirmwareTask(productId: pid, version: "2.0", deviceNames: nil, originalVersion: "1.0", timeoutInterval: 60, url: "http://h/tok.bin")
        let (summary, pushes) = try await engine.createFirmwareTask(spec, reachable: { $0.name == "a" })
        XCTAssertEqual(pushes.map(\.device.name), ["a"])
        XCTAssertEqual(pushes.first?.command, FirmwareCommand(fileSize: 100, md5: firmware.md5, url: "http://h/tok.bin", version: "2.0"))
        XCTAssertEqual(summary.status, .running)
        var entries = try await engine.firmwareTaskDevices(productId: pid, version: "2.0", taskId: summary.task.id)
        XCTAssertEqual(entries.map(\.deviceName), ["a", "b"])
        XCTAssertEqual(entries.map(\.status), [.delivered, .offline])

        // A busy device cannot join another task; an explicit list with c (already on 2.0) completes c at once.
        do {
            spec.deviceNames = ["a"]
            _ = try await engine.createFirmwareTask(spec, reachable: { _ in true })
            XCTFail("busy device accepted")
        } catch let error as RegistryError {
            XCTAssertEqual(error.code, .deviceIsUpdating)
        }
        spec.deviceNames = ["c"]
        let (second, none) = try await engine.createFirmwareTask(spec, reachable: { _ in true })
        XCTAssertTrue(none.isEmpty)
        XCTAssertEqual(second.status, .finished)

        // b comes online: its version report releases the command; a downloads, then goes silent.
        let pushB = try await engine.firmwareVersionReported(key("b"), version: "1.0")
        XCTAssertEqual(pushB?.device.name, "b")
        try await engine.firmwareProgressReported(key("a"), FirmwareProgress(state: .downloading, percent: 40, version: "2.0"))
        advance(seconds: 30)
        // A progress report naming another version is ignored.
        let ignored = try await engine.firmwareProgressReported(key("b"), FirmwareProgress(state: .done, version: "9.9"))
        XCTAssertNil(ignored)
        try await engine.firmwareProgressReported(key("b"), FirmwareProgress(state: .burning, version: "2.0"))
        advance(seconds: 45)
        // a: 75 s without a report > 60 → timed out; b reported 45 s ago.
        let expired = await engine.expireFirmwareTaskDevices()
        XCTAssertEqual(expired, 1)
        entries = try await engine.firmwareTaskDevices(productId: pid, version: "2.0", taskId: summary.task.id)
        XCTAssertEqual(entries.map(\.status), [.timedOut, .burning])
        XCTAssertEqual(entries.first?.percent, 40)
        try await engine.firmwareProgressReported(key("b"), FirmwareProgress(state: .fail, resultCode: -4, resultMessage: "time_out", version: "2.0"))

        // Retry a; cancel is refused on a final entry.
        do {
            try await engine.cancelDeviceFirmwareTask(productId: pid, deviceName: "b", version: "2.0", taskId: summary.task.id)
            XCTFail("cancel of a failed entry accepted")
        } catch let error as RegistryError {
            XCTAssertEqual(error.code, .deviceFirmwareTaskDone)
        }
        let retried = try await engine.retryDeviceFirmwareTask(productId: pid, deviceName: "a", version: "2.0", taskId: summary.task.id, reachable: { _ in true })
        XCTAssertEqual(retried?.device.name, "a")
        try await engine.firmwareProgressReported(key("a"), FirmwareProgress(state: .done, version: "2.0"))
        let a = try await engine.device(productId: pid, name: "a")
        XCTAssertEqual(a.firmwareVersion, "2.0")
        let finished = try await engine.firmwareTask(productId: pid, version: "2.0", taskId: summary.task.id)
        XCTAssertEqual(finished.status, .finished)

        // Everything survives a restart.
        await engine.shutdown()
        engine = try await openEngine()
        entries = try await engine.firmwareTaskDevices(productId: pid, version: "2.0", taskId: summary.task.id)
        XCTAssertEqual(entries.map(\.status), [.upgraded, .failed])
        XCTAssertEqual(entries.last?.retcode, -4)
        XCTAssertEqual(entries.last?.errMsg, "time_out")
        let tasks = try await engine.firmwareTasks(productId: pid, version: "2.0")
        XCTAssertEqual(tasks.map(\.task.id), [second.task.id, summary.task.id])
        XCTAssertEqual(tasks.last?.task.mode, .originalVersion)
        let byToken = await engine.firmware(fileToken: "tok")
        XCTAssertEqual(byToken?.version, "2.0")
        // A new task gets a new id after the restart.
        spec.deviceNames = ["d"]
        let (third, _) = try await engine.createFirmwareTask(spec, reachable: { _ in false })
        XCTAssertGreaterThan(third.task.id, second.task.id)
        XCTAssertEqual(third.status, .waiting)
        try await engine.cancelFirmwareTask(productId: pid, taskId: third.task.id)
        let cancelled = try await engine.firmwareTask(productId: pid, version: "2.0", taskId: third.task.id)
        XCTAssertEqual(cancelled.status, .cancelled)
        await engine.shutdown()
    }
}

/// A clock the tests move by hand (Mutex is not copyable, so it lives in a class).
final class TestClock: Sendable {
    private let millis = Mutex<Int64>(1_700_000_000_000)

    func now() -> Int64 { millis.withLock { $0 } }

    func advance(milliseconds: Int64) { millis.withLock { $0 += milliseconds } }
}
