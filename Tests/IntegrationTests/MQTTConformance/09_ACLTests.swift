import HubTesting
import XCTest

/// 09: the topic ACL of device-protocol.md §6.1 with real devices (registered over HTTP): a device never
/// touches another device's topics; forbidden filters get SUBACK 0x80; forbidden publications are dropped
/// but acknowledged; wildcards only inside the device's own namespace.
final class MQTTConformance09ACLTests: MQTTConformanceCase {
    func testSubscribeReturnCodesPerFilter() async throws {
        let product = try await makeProduct()
        let other = try await makeProduct()
        let device = try await registerDevice(product, "acl-a")
        let (p, d) = (device.productId, device.name)
        try await forEachVersion { version in
            let client = try await connectedDevice(device, version)
            let cases: [(String, UInt8, UInt8)] = [
                ("\(p)/\(d)/data", 1, 0x01),
                ("\(p)/\(d)/control", 0, 0x00),
                ("\(p)/\(d)/event", 0, 0x80),  // publish-only
                ("\(p)/acl-b/data", 1, 0x80),  // another device
                ("\(other.id)/\(d)/data", 0, 0x80),  // the same name in another product
                ("\(p)/\(d)/#", 1, 0x01),  // a wildcard inside the own namespace
                ("\(p)/\(d)/+", 0, 0x00),
                ("\(p)/+/data", 0, 0x80),
                ("\(p)/#", 0, 0x80),
                ("#", 0, 0x80),
                ("+/+/+", 0, 0x80),
                ("$shadow/operation/result/\(p)/\(d)", 0, 0x00),
                ("$shadow/operation/result/\(p)/acl-b", 0, 0x80),
                ("$shadow/operation/result/\(p)/+", 0, 0x80),
                ("$ota/update/\(p)/\(d)", 1, 0x01),
                ("$rrpc/rxd/\(p)/\(d)/+", 0, 0x00),
                ("$rrpc/rxd/\(p)/+/+", 0, 0x80),
                ("$sys/operation/result/\(p)/\(d)", 0, 0x00),
                ("$sys/#", 0, 0x80),
                ("public/topic", 0, 0x80),  // outside every namespace: not a device's
            ]
            try await client.send(MQTTBytes.subscribe(0x0A0B, cases.map { ($0.0, $0.1) }))
            try await client.expect(MQTTBytes.suback(0x0A0B, cases.map(\.2)), "one return code per filter")
            try await client.ping("the connection stays open")
            try await client.send(MQTTBytes.disconnect)
        }
    }

    /// A PUBLISH to another device's topic is dropped; QoS 1 still gets its PUBACK and QoS 2 its PUBREC /
    /// PUBCOMP, so the device does not resend it forever; the connection stays open.
    func testPublishToAnotherDeviceIsDroppedButAcknowledged() async throws {
        let product = try await makeProduct()
        let a = try await registerDevice(product, "pub-a")
        let b = try await registerDevice(product, "pub-b")
        try await forEachVersion { version in
            let victim = try await connectedDevice(b, version)
            try await subscribe(victim, "\(b.productId)/\(b.name)/data", qos: 1)
            try await subscribe(victim, "\(b.productId)/\(b.name)/control", qos: 1, packetId: 2)
            let attacker = try await connectedDevice(a, version)
            try await attacker.send(MQTTBytes.publish("\(b.productId)/\(b.name)/data", "spoof0"))
            try await attacker.send(MQTTBytes.publish("\(b.productId)/\(b.name)/data", "spoof1", qos: 1, packetId: 1))
            try await attacker.expect(MQTTBytes.puback(1), "PUBACK of a dropped QoS 1 message")
            try await attacker.send(MQTTBytes.publish("\(b.productId)/\(b.name)/control", "spoof2", qos: 2, packetId: 2))
            try await attacker.expect(MQTTBytes.pubrec(2), "PUBREC of a dropped QoS 2 message")
            try await attacker.send(MQTTBytes.pubrel(2))
            try await attacker.expect(MQTTBytes.pubcomp(2))
            // Its own control topic is subscribe-only for the device, too.
            try await attacker.send(MQTTBytes.publish("\(a.productId)/\(a.name)/control", "self", qos: 1, packetId: 3))
            try await attacker.expect(MQTTBytes.puback(3))
            try await attacker.ping("still connected")
            try await victim.ping("nothing was delivered")
            try await attacker.send(MQTTBytes.disconnect)
            try await victim.send(MQTTBytes.disconnect)
        }
    }

