import BrokerCore
import CloudAPI
import Dispatch
import Foundation
import HubServer
import HubTesting
import JSONCore
import MQTTServer
import NIOConcurrencyHelpers
import Registry
import XCTest

/// Limits on sessions and revocations that always take effect, against a running hub.
final class SessionLimitTests: MQTTConformanceCase {
    /// An application credential holds at most `mqttMaxSessionsPerApp` sessions, connected or persistent:
    /// one more is refused with CONNACK 3 (server unavailable) and closed; resuming its own session is not.
    func testApplicationSessionsAreCapped() async throws {
        let hub = try await hub { $0.mqttMaxSessionsPerApp = 2 }
        let product = try await makeProduct()
        let app = try await hub.api.call("CreateApplication", [("Name", .string("capped")), ("ProductIds", .array([.string(product.id)]))])
        let appId = try XCTUnwrap(app["AppId"]?.stringValue)
        let password = Array(try XCTUnwrap(app["AppSecret"]?.stringValue).utf8)
        try await forEachVersion { version in
            let persistentId = uniqueId("persistent")
            let persistent = try await open("persistent")
            try await persistent.send(MQTTBytes.connect(version, clientId: persistentId, clean: false, username: appId, password: password))
            try await persistent.expect(MQTTBytes.connack(version))
            try await persistent.send(MQTTBytes.disconnect)
            try await persistent.expectClose()
            let live = try await open("live")
            try await live.send(MQTTBytes.connect(version, clientId: uniqueId("live"), username: appId, password: password))
            try await live.expect(MQTTBytes.connack(version))

            let third = try await open("third")
            try await third.send(MQTTBytes.connect(version, clientId: uniqueId("third"), username: appId, password: password))
            try await third.expectClose(allowing: MQTTBytes.connack(version, returnCode: 0x03), "a third session of the application")

            let back = try await open("back")
            try await back.send(MQTTBytes.connect(version, clientId: persistentId, clean: false, username: appId, password: password))
            try await back.expect(MQTTBytes.connack(version, sessionPresent: true), "its own persistent session is resumed at the cap")
            // End both sessions for the next version.
            try await back.send(MQTTBytes.disconnect)
            let clean = try await open("clean")
            try await clean.send(MQTTBytes.connect(version, clientId: persistentId, clean: true, username: appId, password: password))
            try await clean.expect(MQTTBytes.connack(version))
            try await clean.send(MQTTBytes.disconnect)
            try await live.send(MQTTBytes.disconnect)
            let freed = try await eventually { hub.brokerHost?.inspect { $0.sessionCount(application: appId) } == 0 }
            XCTAssertTrue(freed, "the application's sessions ended")
        }
    }

    /// Revocations take effect however far the kick service lags: while it waits for the broker's lock,
    /// 5,008 devices are disabled at once (the connected ones first); once it runs, every connected device
    /// is disconnected. (A stream keeping the newest 4,096 events lost the connected devices' events.)
    func testRevocationsTakeEffectWhileTheKickServiceLags() async throws {
        let hub = try await hub()
        let host = try XCTUnwrap(hub.brokerHost)
        let product = try await makeProduct()
        var clients: [RawMQTTClient] = []
        var names: [String] = []
        for i in 0..<8 {
            let device = try await registerDevice(product, "live\(i)")
            clients.append(try await connectedDevice(device, .v3_1_1))
            names.append(device.name)
        }
        let registry = hub.hub.registry
        let extras = (0..<5000).map { "idle\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in extras { group.addTask { _ = try await registry.createDevice(productId: product.id, name: name) } }
            try await group.waitForAll()
        }

        // Hold the broker's lock on a thread of our own: the kick service blocks on its first event.
        let held = NIOLockedValueBox(false)
        let release = DispatchSemaphore(value: 0)
        Thread {
            host.inspect { _ in
                held.withLockedValue { $0 = true }
                release.wait()
            }
        }.start()
        while !held.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        do {
            try await registry.setDevicesEnabled(productId: product.id, names: names + extras, enabled: false)
        } catch {
            release.signal()
            throw error
        }
        release.signal()

        for (client, name) in zip(clients, names) {
            try await client.expectClose(timeout: .seconds(20), "device \(name) disabled")
        }
    }
}
