import BrokerCore
import CloudAPI
import Foundation
import HubTesting
import JSONCore
import MQTTCore
import MQTTServer
import XCTest

/// Issue 13, item 1: what the broker acknowledged survives a restart and `kill -9` of a real hub process:
/// retained messages, persistent sessions (subscriptions, queued and in-flight QoS 1/2 messages, QoS 2
/// receive state).
final class BrokerDurabilityTests: XCTestCase {
    /// A PUBLISH as the client reads it.
    struct Received: Equatable {
        var topic: String
        var payload: String
        var qos: UInt8
        var dup: Bool
        var retain: Bool
        var packetId: UInt16?
    }

    static func parsePublish(_ packet: [UInt8]) -> Received? {
        guard let first = packet.first, first >> 4 == 3 else { return nil }
        var index = 1
        while packet[index] & 0x80 != 0 { index += 1 }
        index += 1
        let topicLength = Int(packet[index]) << 8 | Int(packet[index + 1])
        index += 2
        let topic = String(decoding: packet[index..<(index + topicLength)], as: UTF8.self)
        index += topicLength
        let qos = (first >> 1) & 0x03
        var packetId: UInt16?
        if qos > 0 {
            packetId = UInt16(packet[index]) << 8 | UInt16(packet[index + 1])
            index += 2
        }
        return Received(
            topic: topic, payload: String(decoding: packet[index...], as: UTF8.self), qos: qos, dup: first & 0x08 != 0, retain: first & 0x01 != 0,
            packetId: packetId
        )
    }

    private func readPublish(_ client: RawMQTTClient, _ what: String) async throws -> Received {
        let packet = try await client.readPacket(timeout: .seconds(10), what)
        return try XCTUnwrap(Self.parsePublish(packet), "\(what): \(packet) is not a PUBLISH")
    }

    private func connect(_ port: Int, _ clientId: String, clean: Bool, sessionPresent: Bool, _ what: String) async throws -> RawMQTTClient {
        let client = try await RawMQTTClient.connect(port: port, name: clientId)
        try await client.send(MQTTBytes.connect(.v3_1_1, clientId: clientId, clean: clean))
        try await client.expect(MQTTBytes.connack(.v3_1_1, sessionPresent: sessionPresent), what)
        return client
    }

    /// The whole story, once ended by `kill -9` and once by SIGTERM: an offline persistent subscriber, an
    /// online one that has not acknowledged what it was sent, retained messages, a QoS 2 publish between
    /// PUBREC and PUBREL; after the restart each gets exactly what the hub acknowledged.
    func testAcknowledgedBrokerStateSurvivesKill9AndRestart() async throws {
        for hard in [true, false] {
            try await runRestartStory(hard: hard)
        }
    }

