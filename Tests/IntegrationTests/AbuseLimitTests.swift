import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import Logging
import MQTTServer
import Registry
import Synchronization
import XCTest

/// Rate limits, bans and the refused-login log line (issue 12, item 8), against a real hub. Abusive and
/// well-behaved clients are told apart by their source address: client sockets bind 127.0.0.2, 127.0.0.3, …
/// before they connect to the hub's 127.0.0.1 listeners (127.0.0.1 itself is exempt by default, as
/// fail2ban's ignoreself, so the helpers that register devices from it are never limited).
final class AbuseLimitTests: MQTTConformanceCase {
    let abusive = "127.0.0.2"
    let other = "127.0.0.3"

    func open(from source: String, _ name: String = "client") async throws -> RawMQTTClient {
        let client = try await RawMQTTClient.connect(port: try await hub().port(.mqtt), from: source, name: name)
        addTeardownBlock { await client.close() }
        return client
    }

    /// CONNECT from `source`; returns the CONNACK's return code.
    func connackCode(_ bytes: [UInt8], from source: String) async throws -> UInt8 {
        let client = try await open(from: source)
        try await client.send(bytes)
        let connack = try await client.read(count: 4, "CONNACK")
        XCTAssertEqual(Array(connack.prefix(3)), [0x20, 0x02, 0x00])
        await client.close()
        return connack[3]
    }

    func v2Registration(_ product: (id: String, secret: String), _ name: String, from source: String, secret: String? = nil) async throws -> String {
        let hub = try await hub()
        let body = Array(RegistrationWire.v2RequestBody(productId: product.id, deviceName: name).utf8)
        let signed = V2RegistrationHeaders(
            signing: body, host: "127.0.0.1", algorithm: .hmacSHA256, timestamp: "\(Int(Date().timeIntervalSince1970))",
            nonce: "\(UInt32.random(in: 1...UInt32.max))", productSecret: secret ?? product.secret
        )
        let headers = [("Host", "127.0.0.1:\(hub.httpPort)"), ("Content-Type", "application/json")] + signed.fields.map { ($0.name, $0.value) }
        let raw = try await RawHTTP.exchange(port: hub.httpPort, from: source, request: RawHTTP.request(path: "/device/register", headers: headers, body: body))
        return String(decoding: try XCTUnwrap(RawHTTP.parse(raw)).body, as: UTF8.self)
    }

    func legacyRegistration(_ product: (id: String, secret: String), _ name: String, from source: String) async throws -> String {
        let hub = try await hub()
        let body = RegistrationWire.legacyRequestBody(
            productId: product.id, deviceName: name, nonce: Int.random(in: 1...1_000_000), timestamp: Int(Date().timeIntervalSince1970),
            productSecret: product.secret
        )
        let request = RawHTTP.request(path: "/register/dev", headers: [("Host", "127.0.0.1")], body: Array(body.utf8))
        let raw = try await RawHTTP.exchange(port: hub.httpPort, from: source, request: request)
        return String(decoding: try XCTUnwrap(RawHTTP.parse(raw)).body, as: UTF8.self)
    }

    // MARK: 1. per-source token buckets