    /// A wildcard inside the own namespace only delivers topics the device may subscribe to: its own
    /// `event` (publish-only) does not come back, `data` and custom topics do.
    func testOwnWildcardDeliversOnlySubscribableTopics() async throws {
        let product = try await makeProduct()
        let device = try await registerDevice(product, "wild")
        let base = "\(device.productId)/\(device.name)"
        try await forEachVersion { version in
            let client = try await connectedDevice(device, version)
            try await subscribe(client, "\(base)/#", qos: 1)
            try await client.send(MQTTBytes.publish("\(base)/event", "e", qos: 1, packetId: 1))
            try await client.expect(MQTTBytes.puback(1))
            try await client.send(MQTTBytes.publish("\(base)/data", "d", qos: 1, packetId: 2))
            try await client.expect(MQTTBytes.puback(2))
            try await client.expect(MQTTBytes.publish("\(base)/data", "d", qos: 1, packetId: 1))
            try await client.send(MQTTBytes.puback(1))
            try await client.send(MQTTBytes.publish("\(base)/custom_1", "c"))
            try await client.expect(MQTTBytes.publish("\(base)/custom_1", "c"))
            try await client.ping("the event did not come back")
            try await client.send(MQTTBytes.disconnect)
        }
    }

    /// Anonymous clients live outside the device namespaces: they cannot subscribe into them, `#` does not
    /// deliver device traffic to them, and what they publish into them is dropped.
    func testAnonymousClientsCannotReachDevices() async throws {
        let product = try await makeProduct()
        let device = try await registerDevice(product, "anon-target")
        let base = "\(device.productId)/\(device.name)"
        try await forEachVersion { version in
            let deviceClient = try await connectedDevice(device, version)
            try await subscribe(deviceClient, "\(base)/data")
            try await subscribe(deviceClient, "\(base)/control", packetId: 2)

            let anonymous = try await connected(version, uniqueId("anon"))
            try await anonymous.send(MQTTBytes.subscribe(1, [("\(base)/data", 0), ("$shadow/operation/result/\(base)", 0), ("#", 0)]))
            try await anonymous.expect(MQTTBytes.suback(1, [0x80, 0x80, 0x00]))
            try await anonymous.send(MQTTBytes.publish("\(base)/control", "hijack", qos: 1, packetId: 1))
            try await anonymous.expect(MQTTBytes.puback(1))
            try await deviceClient.send(MQTTBytes.publish("\(base)/data", "private"))
            try await deviceClient.expect(MQTTBytes.publish("\(base)/data", "private"), "the device's own message")
            try await deviceClient.ping("the anonymous command was dropped")
            let seen = try await packetsBeforePong(anonymous)
            XCTAssertFalse(
                seen.contains { String(decoding: $0, as: UTF8.self).contains(device.productId) },
                "\(version): device traffic reached an anonymous # subscriber"
            )
            try await deviceClient.send(MQTTBytes.disconnect)
        }
    }

    /// The ACL applies to wills and retained messages too (device-protocol.md §4).
    func testWillsAndRetainedMessagesRespectTheACL() async throws {
        let product = try await makeProduct()
        let a = try await registerDevice(product, "will-a")
        let b = try await registerDevice(product, "will-b")
        try await forEachVersion { version in
            let victim = try await connectedDevice(b, version)
            try await subscribe(victim, "\(b.productId)/\(b.name)/data")
            // A retained message into another device's topic is neither delivered nor stored.
            let attacker = try await connectedDevice(a, version, will: MQTTBytes.Will(topic: "\(b.productId)/\(b.name)/data", payload: Array("evil will".utf8)))
            try await attacker.send(MQTTBytes.publish("\(b.productId)/\(b.name)/data", "evil retained", qos: 1, retain: true, packetId: 1))
            try await attacker.expect(MQTTBytes.puback(1))
            await attacker.drop()
            try await attacker.expectClose()
            // Reconnecting as the same device means the broker has dealt with the old connection (its loss, or
            // a takeover): any will would have been routed before this CONNACK.
            let again = try await connectedDevice(a, version)
            try await victim.ping("no will, no retained message from another device")
            try await victim.send(MQTTBytes.unsubscribe(4, ["\(b.productId)/\(b.name)/data"]))
            try await victim.expect(MQTTBytes.unsuback(4))
            try await subscribe(victim, "\(b.productId)/\(b.name)/data", packetId: 5)
            try await victim.ping("nothing retained on the victim's topic")
            try await again.send(MQTTBytes.disconnect)
            try await victim.send(MQTTBytes.disconnect)
        }
    }
}
