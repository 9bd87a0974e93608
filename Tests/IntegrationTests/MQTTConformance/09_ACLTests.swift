import CloudAPI
import HubTesting
import JSONCore
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
            try await deviceClient.send(MQTTBytes.publish("\(base)/data", "private", retain: true))
            try await deviceClient.expect(MQTTBytes.publish("\(base)/data", "private"), "the device's own message")
            try await deviceClient.ping("the anonymous command was dropped")
            let seen = try await packetsBeforePong(anonymous)
            XCTAssertFalse(
                seen.contains { String(decoding: $0, as: UTF8.self).contains(device.productId) },
                "\(version): device traffic reached an anonymous # subscriber"
            )
            let late = try await connected(version, uniqueId("late-anon"))
            try await subscribe(late, "#")
            let retained = try await packetsBeforePong(late)
            XCTAssertFalse(
                retained.contains { String(decoding: $0, as: UTF8.self).contains(device.productId) },
                "\(version): a device's retained message reached an anonymous # subscriber"
            )
            // Delete the retained message again (the next protocol version runs on the same topics).
            try await deviceClient.send(MQTTBytes.publish("\(base)/data", [], retain: true))
            try await deviceClient.expect(MQTTBytes.publish("\(base)/data", []))
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
    /// A device's ClientId belongs to the device: an anonymous client or an application using it cannot
    /// take the device's connection over (CONNACK 2 for them, the device stays connected), nor resume its
    /// persistent session and read what was queued for it. The device itself always gets its ClientId back.
    func testOthersCannotTakeOverADevicesClientId() async throws {
        let product = try await makeProduct()
        let device = try await registerDevice(product, "owned")
        let app = try await hub().api.call("CreateApplication", [("Name", .string("squatter")), ("ProductIds", .array([.string(product.id)]))])
        let appId = try XCTUnwrap(app["AppId"]?.stringValue)
        let appSecret = try XCTUnwrap(app["AppSecret"]?.stringValue)
        let control = "\(device.productId)/\(device.name)/control"
        try await forEachVersion { version in
            // The device keeps a persistent session with a queued command.
            let owner = try await open("owner")
            try await owner.send(try device.connect(version, clean: false))
            try await owner.expect(MQTTBytes.connack(version), "device CONNACK")
            try await subscribe(owner, control, qos: 1)

            let anonymous = try await open("anonymous")
            try await anonymous.send(MQTTBytes.connect(version, clientId: device.clientId, clean: false))
            try await anonymous.expectClose(allowing: MQTTBytes.connack(version, returnCode: 0x02), "anonymous with the device's ClientId")
            let application = try await open("application")
            try await application.send(
                MQTTBytes.connect(version, clientId: device.clientId, clean: false, username: appId, password: Array(appSecret.utf8))
            )
            try await application.expectClose(allowing: MQTTBytes.connack(version, returnCode: 0x02), "application with the device's ClientId")
            try await owner.ping("the device is still connected")

            await owner.drop()
            try await owner.expectClose()
            let commander = try await open("commander")
            try await commander.send(MQTTBytes.connect(version, clientId: uniqueId("commander"), username: appId, password: Array(appSecret.utf8)))
            try await commander.expect(MQTTBytes.connack(version))
            try await commander.send(MQTTBytes.publish(control, "secret command", qos: 1, packetId: 1))
            try await commander.expect(MQTTBytes.puback(1))

            let thief = try await open("thief")
            try await thief.send(MQTTBytes.connect(version, clientId: device.clientId, clean: false))
            try await thief.expectClose(allowing: MQTTBytes.connack(version, returnCode: 0x02), "anonymous resuming the device's session")

            let back = try await open("back")
            try await back.send(try device.connect(version, clean: false))
            try await back.expect(MQTTBytes.connack(version, sessionPresent: true), "the device resumes its own session")
            // DUP is set when the command reached the dropped connection before the hub saw it close (a race
            // with the drop above; the redelivery is then a resend, MQTT-3.3.1-1); either way it is the command.
            let redelivered = try await back.readPacket("the queued command")
            XCTAssertEqual([redelivered[0] & ~0x08] + redelivered.dropFirst(), MQTTBytes.publish(control, "secret command", qos: 1, packetId: 1))
            try await back.send(MQTTBytes.puback(1) + MQTTBytes.disconnect)
            try await back.expectClose()
            // Clean up the persistent session for the next version.
            let clean = try await open("clean")
            try await clean.send(try device.connect(version, clean: true))
            try await clean.expect(MQTTBytes.connack(version))
            try await clean.send(MQTTBytes.disconnect)
        }
    }

    /// A session never passes from one client identity to another: an application connecting with the
    /// ClientId of an anonymous client's persistent session starts a fresh session.
    func testSessionsDoNotPassBetweenIdentities() async throws {
        let product = try await makeProduct()
        let app = try await hub().api.call("CreateApplication", [("Name", .string("heir")), ("ProductIds", .array([.string(product.id)]))])
        let appId = try XCTUnwrap(app["AppId"]?.stringValue)
        let appSecret = try XCTUnwrap(app["AppSecret"]?.stringValue)
        try await forEachVersion { version in
            let topic = "identity/\(version.level)"
            let clientId = uniqueId("shared")
            let (first, probe) = try await connectedWithProbe(version, clientId)
            try await subscribe(first, topic, qos: 1)
            try await probe.drop(first)
            let publisher = try await connected(version, uniqueId("pub"))
            try await publisher.send(MQTTBytes.publish(topic, "for the anonymous session", qos: 1, packetId: 1))
            try await publisher.expect(MQTTBytes.puback(1))

            let heir = try await open("heir")
            try await heir.send(MQTTBytes.connect(version, clientId: clientId, clean: false, username: appId, password: Array(appSecret.utf8)))
            try await heir.expect(MQTTBytes.connack(version, sessionPresent: false), "a fresh session")
            try await heir.ping("nothing from the anonymous session")
            try await heir.send(MQTTBytes.disconnect)
        }
    }
}