    private func runRestartStory(hard: Bool) async throws {
        let how = hard ? "kill -9" : "SIGTERM"
        let directory = NSTemporaryDirectory() + "iothub-broker-durable-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = ["--allow-anonymous", "true", "--mqtt-max-inflight", "20"]
        let first = try HubProcess(dataDirectory: directory, arguments: arguments)
        try first.start()

        // The offline subscriber: a persistent session with a QoS 1 and a QoS 2 subscription, then gone.
        let offline = try await connect(first.mqttPort, "offline-sub", clean: false, sessionPresent: false, "\(how): offline subscriber")
        try await offline.send(MQTTBytes.subscribe(1, [("fleet/+/data", 1), ("fleet/exact", 2)]))
        try await offline.expect(MQTTBytes.suback(1, [1, 2]), "\(how): SUBACK")
        try await offline.send(MQTTBytes.disconnect)
        try await offline.expectClose("\(how): after DISCONNECT")

        // The online subscriber: persistent, receives but never acknowledges.
        let online = try await connect(first.mqttPort, "online-sub", clean: false, sessionPresent: false, "\(how): online subscriber")
        try await online.send(MQTTBytes.subscribe(1, [("fleet/+/data", 1)]))
        try await online.expect(MQTTBytes.suback(1, [1]), "\(how): SUBACK")

        // 40 QoS 1 messages, pipelined; each PUBACK means "kept".
        let publisher = try await connect(first.mqttPort, "publisher", clean: false, sessionPresent: false, "\(how): publisher")
        var burst: [UInt8] = []
        for i in 1...40 { burst += MQTTBytes.publish("fleet/u\(i % 3)/data", "m\(i)", qos: 1, packetId: UInt16(i)) }
        try await publisher.send(burst)
        for i in 1...40 { try await publisher.expect(MQTTBytes.puback(UInt16(i)), "\(how): PUBACK \(i)") }
        // Retained: one set, one set then deleted.
        try await publisher.send(MQTTBytes.publish("fleet/config", "v7", qos: 1, retain: true, packetId: 41))
        try await publisher.expect(MQTTBytes.puback(41), "\(how): retained PUBACK")
        try await publisher.send(MQTTBytes.publish("fleet/old", "gone", qos: 1, retain: true, packetId: 42))
        try await publisher.expect(MQTTBytes.puback(42), "\(how): retained PUBACK")
        try await publisher.send(MQTTBytes.publish("fleet/old", "", qos: 1, retain: true, packetId: 43))
        try await publisher.expect(MQTTBytes.puback(43), "\(how): retained delete PUBACK")
        // QoS 2: PUBLISH → PUBREC, and the hub goes before PUBREL.
        try await publisher.send(MQTTBytes.publish("fleet/exact", "once", qos: 2, packetId: 77))
        try await publisher.expect(MQTTBytes.pubrec(77), "\(how): PUBREC")

        // The online subscriber got the first 20 (its in-flight window) and acknowledges none; 20 wait queued.
        var sentBefore: [UInt16: String] = [:]
        for _ in 1...20 {
            let packet = try await readPublish(online, "\(how): a PUBLISH")
            sentBefore[try XCTUnwrap(packet.packetId)] = packet.payload
        }
        XCTAssertEqual(sentBefore.count, 20)
        try await online.expectSilence(for: .milliseconds(200), "\(how): the in-flight window is full")

        if hard { first.kill9() } else { _ = first.terminate() }
        await online.close()
        await publisher.close()

        let second = try HubProcess(dataDirectory: directory, arguments: arguments)
        try second.start()
        defer { if hard { second.kill9() } else { _ = second.terminate() } }

        // The offline subscriber resumes its session: the 40 QoS 1 messages in order, then "once" (QoS 2).
        let resumed = try await connect(second.mqttPort, "offline-sub", clean: false, sessionPresent: true, "\(how): offline subscriber resumes")
        var payloads: [String] = []
        for _ in 1...41 {
            let packet = try await readPublish(resumed, "\(how): a PUBLISH")
            payloads.append(packet.payload)
            if packet.qos == 1 { try await resumed.send(MQTTBytes.puback(packet.packetId!)) }
            if packet.qos == 2 {
                XCTAssertEqual(packet.topic, "fleet/exact")
                try await resumed.send(MQTTBytes.pubrec(packet.packetId!))
                try await resumed.expect(MQTTBytes.pubrel(packet.packetId!), "\(how): PUBREL")
                try await resumed.send(MQTTBytes.pubcomp(packet.packetId!))
            }
        }
        XCTAssertEqual(payloads, (1...40).map { "m\($0)" } + ["once"], "\(how): every acknowledged message, in order, once")

        // The online subscriber's 20 in-flight messages come again, DUP set, under their packet ids; then the
        // 20 that were queued.
        let again = try await connect(second.mqttPort, "online-sub", clean: false, sessionPresent: true, "\(how): online subscriber resumes")
        var resent: [UInt16: String] = [:]
        for _ in 1...20 {
            let packet = try await readPublish(again, "\(how): a resent PUBLISH")
            XCTAssertTrue(packet.dup, "\(how): resent with DUP")
            resent[try XCTUnwrap(packet.packetId)] = packet.payload
        }
        XCTAssertEqual(resent, sentBefore, "\(how): the same messages under the same packet ids")
        for packetId in resent.keys { try await again.send(MQTTBytes.puback(packetId)) }
        var rest: [String] = []
        for _ in 1...20 {
            let packet = try await readPublish(again, "\(how): a queued PUBLISH")
            XCTAssertFalse(packet.dup, "\(how): sent for the first time")
            rest.append(packet.payload)
            try await again.send(MQTTBytes.puback(packet.packetId!))
        }
        XCTAssertEqual(Set(resent.values).union(rest), Set((1...40).map { "m\($0)" }), "\(how): all 40, each once")
        XCTAssertEqual(rest, (21...40).map { "m\($0)" }, "\(how): the queued ones in order")

        // The publisher resends its QoS 2 PUBLISH (DUP): answered PUBREC, not delivered a second time.
        let back = try await connect(second.mqttPort, "publisher", clean: false, sessionPresent: true, "\(how): publisher resumes")
        try await back.send(MQTTBytes.publish("fleet/exact", "once", qos: 2, dup: true, packetId: 77))
        try await back.expect(MQTTBytes.pubrec(77), "\(how): PUBREC for the resent QoS 2 PUBLISH")
        try await back.send(MQTTBytes.pubrel(77))
        try await back.expect(MQTTBytes.pubcomp(77), "\(how): PUBCOMP")
        try await resumed.expectSilence(for: .milliseconds(300), "\(how): the resent QoS 2 message is not delivered again")

        // Retained messages: the one set is there, the deleted one is not.
        let late = try await connect(second.mqttPort, "late", clean: true, sessionPresent: false, "\(how): a new client")
        try await late.send(MQTTBytes.subscribe(1, [("fleet/config", 0), ("fleet/old", 0)]))
        try await late.expect(MQTTBytes.suback(1, [0, 0]), "\(how): SUBACK")
        let retained = try await readPublish(late, "\(how): the retained message")
        XCTAssertEqual(retained, Received(topic: "fleet/config", payload: "v7", qos: 0, dup: false, retain: true, packetId: nil))
        try await late.expectSilence(for: .milliseconds(200), "\(how): the deleted retained message stays deleted")
        for client in [resumed, again, back, late] { await client.close() }
    }