    func testARegistrationBurstFromOneSourceIsRefusedWhileAnotherSourceRegisters() async throws {
        _ = try await hub { $0.abuse.registrationPerSource = RateLimit(rate: 0.001, burst: 3) }
        let product = try await makeProduct()
        for i in 0..<3 {
            let body = try await v2Registration(product, "burst\(i)", from: abusive)
            XCTAssertTrue(body.contains("\"Payload\""), body)
        }
        let refused = try await v2Registration(product, "burst3", from: abusive)
        XCTAssertTrue(refused.contains(#""Code":"RequestLimitExceeded""#), refused)
        let legacy = try await legacyRegistration(product, "burst4", from: abusive)
        XCTAssertTrue(legacy.contains(#""code":1027"#), legacy)
        let elsewhere = try await v2Registration(product, "elsewhere", from: other)
        XCTAssertTrue(elsewhere.contains("\"Payload\""), elsewhere)
        // Audited with their reason.
        let logs = try await hub().api.call("DescribeRegistrationLogs", [("Reason", .string("request_limit_exceeded"))])
        XCTAssertEqual(logs["Logs"]?.arrayValue?.compactMap { $0["Count"]?.int64Value }.reduce(0, +), 2)
    }

    func testAConnectBurstFromOneSourceGetsConnack3WhileAnotherSourceConnects() async throws {
        _ = try await hub { $0.abuse.connectPerSource = RateLimit(rate: 0.001, burst: 2) }
        for i in 0..<2 {
            let code = try await connackCode(MQTTBytes.connect(.v3_1_1, clientId: uniqueId("ok\(i)")), from: abusive)
            XCTAssertEqual(code, 0)
        }
        let client = try await open(from: abusive)
        try await client.send(MQTTBytes.connect(.v3_1_1, clientId: uniqueId("over")))
        try await client.expectClose(allowing: MQTTBytes.connack(.v3_1_1, returnCode: 0x03), "over the connect rate")
        let code = try await connackCode(MQTTBytes.connect(.v3_1_1, clientId: uniqueId("other")), from: other)
        XCTAssertEqual(code, 0)
    }

    // MARK: 2. bans

    func testRepeatedMQTTAuthenticationFailuresBanTheSourceUntilTheBanExpires() async throws {
        _ = try await hub {
            $0.abuse.banAfterFailures = 3
            $0.abuse.banSeconds = 1
        }
        let product = try await makeProduct()
        let device = try await registerDevice(product, "victim")
        let wrong = TestDevice(productId: device.productId, name: device.name, psk: "AAAAAAAAAAAAAAAAAAAAAA==")
        for _ in 0..<3 {
            let code = try await connackCode(try wrong.connect(.v3_1_1), from: abusive)
            XCTAssertEqual(code, 0x04)
        }
        // Banned: even the right password is refused (CONNACK 5), on every gate, from this source only.
        let banned = try await connackCode(try device.connect(.v3_1_1), from: abusive)
        XCTAssertEqual(banned, 0x05)
        let registration = try await v2Registration(product, "new", from: abusive)
        XCTAssertTrue(registration.contains("UnauthorizedOperation.SourceBanned"), registration)
        let fromOther = try await connackCode(try device.connect(.v3_1_1), from: other)
        XCTAssertEqual(fromOther, 0)
        let bans = try await hub().api.call("DescribeBans")
        XCTAssertEqual(bans["Bans"]?[0]?["Address"]?.stringValue, abusive)
        XCTAssertEqual(bans["Bans"]?[0]?["Automatic"], .bool(true))
        // The ban lasts a second.
        let deadline = ContinuousClock.now + .seconds(20)
        var code: UInt8 = 0x05
        while code == 0x05, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            code = try await connackCode(try device.connect(.v3_1_1), from: abusive)
        }
        XCTAssertEqual(code, 0, "the ban did not expire")
    }

    func testRepeatedRegistrationSignatureFailuresBanTheSource() async throws {
        _ = try await hub { $0.abuse.banAfterFailures = 3 }
        let product = try await makeProduct()
        for i in 0..<3 {
            let body = try await v2Registration(product, "guess\(i)", from: abusive, secret: "wrongwrongwrongwrongwro=")
            XCTAssertTrue(body.contains("AuthFailure.SignatureFailure"), body)
        }
        let refused = try await v2Registration(product, "right", from: abusive)
        XCTAssertTrue(refused.contains("UnauthorizedOperation.SourceBanned"), refused)
        let mqtt = try await connackCode(MQTTBytes.connect(.v3_1_1, clientId: uniqueId("anon")), from: abusive)
        XCTAssertEqual(mqtt, 0x05)
        let elsewhere = try await v2Registration(product, "right", from: other)
        XCTAssertTrue(elsewhere.contains("\"Payload\""), elsewhere)
    }

    /// A banned source is answered at accept, on both plain-TCP engines: CONNACK 5 and closed although it
    /// has not sent its CONNECT (nothing of it is read; before, the hub waited for the CONNECT up to the
    /// connect timeout, 60 s here); TLS closes at once. Another source is served.
    func testABannedSourceIsRefusedAtAccept() async throws {
        for engine in [MQTTServerConfiguration.TCPEngine.poll, .nio] {
            let hub = try await TestHub.start {
                $0.allowAnonymous = true
                $0.mqttConnectTimeout = 60
                $0.mqttTCPEngine = engine
                $0.mqttsPort = 0
            }
            try await hub.hub.abuse.ban(abusive, seconds: nil, reason: "test")
            let silent = try await RawMQTTClient.connect(port: await hub.port(.mqtt), from: abusive, name: "silent-\(engine)")
            try await silent.expect(MQTTBytes.connack(.v3_1_1, returnCode: 0x05), "\(engine): CONNACK 5 before any CONNECT")
            try await silent.expectClose("\(engine): closed after it")
            let tls = try await RawMQTTClient.connect(port: await hub.port(.mqtts), from: abusive, name: "tls-\(engine)")
            try await tls.expectClose("\(engine): TLS from a banned source closed at accept")
            let fine = try await RawMQTTClient.connect(port: await hub.port(.mqtt), from: other, name: "other-\(engine)")
            try await fine.send(MQTTBytes.connect(.v3_1_1, clientId: uniqueId("other")))
            try await fine.expect(MQTTBytes.connack(.v3_1_1), "\(engine): another source is served")
            await fine.close()
            await hub.stopAndRemove()
        }
    }

    func testTheBanCLIAddsListsAndRemovesBansWhichSurviveARestart() async throws {
        let first = try await hub()
        let directory = first.dataDirectory
        let common = { (hub: TestHub) in ["--endpoint", hub.apiEndpoint, "--data-dir", hub.dataDirectory] }
        let add = try await HubProcess.runTool("iothub", ["ban", "add", abusive, "--reason", "scanner"] + common(first))
        XCTAssertEqual(add.status, 0, add.stderr)
        let timed = try await HubProcess.runTool("iothub", ["ban", "add", "2001:db8::7", "--duration", "3600"] + common(first))
        XCTAssertEqual(timed.status, 0, timed.stderr)
        let invalid = try await HubProcess.runTool("iothub", ["ban", "add", "not-an-address"] + common(first))
        XCTAssertNotEqual(invalid.status, 0)
        XCTAssertTrue(invalid.stderr.contains("InvalidParameterValue"), invalid.stderr)
        let code = try await connackCode(MQTTBytes.connect(.v3_1_1, clientId: uniqueId("a")), from: abusive)
        XCTAssertEqual(code, 0x05)

        // Operator bans are stored: a restarted hub on the same data directory still refuses the source.
        await first.stop()
        let second = try await TestHub.start(dataDirectory: directory) { $0.allowAnonymous = true }
        addTeardownBlock { await second.stopAndRemove() }
        let list = try await HubProcess.runTool("iothub", ["ban", "list"] + common(second))
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains(abusive) && list.stdout.contains("scanner") && list.stdout.contains("operator"), list.stdout)
        XCTAssertTrue(list.stdout.contains("2001:db8::7"), list.stdout)
        let client = try await RawMQTTClient.connect(port: await second.port(.mqtt), from: abusive)
        try await client.send(MQTTBytes.connect(.v3_1_1, clientId: uniqueId("b")))
        try await client.expectClose(allowing: MQTTBytes.connack(.v3_1_1, returnCode: 0x05), "banned after restart")

        let remove = try await HubProcess.runTool("iothub", ["ban", "remove", abusive] + common(second))
        XCTAssertEqual(remove.status, 0, remove.stderr)
        let again = try await HubProcess.runTool("iothub", ["ban", "remove", abusive] + common(second))
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("ResourceNotFound"), again.stderr)
        let after = try await HubProcess.runTool("iothub", ["ban", "list"] + common(second))
        XCTAssertFalse(after.stdout.contains(abusive), after.stdout)
        let allowed = try await RawMQTTClient.connect(port: await second.port(.mqtt), from: abusive)
        defer { Task { await allowed.close() } }
        try await allowed.send(MQTTBytes.connect(.v3_1_1, clientId: uniqueId("c")))
        try await allowed.expect(MQTTBytes.connack(.v3_1_1), "unbanned")
    }

    // MARK: 3. per-device limits

    func testADeviceThatReconnectsTooOftenIsRefused() async throws {
        _ = try await hub { $0.abuse.connectPerDevice = RateLimit(rate: 0.001, burst: 2) }
        let product = try await makeProduct()
        let device = try await registerDevice(product, "flappy")
        let calm = try await registerDevice(product, "calm")
        for _ in 0..<2 {
            let code = try await connackCode(try device.connect(.v3_1_1), from: other)
            XCTAssertEqual(code, 0)
        }
        let refused = try await connackCode(try device.connect(.v3_1_1), from: other)
        XCTAssertEqual(refused, 0x03)
        let code = try await connackCode(try calm.connect(.v3_1_1), from: other)
        XCTAssertEqual(code, 0)
    }

    func testADevicePublishingOverItsRateIsAcknowledgedButDropped() async throws {
        _ = try await hub { $0.abuse.publishPerDevice = RateLimit(rate: 0.001, burst: 3) }
        let product = try await makeProduct()
        let device = try await registerDevice(product, "chatty")
        let client = try await connectedDevice(device, .v3_1_1)
        let topic = "\(device.productId)/\(device.name)/data"
        try await subscribe(client, topic)
        for id in 1...6 { try await client.send(MQTTBytes.publish(topic, "m\(id)", qos: 1, packetId: UInt16(id))) }
        var acks = 0
        var delivered = 0
        while acks < 6 {
            let packet = try await client.readPacket("PUBACK or PUBLISH")
            switch packet[0] >> 4 {
            case 4: acks += 1
            case 3: delivered += 1
            default: XCTFail("unexpected packet \(packet)")
            }
        }
        // Every PUBLISH is acknowledged (MQTT 3.1.1 cannot refuse one); only the burst is delivered.
        let rest = try await packetsBeforePong(client)
        delivered += rest.filter { $0[0] >> 4 == 3 }.count
        XCTAssertEqual(delivered, 3)
    }

    // MARK: 5. the refused-login log line

    func testARefusedLoginIsLoggedOnOneLineWithoutThePassword() async throws {
        let logs = LogCapture()
        let hub = try await TestHub.start(logLevel: .info, logger: logs.logger(label: "capture", level: .info)) {
            $0.allowAnonymous = false
        }
        addTeardownBlock { await hub.stopAndRemove() }
        let created = try await hub.api.call(
            "CreateProduct", [("ProductName", .string("logp")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        let productId = try XCTUnwrap(created["ProductId"]?.stringValue)
        _ = try await hub.api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string("dev1"))])
        let username = DeviceUsername.make(productId: productId, deviceName: "dev1", expiry: .never)
        let password = try MQTTPassword.make(username: username, devicePSK: "AAAAAAAAAAAAAAAAAAAAAA==", method: .hmacSHA1)
        let client = try await RawMQTTClient.connect(port: await hub.port(.mqtt), from: abusive)
        try await client.send(MQTTBytes.connect(.v3_1_1, clientId: productId + "dev1", username: username, password: Array(password.utf8)))
        try await client.expectClose(allowing: MQTTBytes.connack(.v3_1_1, returnCode: 0x04), "wrong password")
        // A client id made to look like more fields is flattened.
        let forged = try await RawMQTTClient.connect(port: await hub.port(.mqtt), from: abusive)
        try await forged.send(MQTTBytes.connect(.v3_1_1, clientId: "x source=10.9.8.7", username: "u", password: Array("secret-pw".utf8)))
        try await forged.expectClose(allowing: MQTTBytes.connack(.v3_1_1, returnCode: 0x04), "not a device")

        let expected = "mqtt login refused source=127.0.0.2 client_id=\(productId)dev1 product=\(productId) device=dev1 return_code=4 reason=password_mismatch"
        let deadline = ContinuousClock.now + .seconds(10)
        while !logs.lines.contains(where: { $0.contains(expected) }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        XCTAssertTrue(logs.lines.contains { $0.contains(expected) }, logs.lines.joined(separator: "\n"))
        XCTAssertTrue(logs.lines.contains { $0.contains("mqtt login refused source=127.0.0.2 client_id=x_source_10.9.8.7 product=- device=- return_code=4") }, logs.lines.joined(separator: "\n"))
        for line in logs.lines {
            XCTAssertFalse(line.contains(password) || line.contains("secret-pw"), line)
            XCTAssertFalse(line.contains("\n"), line)
        }
    }

    // MARK: 4. audit: floods counted, retention

    func testAFloodOfRefusedRegistrationsIsCountedIntoFewAuditRows() async throws {
        let hub = try await hub {
            $0.abuse.registrationPerSource = .unlimited
            $0.abuse.banAfterFailures = 0
            $0.auditAggregateWindow = 600
            $0.auditAggregateAfter = 5
        }
        let product = try await makeProduct()
        let body = Array(RegistrationWire.v2RequestBody(productId: product.id, deviceName: "flood").utf8)
        let signed = V2RegistrationHeaders(
            signing: body, host: "127.0.0.1", algorithm: .hmacSHA256, timestamp: "1", nonce: "1", productSecret: "wrongwrongwrongwrongwro="
        )
        let request = RawHTTP.request(
            path: "/device/register", headers: [("Host", "127.0.0.1:\(hub.httpPort)")] + signed.fields.map { ($0.name, $0.value) }, body: body
        )
        let port = hub.httpPort
        let source = abusive
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<10 {
                group.addTask {
                    for _ in 0..<100 {
                        let raw = try await RawHTTP.exchange(port: port, from: source, request: request)
                        let text = String(decoding: raw, as: UTF8.self)
                        guard text.contains("AuthFailure.SignatureFailure") else { throw RawMQTTClient.Failure(description: "worker \(worker): \(text)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - started).components.seconds
        let logs = try await hub.api.call("DescribeRegistrationLogs", [("Result", .string("failure")), ("Limit", .int(100))])
        let rows = logs["Logs"]?.arrayValue ?? []
        // 5 rows of their own, then counted rows: one per audit query meanwhile (the webhook service tails
        // the audit once a second, and this test's query is one more), not one per attempt.
        let total = try XCTUnwrap(logs["TotalCount"]?.int64Value)
        XCTAssertLessThanOrEqual(total, 5 + seconds + 2, "\(seconds) s of flood: \(rows)")
        XCTAssertEqual(rows.count, Int(total))
        XCTAssertEqual(rows.compactMap { $0["Count"]?.int64Value }.reduce(0, +), 1000)
        let counted = rows.filter { ($0["Count"]?.int64Value ?? 0) > 1 }
        XCTAssertFalse(counted.isEmpty)
        XCTAssertTrue(counted.allSatisfy { $0["SourceAddress"]?.stringValue == abusive }, "\(counted)")
        let largest = counted.compactMap { $0["Count"]?.int64Value }.max() ?? 0
        let audit = try await HubProcess.runTool("iothub", ["audit", "--result", "failure", "--endpoint", hub.apiEndpoint, "--data-dir", hub.dataDirectory])
        XCTAssertEqual(audit.status, 0, audit.stderr)
        XCTAssertTrue(audit.stdout.contains("COUNT") && audit.stdout.contains(" \(largest)"), audit.stdout)
    }

    func testAuditRetentionRunsAtStart() async throws {
        let first = try await hub()
        let directory = first.dataDirectory
        let old = RegistryEngine.systemMillis() - 40 * 86_400_000
        for i in 0..<5 {
            await first.hub.registry.recordRefusedAttempt(
                RegistrationAttempt(time: old, productId: "P", deviceName: "d\(i)", sourceAddress: "192.0.2.1:1", endpoint: .v2, accepted: false, reason: "r\(i)")
            )
        }
        for i in 0..<5 {
            await first.hub.registry.recordRefusedAttempt(
                RegistrationAttempt(
                    time: RegistryEngine.systemMillis(), productId: "P", deviceName: "n\(i)", sourceAddress: "192.0.2.1:1", endpoint: .v2, accepted: false,
                    reason: "r\(i)"
                )
            )
        }
        // The console's operator audit is kept by the same settings: 2 old rows of 5 go.
        for i in 0..<5 {
            try await first.hub.operatorStore.appendOperatorAudit(OperatorAuditEntry(
                time: i < 2 ? old : RegistryEngine.systemMillis(), operatorName: "alice", action: "CreateProduct", target: "t\(i)", result: "ok",
                detail: "", source: "127.0.0.1"
            ))
        }
        await first.stop()
        // The row cap (8) does not bind here: only the age removes rows, the 5 older than 30 days.
        let second = try await TestHub.start(dataDirectory: directory) {
            $0.auditMaxAgeDays = 30
            $0.auditMaxRows = 8
        }
        addTeardownBlock { await second.stopAndRemove() }
        let deadline = ContinuousClock.now + .seconds(10)
        var logs: JSONValue = .null
        while ContinuousClock.now < deadline {
            logs = try await second.api.call("DescribeRegistrationLogs", [("Limit", .int(100))])
            if logs["TotalCount"]?.int64Value == 5 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(logs["TotalCount"]?.int64Value, 5)
        let names = (logs["Logs"]?.arrayValue ?? []).compactMap { $0["DeviceName"]?.stringValue }.sorted()
        XCTAssertEqual(names, ["n0", "n1", "n2", "n3", "n4"], "the recent rows stay, the old ones went")
        var operatorRows = try await second.hub.operatorStore.operatorAudit(offset: 0, limit: 10)
        while ContinuousClock.now < deadline, operatorRows.total != 3 {
            try await Task.sleep(for: .milliseconds(50))
            operatorRows = try await second.hub.operatorStore.operatorAudit(offset: 0, limit: 10)
        }
        XCTAssertEqual(operatorRows.entries.map(\.target), ["t4", "t3", "t2"], "the operator audit lost its 2 old rows")
    }
}
