import HubServer
import HubTesting
import Registry
import XCTest

/// 08: a second connection with the same ClientId takes over (MQTT-3.1.4-2; device-protocol.md §4: the new
/// connection wins).
final class MQTTConformance08TakeoverTests: MQTTConformanceCase {
    /// The older connection is closed without a reply; the newer one works; the older connection's will is
    /// published, since the older connection did not send DISCONNECT (MQTT-3.1.2-8).
    func testNewConnectionWinsAndOldWillIsPublished() async throws {
        try await forEachVersion { version in
            let topic = "takeover/will/\(version.level)"
            let watcher = try await connected(version, uniqueId("watcher"))
            try await subscribe(watcher, topic)
            let clientId = uniqueId("twin")
            let old = try await connected(version, clientId, will: MQTTBytes.Will(topic: topic, payload: Array("old gone".utf8)))
            let new = try await connected(version, clientId)
            try await old.expectClose("the older connection")
            try await watcher.expect(MQTTBytes.publish(topic, "old gone"), "the will of the older connection")
            try await new.ping("the newer connection")
            // The newer connection's session is the live one: closing the old socket later changes nothing.
            try await subscribe(new, "takeover/live/\(version.level)")
            try await new.send(MQTTBytes.publish("takeover/live/\(version.level)", "alive"))
            try await new.expect(MQTTBytes.publish("takeover/live/\(version.level)", "alive"))
        }
    }

    /// A persistent session moves to the new connection: session present, subscriptions and unacknowledged
    /// messages (resent with DUP) come along.
    func testPersistentSessionMovesToTheNewConnection() async throws {
        try await forEachVersion { version in
            let topic = "takeover/session/\(version.level)"
            let clientId = uniqueId("mover")
            let old = try await connected(version, clientId, clean: false)
            try await subscribe(old, topic, qos: 1)
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "pending", qos: 1, packetId: 1))
            try await publisher.expect(MQTTBytes.puback(1))
            try await old.expect(MQTTBytes.publish(topic, "pending", qos: 1, packetId: 1))

            let new = try await connected(version, clientId, clean: false, sessionPresent: true)
            try await old.expectClose()
            try await new.expect(MQTTBytes.publish(topic, "pending", qos: 1, dup: true, packetId: 1))
            try await new.send(MQTTBytes.puback(1))
            try await publisher.send(MQTTBytes.publish(topic, "next", qos: 1, packetId: 2))
            try await publisher.expect(MQTTBytes.puback(2))
            try await new.expect(MQTTBytes.publish(topic, "next", qos: 1, packetId: 2))
            try await new.send(MQTTBytes.puback(2) + MQTTBytes.disconnect)
        }
    }

    /// A device that reconnects while its old connection is still open (e.g. after a NAT timeout) takes
    /// over and stays online in the registry.
    func testDeviceTakeoverKeepsTheDeviceOnline() async throws {
        let product = try await makeProduct()
        let device = try await registerDevice(product, "twin-dev")
        let hub = try await hub()
        try await forEachVersion { version in
            let old = try await connectedDevice(device, version)
            let new = try await connectedDevice(device, version)
            try await old.expectClose()
            try await new.ping()
            let online = try await hub.hub.registry.device(productId: product.id, name: device.name).online
            XCTAssertTrue(online, "\(version): the device is online through its newer connection")
            try await new.send(MQTTBytes.disconnect)
            try await new.expectClose()
            let offline = try await eventually { try await !hub.hub.registry.device(productId: product.id, name: device.name).online }
            XCTAssertTrue(offline, "\(version): offline after DISCONNECT")
        }
    }
}