    /// An acknowledgement waits for the write of what it promises, on both TCP engines: with the journal's
    /// writer held back, a retained QoS 1 PUBLISH gets no PUBACK (nor the PINGRESP asked for after it) until
    /// the commit is reported; a QoS 1 PUBLISH that nothing keeps is acknowledged at once on another
    /// connection; a failed commit closes the connection without the PUBACK.
    func testAcknowledgementsWaitForTheirChangesToBeDurable() async throws {
        for engine in [MQTTServerConfiguration.TCPEngine.poll, .nio] {
            let journal = BrokerJournalQueue()
            let server = try await EngineServer.start(engine: engine, authenticator: AnonymousAuthenticator(), journal: journal)
            let keeper = try await connect(server.port, "keeper-\(engine)", clean: true, sessionPresent: false, "\(engine): keeper")
            try await keeper.send(MQTTBytes.publish("t/retained", "x", qos: 1, retain: true, packetId: 5) + MQTTBytes.pingreq)
            try await keeper.expectSilence(for: .milliseconds(300), "\(engine): PUBACK held until the retained message is written")
            let other = try await connect(server.port, "other-\(engine)", clean: true, sessionPresent: false, "\(engine): other")
            try await other.send(MQTTBytes.publish("t/plain", "y", qos: 1, packetId: 6))
            try await other.expect(MQTTBytes.puback(6), "\(engine): nothing to keep, acknowledged at once")

            let next = await journal.next()
            let batch = try XCTUnwrap(next)
            XCTAssertTrue(
                batch.changes.contains { if case .retained(let message) = $0 { message.topic == "t/retained" } else { false } },
                "\(engine): the retained message is in the batch: \(batch.changes)"
            )
            server.server.host.journalCommitted(through: batch.through, failed: false)
            try await keeper.expect(MQTTBytes.puback(5) + MQTTBytes.pingresp, "\(engine): PUBACK, then PINGRESP, once written")

            try await keeper.send(MQTTBytes.publish("t/retained", "z", qos: 1, retain: true, packetId: 7))
            let nextFailing = await journal.next()
            let failing = try XCTUnwrap(nextFailing)
            server.server.host.journalCommitted(through: failing.through, failed: true)
            try await keeper.expectClose("\(engine): a failed write closes the connection, its PUBACK unsent")
            try await other.ping("\(engine): the other client is untouched")
            await other.close()
            try await server.stop()
        }
    }

    /// Issue 13 item 2: a device report acknowledged at QoS 1 is on disk before its PUBACK. Twenty shadow
    /// updates are pipelined and the hub is killed (`kill -9`) as soon as the last PUBACK arrives; after the
    /// restart the shadow holds the last of them (before, the PUBACK went out before the services had
    /// stored anything).
    func testAcknowledgedDeviceReportsSurviveKill9() async throws {
        let directory = NSTemporaryDirectory() + "iothub-report-durable-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try HubProcess(dataDirectory: directory)
        try first.start()
        let credentials = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/credentials.json")))
        var api = TestAPIClient(port: first.apiPort, secretId: credentials["SecretId"]!, secretKey: credentials["SecretKey"]!)
        let created = try await api.call(
            "CreateProduct", [("ProductName", .string("reports")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        let productId = try XCTUnwrap(created["ProductId"]?.stringValue)
        let device = try await api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string("dev1"))])
        let psk = try XCTUnwrap(device["DevicePsk"]?.stringValue)
        let (client, ack) = try await TestMQTTClient.device(port: first.mqttPort, productId: productId, deviceName: "dev1", psk: psk)
        XCTAssertEqual(ack?.returnCode, 0)
        for i in 1...20 {
            try await client.publish(
                "$shadow/operation/\(productId)/dev1", #"{"type":"update","state":{"reported":{"n":\#(i)}},"clientToken":"t\#(i)"}"#,
                qos: .atLeastOnce, id: UInt16(i)
            )
        }
        _ = try await client.next(timeout: 10) { if case .puback(let ack) = $0 { ack.packetId == 20 } else { false } }
        first.kill9()
        await client.close()

        let second = try HubProcess(dataDirectory: directory)
        try second.start()
        defer { second.kill9() }
        api.port = second.apiPort
        let data = try await api.call("DescribeDeviceShadow", [("ProductId", .string(productId)), ("DeviceName", .string("dev1"))])
        let document = try JSONValue(parsing: try XCTUnwrap(data["Data"]?.stringValue))
        XCTAssertEqual(document["payload"]?["state"]?["reported"]?["n"], .int(20), "the last acknowledged update is stored: \(document)")
    }
}
