import HubTesting
import XCTest

/// 01: CONNECT / CONNACK / DISCONNECT / PINGREQ.
final class MQTTConformance01ConnectTests: MQTTConformanceCase {
    /// The literal bytes of a minimal session, both protocol names.
    func testConnectPingDisconnectExactBytes() async throws {
        // 3.1.1: "MQTT", level 4, clean session, keep-alive 60, ClientId "c01".
        let v311 = try await open("v311")
        try await v311.send([0x10, 0x0F, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3C, 0x00, 0x03, 0x63, 0x30, 0x31])
        try await v311.expect([0x20, 0x02, 0x00, 0x00], "CONNACK")
        try await v311.send([0xC0, 0x00])
        try await v311.expect([0xD0, 0x00], "PINGRESP")
        try await v311.send([0xE0, 0x00])
        try await v311.expectClose("after DISCONNECT")

        // 3.1: "MQIsdp", level 3.
        let v31 = try await open("v31")
        try await v31.send([0x10, 0x11, 0x00, 0x06, 0x4D, 0x51, 0x49, 0x73, 0x64, 0x70, 0x03, 0x02, 0x00, 0x3C, 0x00, 0x03, 0x63, 0x30, 0x32])
        try await v31.expect([0x20, 0x02, 0x00, 0x00], "CONNACK")
        try await v31.send([0xC0, 0x00])
        try await v31.expect([0xD0, 0x00], "PINGRESP")
        try await v31.send([0xE0, 0x00])
        try await v31.expectClose("after DISCONNECT")
    }

    /// MQTT-3.1.3-6/7/8: a zero-byte ClientId is accepted with CleanSession 1 (3.1.1) and refused with
    /// CONNACK 2 otherwise; MQTT 3.1 requires a ClientId of at least one character.
    func testZeroLengthClientId() async throws {
        let accepted = try await open("empty-clean")
        try await accepted.send(MQTTBytes.connect(.v3_1_1, clientId: "", clean: true))
        try await accepted.expect(MQTTBytes.connack(.v3_1_1))
        try await accepted.ping()

        let persistent = try await open("empty-persistent")
        try await persistent.send(MQTTBytes.connect(.v3_1_1, clientId: "", clean: false))
        try await persistent.expectClose(allowing: MQTTBytes.connack(.v3_1_1, returnCode: 0x02))

        let v31 = try await open("empty-3.1")
        try await v31.send(MQTTBytes.connect(.v3_1, clientId: "", clean: true))
        try await v31.expectClose(allowing: MQTTBytes.connack(.v3_1, returnCode: 0x02))
    }

    /// device-protocol.md §4: the hub does not apply MQTT 3.1's 23-character limit (Tencent ClientIds are up
    /// to 58 characters).
    func testLongClientIdsAreAcceptedOnBothVersions() async throws {
        try await forEachVersion { version in
            let clientId = String(repeating: "L", count: 57) + "\(version.level)"
            let client = try await connected(version, clientId)
            try await client.ping()
        }
    }

    /// Packets pipelined behind CONNECT (before the CONNACK arrives) are processed after it, in order.
    func testPacketsPipelinedBehindConnect() async throws {
        try await forEachVersion { version in
            let client = try await open("pipelined")
            let topic = "pipe/\(version.level)"
            try await client.send(
                MQTTBytes.connect(version, clientId: uniqueId("pipe"))
                    + MQTTBytes.subscribe(1, topic, qos: 1)
                    + MQTTBytes.publish(topic, "x", qos: 1, packetId: 7)
                    + MQTTBytes.pingreq
            )
            try await client.expect(MQTTBytes.connack(version), "CONNACK first")
            try await client.expect(MQTTBytes.suback(1, [1]))
            // The PUBACK and the delivery of the own message, in the order the broker produced them.
            try await client.expect(MQTTBytes.puback(7))
            try await client.expect(MQTTBytes.publish(topic, "x", qos: 1, packetId: 1))
            try await client.expect(MQTTBytes.pingresp)
        }
    }

    /// A client may close the connection right after CONNECT; the broker forgets a clean session.
    func testCleanSessionEndsWithTheConnection() async throws {
        try await forEachVersion { version in
            let clientId = uniqueId("gone")
            let first = try await connected(version, clientId)
            try await first.send(MQTTBytes.disconnect)
            try await first.expectClose()
            let again = try await connected(version, clientId, clean: false, sessionPresent: false)
            try await again.ping()
        }
    }
    /// Packets split into single bytes (one TCP write each) are reassembled.
    func testDripFedBytes() async throws {
        try await forEachVersion { version in
            let client = try await open("drip")
            let topic = "drip/\(version.level)"
            let bytes = MQTTBytes.connect(version, clientId: uniqueId("drip")) + MQTTBytes.subscribe(1, topic, qos: 2)
                + MQTTBytes.publish(topic, [UInt8](repeating: 0x7A, count: 200), qos: 1, packetId: 2)
            for byte in bytes {
                try await client.send([byte])
            }
            try await client.expect(MQTTBytes.connack(version))
            try await client.expect(MQTTBytes.suback(1, [2]))
            try await client.expect(MQTTBytes.puback(2))
            try await client.expect(MQTTBytes.publish(topic, [UInt8](repeating: 0x7A, count: 200), qos: 1, packetId: 1))
        }
    }
    /// MQTT-3.1.4 (non-normative): clients need not wait for CONNACK. Many packets pipelined behind CONNECT
    /// (authentication is asynchronous) are all processed, in order, none dropped.
    func testManyPacketsPipelinedBehindConnect() async throws {
        try await forEachVersion { version in
            let topic = "burst/\(version.level)"
            let subscriber = try await connected(version, uniqueId("sub"))
            try await subscribe(subscriber, topic)
            let client = try await open("burst")
            var bytes = MQTTBytes.connect(version, clientId: uniqueId("burst"))
            for index in 0..<500 {
                bytes += MQTTBytes.publish(topic, "b\(index)")
            }
            try await client.send(bytes + MQTTBytes.pingreq)
            try await client.expect(MQTTBytes.connack(version))
            try await client.expect(MQTTBytes.pingresp, "PINGRESP after 500 publications")
            for index in 0..<500 {
                try await subscriber.expect(MQTTBytes.publish(topic, "b\(index)"), "message \(index)")
            }
        }
    }
    /// MQTT-3.1.3-6: the ClientId the server assigns to a zero-byte one is unique: another client cannot
    /// take it over by guessing it.
    func testAssignedClientIdCannotBeTakenOver() async throws {
        let anonymous = try await open("assigned")
        try await anonymous.send(MQTTBytes.connect(.v3_1_1, clientId: ""))
        try await anonymous.expect(MQTTBytes.connack(.v3_1_1))
        for guess in (0..<20).flatMap({ ["auto-\($0)", "\($0)", "c\($0)"] }) {
            let guesser = try await connected(.v3_1_1, guess)
            try await guesser.send(MQTTBytes.disconnect)
            try await guesser.expectClose()
        }
        try await anonymous.ping("the client with an assigned ClientId is still connected")
    }
}
