import CloudAPI
import DeviceAuth
import Foundation
import HubTesting
import JSONCore
import MQTTCore
import NIOCore
import XCTest

/// Three `iothub serve --database postgres://…` processes on one PostgreSQL database (the throwaway server of
/// scripts/postgres-test-server): registrations are exact whichever node they reach, a device registered on one
/// node logs in on another, a change made on one node reaches the sessions another holds, and a node killed with
/// `kill -9` loses no registration it acknowledged.
final class SharedRegistryProcessTests: XCTestCase {
    struct Node {
        let hub: HubProcess
        let directory: String
        let api: TestAPIClient
    }

    var nodes: [Node] = []
    var database = ""
    var nats: NATSServerProcess?
    /// Between PostgreSQL and the nodes `startNodes` was asked to proxy: cut to take the database away from them.
    var databaseProxy: TCPCutProxy?

    override func tearDown() async throws {
        for node in nodes where node.hub.process.isRunning { node.hub.kill9() }
        for node in nodes { try? FileManager.default.removeItem(atPath: node.directory) }
        if !database.isEmpty { _ = try? await Self.psql("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
        nats?.stop()
        await databaseProxy?.stop()
    }

    static func serverURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["IOTHUB_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw HubProcessFailure(description: "IOTHUB_TEST_POSTGRES_URL is not set: run scripts/test (it starts a throwaway PostgreSQL)")
        }
        return url
    }

    /// Runs `sql` with psql on the server's default database, or on `database`.
    @discardableResult
    static func psql(_ sql: String, database: String? = nil) async throws -> String {
        var url = URLComponents(string: try serverURL())!
        if let database { url.path = "/\(database)" }
        let result = try await ExternalTools.run("/usr/bin/psql", [url.string!, "-v", "ON_ERROR_STOP=1", "-tAc", sql])
        guard result.status == 0 else { throw HubProcessFailure(description: "psql failed: \(result.stderr)") }
        return result.stdout
    }

    /// A fresh database and `count` nodes on it, each with a data directory of its own; with `cluster`, a
    /// nats-server on loopback joins their brokers.
    func startNodes(_ count: Int, cluster: Bool = false, proxied: Set<Int> = []) async throws {
        var clusterArguments: [String] = []
        if cluster {
            let server = try await NATSServerProcess.start()
            nats = server
            clusterArguments = ["--cluster", "nats://127.0.0.1:\(server.port)"]
        }
        database = "iothub_c_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        try await Self.psql("CREATE DATABASE \(database)")
        var url = URLComponents(string: try Self.serverURL())!
        url.path = "/\(database)"
        if !proxied.isEmpty { databaseProxy = try await TCPCutProxy.start(targetPort: url.port ?? 5432) }
        for i in 0..<count {
            let directory = NSTemporaryDirectory() + "iothub-node\(i)-\(UUID().uuidString)"
            var nodeURL = url
            if proxied.contains(i), let databaseProxy { nodeURL.port = databaseProxy.port }
            let hub = try HubProcess(dataDirectory: directory, arguments: ["--database", nodeURL.string!] + clusterArguments)
            try hub.start()
            let credentials = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/credentials.json")))
            nodes.append(Node(hub: hub, directory: directory, api: TestAPIClient(port: hub.apiPort, secretId: credentials["SecretId"]!, secretKey: credentials["SecretKey"]!)))
        }
    }

    /// An auto-create PSK product made on node 0; returns its id and ProductSecret.
    func autoCreateProduct(limit: Int) async throws -> (id: String, secret: String) {
        let api = nodes[0].api
        let created = try await api.call("CreateProduct", [("ProductName", .string("p\(UUID().uuidString.prefix(8))")), ("ProductProperties", .object(["EncryptionType": .string("2")]))])
        let productId = try XCTUnwrap(created["ProductId"]?.stringValue)
        let dynreg = try await api.call("UpdateProductDynamicRegister", [("ProductId", .string(productId)), ("RegisterType", .int(2)), ("RegisterLimit", .int(Int64(limit)))])
        return (productId, try XCTUnwrap(dynreg["ProductSecret"]?.stringValue))
    }

    /// One v2 registration on a node's HTTP port: the PSK, or the refusal's code.
    static func register(
        port: Int, productId: String, secret: String, name: String, nonce: Int, timestamp: Int = Int(Date().timeIntervalSince1970),
        timeout: TimeAmount = .seconds(10)
    ) async throws -> Result<String, RegistrationServerError> {
        let body = Array(RegistrationWire.v2RequestBody(productId: productId, deviceName: name).utf8)
        let headers = V2RegistrationHeaders(
            signing: body, host: "127.0.0.1", algorithm: .hmacSHA256, timestamp: "\(timestamp)", nonce: "\(nonce)", productSecret: secret
        )
        let request = RawHTTP.request(path: "/device/register", headers: [("Host", "127.0.0.1:\(port)")] + headers.fields.map { ($0.name, $0.value) }, body: body)
        let raw = try await RawHTTP.exchange(port: port, request: request, timeout: timeout)
        guard let response = RawHTTP.parse(raw) else { throw HubProcessFailure(description: "no HTTP response") }
        switch try RegistrationWire.parseV2Response(response.body) {
        case .success(let encrypted):
            guard case .psk(let psk) = try encrypted.decrypt(productSecret: secret) else { throw HubProcessFailure(description: "not a PSK") }
            return .success(psk)
        case .failure(let error):
            return .failure(error)
        }
    }

    func testRegistrationsAreExactAcrossNodesAndDevicesLogInAnywhere() async throws {
        try await startNodes(3)
        let product = try await autoCreateProduct(limit: 20)
        let ports = nodes.map(\.hub.httpPort)

        // 45 racers for 20 slots, spread over the three nodes.
        let outcomes = try await withThrowingTaskGroup(of: (String, Result<String, RegistrationServerError>).self) { group in
            for i in 0..<45 {
                let name = "unit-\(i)"
                group.addTask { (name, try await Self.register(port: ports[i % 3], productId: product.id, secret: product.secret, name: name, nonce: i + 1)) }
            }
            var all: [(String, Result<String, RegistrationServerError>)] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        let accepted = outcomes.compactMap { if case .success(let psk) = $0.1 { ($0.0, psk) } else { nil } }
        XCTAssertEqual(accepted.count, 20)
        for case (_, .failure(let error)) in outcomes {
            XCTAssertEqual(error.code, .v2("LimitExceeded.DeviceExceedLimit"), "\(error)")
        }
        // Every node's management API counts the same 20 devices (once the change feed has brought them; never more).
        for index in nodes.indices {
            let count = try await waitForDeviceCount(20, node: index, product.id)
            XCTAssertEqual(count, 20, "node \(index)")
        }

        // One name raced on all three nodes: one device, one credential.
        let other = try await autoCreateProduct(limit: 10)
        let sameName = try await withThrowingTaskGroup(of: Result<String, RegistrationServerError>.self) { group in
            for i in 0..<12 {
                group.addTask { try await Self.register(port: ports[i % 3], productId: other.id, secret: other.secret, name: "same", nonce: 100 + i) }
            }
            var psks: [String] = []
            for try await outcome in group { if case .success(let psk) = outcome { psks.append(psk) } }
            return psks
        }
        XCTAssertEqual(sameName.count, 12)
        XCTAssertEqual(Set(sameName).count, 1)

        // Registered on node 0 (above), connected to node 1: accepted and activated.
        let (device, psk) = try XCTUnwrap(accepted.first)
        let (client, connack) = try await TestMQTTClient.device(port: nodes[1].hub.mqttPort, productId: product.id, deviceName: device, psk: psk)
        XCTAssertEqual(connack?.returnCode, 0)
        let api2 = nodes[2].api
        let online = try await api2.call("DescribeDevice", [("ProductId", .string(product.id)), ("DeviceName", .string(device))])
        XCTAssertNotEqual(online["FirstOnlineTime"], .int(0), "node 2 does not see the activation: \(online)")

        // Disabled through node 2's API: node 1 closes the session it holds, within a second.
        let started = Date()
        _ = try await api2.call("UpdateDeviceAvailableState", [("ProductId", .string(product.id)), ("DeviceName", .string(device)), ("EnableState", .int(0))])
        let closed = await client.waitForClose(timeout: 5)
        XCTAssertTrue(closed, "node 1 kept the session of a device disabled on node 2")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        // And node 0 refuses its login now.
        let (_, refused) = try await TestMQTTClient.device(port: nodes[0].hub.mqttPort, productId: product.id, deviceName: device, psk: psk)
        XCTAssertEqual(refused?.returnCode, 5)
    }

    /// The seed flow across a cluster: a device registered on node 0 connects to node 1; an application connected
    /// to node 2 receives its telemetry and sends it a command; the management API of node 0 sends it a message;
    /// the device then connects to node 2 and node 1 closes its old connection (takeover across nodes).
    func testMessagesAndTakeoversCrossTheNodesOfACluster() async throws {
        try await startNodes(3, cluster: true)
        let product = try await autoCreateProduct(limit: 10)
        guard case .success(let psk) = try await Self.register(port: nodes[0].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-1", nonce: 1) else {
            return XCTFail("registration refused")
        }
        let app = try await nodes[2].api.call("CreateApplication", [("Name", .string("backend")), ("ProductIds", .array([.string(product.id)]))])
        let appId = try XCTUnwrap(app["AppId"]?.stringValue)
        let appSecret = try XCTUnwrap(app["AppSecret"]?.stringValue)

        let (device, connack) = try await TestMQTTClient.device(port: nodes[1].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk)
        XCTAssertEqual(connack?.returnCode, 0)
        _ = try await device.subscribe("\(product.id)/unit-1/control", qos: .atLeastOnce)
        let (backend, appAck) = try await TestMQTTClient.plain(port: nodes[2].hub.mqttPort, clientId: "backend-1", username: appId, password: appSecret)
        XCTAssertEqual(appAck?.returnCode, 0)
        _ = try await backend.subscribe("\(product.id)/+/event", qos: .atLeastOnce)
        // Subscriptions are local to each node: they are in place once SUBACK came back; the routes between nodes
        // exist from the start (every node receives every message).

        // Device on node 1 → application on node 2, in order.
        for i in 0..<20 { try await device.publish("\(product.id)/unit-1/event", "{\"n\":\(i)}", qos: .atLeastOnce, id: UInt16(i + 1)) }
        var received: [String] = []
        for _ in 0..<20 { received.append(String(buffer: try await backend.message(timeout: 10).payload)) }
        XCTAssertEqual(received, (0..<20).map { "{\"n\":\($0)}" })

        // Application on node 2 → device on node 1.
        try await backend.publish("\(product.id)/unit-1/control", "{\"cmd\":\"reboot\"}", qos: .atLeastOnce, id: 100)
        let command = try await device.message(timeout: 10)
        XCTAssertEqual(command.topic, "\(product.id)/unit-1/control")
        XCTAssertEqual(String(buffer: command.payload), "{\"cmd\":\"reboot\"}")

        // Management API of node 0 → device on node 1.
        _ = try await nodes[0].api.call(
            "PublishMessage",
            [("ProductId", .string(product.id)), ("DeviceName", .string("unit-1")), ("Topic", .string("\(product.id)/unit-1/control")),
             ("Payload", .string("from-node-0")), ("Qos", .int(1))]
        )
        let managed = try await device.message(timeout: 10)
        XCTAssertEqual(String(buffer: managed.payload), "from-node-0")

        // The device reconnects to node 2 while node 1 still holds it: node 1 closes the old connection.
        let (moved, movedAck) = try await TestMQTTClient.device(port: nodes[2].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk)
        XCTAssertEqual(movedAck?.returnCode, 0)
        let closed = await device.waitForClose(timeout: 5)
        XCTAssertTrue(closed, "node 1 kept the connection of a device that connected to node 2")
        // And the new connection is the one that receives.
        _ = try await moved.subscribe("\(product.id)/unit-1/control", qos: .atLeastOnce)
        try await backend.publish("\(product.id)/unit-1/control", "after-move", qos: .atLeastOnce, id: 101)
        let afterMove = try await moved.message(timeout: 10)
        XCTAssertEqual(String(buffer: afterMove.payload), "after-move")
        // Node 1's logout of the old connection did not take the device offline: node 2 holds it (seen online on
        // node 0, and still a second later, when node 1's logout has long been written).
        let seenOnline = try await waitForOnlineState(1, node: 0, product.id, "unit-1")
        XCTAssertEqual(seenOnline, 1)
        try await Task.sleep(for: .seconds(1))
        let stillOnline = try await onlineState(node: 0, product.id, "unit-1")
        XCTAssertEqual(stillOnline, 1)

        // Node 2 dies with the device connected: the survivors mark it offline (heartbeat timeout), and it connects
        // to one of them.
        nodes[2].hub.kill9()
        _ = await moved.waitForClose(timeout: 5)
        let state = try await waitForOnlineState(0, node: 0, product.id, "unit-1", within: 40)
        XCTAssertEqual(state, 0, "node 0 still shows the device of a dead node online")
        let (back, backAck) = try await TestMQTTClient.device(port: nodes[0].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk)
        XCTAssertEqual(backAck?.returnCode, 0)
        let onlineAgain = try await waitForOnlineState(1, node: 1, product.id, "unit-1")
        XCTAssertEqual(onlineAgain, 1)
        await back.close()
        await backend.close()
    }

    /// The management API of one node reaches a device connected to another: a broadcast, a shadow delta, and an
    /// RRPC whose reply (published on the device's node) answers the call made on the other.
    func testManagementActionsOfOneNodeReachADeviceOnAnother() async throws {
        try await startNodes(2, cluster: true)
        let product = try await autoCreateProduct(limit: 10)
        guard case .success(let psk) = try await Self.register(port: nodes[0].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-1", nonce: 1) else {
            return XCTFail("registration refused")
        }
        let base = "\(product.id)/unit-1"
        let (device, connack) = try await TestMQTTClient.device(port: nodes[1].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk)
        XCTAssertEqual(connack?.returnCode, 0)
        for topic in ["$broadcast/rxd/\(base)", "$shadow/operation/result/\(base)", "$rrpc/rxd/\(base)/+"] {
            let codes = try await device.subscribe(topic)
            XCTAssertEqual(codes, [0], topic)
        }
        // Node 0 learns of the connection on node 1 through the database, and lists the device as online.
        let seen = try await waitForOnlineState(1, node: 0, product.id, "unit-1")
        XCTAssertEqual(seen, 1)
        let listed = try await nodes[0].api.call("DescribeDevices", [("ProductId", .string(product.id)), ("Online", .int(1)), ("Offset", .int(0)), ("Limit", .int(10))])
        XCTAssertEqual(listed["TotalCount"]?.intValue, 1, "node 0's list filter does not count the connection on node 1")

        // A broadcast from node 0 goes to the devices online on every node.
        _ = try await nodes[0].api.call("PublishBroadcastMessage", [("ProductId", .string(product.id)), ("Payload", .string("maintenance")), ("Qos", .int(0))])
        let notice = try await device.message(timeout: 10)
        XCTAssertEqual(notice.topic, "$broadcast/rxd/\(base)")
        XCTAssertEqual(String(buffer: notice.payload), "maintenance")

        // A desired state set on node 0: the device on node 1 gets the delta.
        _ = try await nodes[0].api.call(
            "UpdateDeviceShadow", [("ProductId", .string(product.id)), ("DeviceName", .string("unit-1")), ("State", .string(#"{"desired":{"color":"red"}}"#)), ("ShadowVersion", .int(0))]
        )
        let delta = try JSONValue(parsing: Array(try await device.message(timeout: 10).payload.readableBytesView))
        XCTAssertEqual(delta["type"], .string("delta"))
        XCTAssertEqual(delta["payload"]?["state"], try JSONValue(parsing: #"{"color":"red"}"#))

        // RRPC made on node 0: the device answers on node 1, and node 0's call returns the answer.
        let answerer = Task {
            let request = try await device.message(timeout: 10)
            let processId = try XCTUnwrap(request.topic.split(separator: "/").last)
            try await device.publish("$rrpc/txd/\(base)/\(processId)", #"{"temp":21.5}"#)
            return String(buffer: request.payload)
        }
        let rrpc = try await nodes[0].api.call("PublishRRPCMessage", [("ProductId", .string(product.id)), ("DeviceName", .string("unit-1")), ("Payload", .string(#"{"cmd":"read"}"#))])
        let asked = try await answerer.value
        XCTAssertEqual(asked, #"{"cmd":"read"}"#)
        XCTAssertEqual(rrpc["PayloadBase64"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }, #"{"temp":21.5}"#)
        await device.close()
    }

    /// A persistent session follows its client from node to node: subscriptions, the message in flight (again, with
    /// DUP and its packet id) and those queued while it was away, with CONNACK's session present.
    func testAPersistentSessionFollowsItsClientToAnotherNode() async throws {
        try await startNodes(3, cluster: true)
        let product = try await autoCreateProduct(limit: 10)
        guard case .success(let psk) = try await Self.register(port: nodes[0].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-1", nonce: 1) else {
            return XCTFail("registration refused")
        }
        let topic = "\(product.id)/unit-1/control"
        let app = try await nodes[2].api.call("CreateApplication", [("Name", .string("backend")), ("ProductIds", .array([.string(product.id)]))])
        let appId = try XCTUnwrap(app["AppId"]?.stringValue)
        let appSecret = try XCTUnwrap(app["AppSecret"]?.stringValue)
        let (backend, _) = try await TestMQTTClient.plain(port: nodes[2].hub.mqttPort, clientId: "backend-1", username: appId, password: appSecret)
        // An observer on node 0 sees what reaches node 0, so the test knows when node 0 has queued a message.
        let (observer, _) = try await TestMQTTClient.plain(port: nodes[0].hub.mqttPort, clientId: "observer-1", username: appId, password: appSecret)
        _ = try await observer.subscribe("\(product.id)/+/control", qos: .atMostOnce)

        let (first, firstAck) = try await TestMQTTClient.device(port: nodes[0].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk, cleanSession: false)
        XCTAssertEqual(firstAck?.returnCode, 0)
        XCTAssertEqual(firstAck?.sessionPresent, false, "no node held a session yet")
        _ = try await first.subscribe(topic, qos: .atLeastOnce)
        try await backend.publish(topic, "m1", qos: .atLeastOnce, id: 1)
        let m1 = try await first.message(timeout: 10)
        XCTAssertEqual(String(buffer: m1.payload), "m1")
        // Not acknowledged: the device drops off the network with m1 in flight.
        _ = try await observer.message(timeout: 10)
        await first.close()
        for (i, text) in ["m2", "m3"].enumerated() {
            try await backend.publish(topic, text, qos: .atLeastOnce, id: UInt16(2 + i))
            let seen = try await observer.message(timeout: 10)
            XCTAssertEqual(String(buffer: seen.payload), text)
        }

        // It comes back on node 1: the session was on node 0, and comes with it.
        let (second, secondAck) = try await TestMQTTClient.device(port: nodes[1].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk, cleanSession: false)
        XCTAssertEqual(secondAck?.returnCode, 0)
        XCTAssertEqual(secondAck?.sessionPresent, true, "node 1 did not bring the session from node 0")
        let again = try await second.message(timeout: 10)
        XCTAssertEqual(String(buffer: again.payload), "m1")
        XCTAssertTrue(again.dup)
        XCTAssertEqual(again.packetId, m1.packetId)
        var received: [String] = []
        try await second.send(.puback(MQTTAck(packetId: try XCTUnwrap(again.packetId))))
        while received.count < 2 {
            let message = try await second.message(timeout: 10)
            received.append(String(buffer: message.payload))
            try await second.send(.puback(MQTTAck(packetId: try XCTUnwrap(message.packetId))))
        }
        XCTAssertEqual(received, ["m2", "m3"])
        // Its subscription came too (the device did not subscribe on node 1).
        try await backend.publish(topic, "m4", qos: .atLeastOnce, id: 4)
        let m4 = try await second.message(timeout: 10)
        XCTAssertEqual(String(buffer: m4.payload), "m4")
        try await second.send(.puback(MQTTAck(packetId: try XCTUnwrap(m4.packetId))))

        // Moving while connected: node 1 closes the old connection and hands the session to node 2.
        let (third, thirdAck) = try await TestMQTTClient.device(port: nodes[2].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk, cleanSession: false)
        XCTAssertEqual(thirdAck?.sessionPresent, true)
        let closed = await second.waitForClose(timeout: 5)
        XCTAssertTrue(closed, "node 1 kept the connection of a client whose session moved to node 2")
        try await backend.publish(topic, "m5", qos: .atLeastOnce, id: 5)
        let m5 = try await third.message(timeout: 10)
        XCTAssertEqual(String(buffer: m5.payload), "m5")
        await third.close()
        await backend.close()
        await observer.close()
    }

    /// The persistent sessions of a node killed with `kill -9` are in PostgreSQL: a device that reconnects at once to
    /// another node finds its session there (no node answered for it), and the sessions of devices that stay away are
    /// taken over by a survivor once the node is declared stopped, gather messages there, and follow their devices.
    /// Nothing a publisher was acknowledged (PUBACK) is lost.
    func testPersistentSessionsOfANodeKilledWithKill9LiveOnInTheOthers() async throws {
        try await startNodes(3, cluster: true)
        let product = try await autoCreateProduct(limit: 10)
        var psks: [String: String] = [:]
        for (i, name) in ["unit-1", "unit-2"].enumerated() {
            guard case .success(let psk) = try await Self.register(port: nodes[0].hub.httpPort, productId: product.id, secret: product.secret, name: name, nonce: i + 1)
            else { return XCTFail("registration refused") }
            psks[name] = psk
        }
        let app = try await nodes[2].api.call("CreateApplication", [("Name", .string("backend")), ("ProductIds", .array([.string(product.id)]))])
        let appId = try XCTUnwrap(app["AppId"]?.stringValue)
        let appSecret = try XCTUnwrap(app["AppSecret"]?.stringValue)
        let (backend, _) = try await TestMQTTClient.plain(port: nodes[2].hub.mqttPort, clientId: "backend-1", username: appId, password: appSecret)
        let (observer, _) = try await TestMQTTClient.plain(port: nodes[0].hub.mqttPort, clientId: "observer-1", username: appId, password: appSecret)
        _ = try await observer.subscribe("\(product.id)/+/control", qos: .atMostOnce)
        for name in ["unit-1", "unit-2"] {
            let (device, ack) = try await TestMQTTClient.device(port: nodes[0].hub.mqttPort, productId: product.id, deviceName: name, psk: psks[name]!, cleanSession: false)
            XCTAssertEqual(ack?.returnCode, 0)
            _ = try await device.subscribe("\(product.id)/\(name)/control", qos: .atLeastOnce)
            await device.close()
        }
        // Acknowledged to the publisher, queued on node 0 for the devices away.
        func publishAcknowledged(_ name: String, _ text: String, id: UInt16) async throws {
            try await backend.publish("\(product.id)/\(name)/control", text, qos: .atLeastOnce, id: id)
            _ = try await backend.next(timeout: 10, where: { if case .puback(let ack) = $0 { ack.packetId == id } else { false } })
        }
        try await publishAcknowledged("unit-1", "m1", id: 1)
        try await publishAcknowledged("unit-2", "n1", id: 2)
        for _ in 0..<2 { _ = try await observer.message(timeout: 10) }
        nodes[0].hub.kill9()

        // unit-2 reconnects at once to node 1: no node answers for its session, which is taken from the database once
        // its holder has been silent for 4.5 s (CONNACK waits for it).
        let (quick, quickAck) = try await TestMQTTClient.device(
            port: nodes[1].hub.mqttPort, productId: product.id, deviceName: "unit-2", psk: psks["unit-2"]!, cleanSession: false, connackTimeout: 20
        )
        XCTAssertEqual(quickAck?.returnCode, 0)
        XCTAssertEqual(quickAck?.sessionPresent, true, "the session of the killed node was not found")
        let n1 = try await quick.message(timeout: 10)
        XCTAssertEqual(String(buffer: n1.payload), "n1")
        try await quick.send(.puback(MQTTAck(packetId: try XCTUnwrap(n1.packetId))))
        await quick.close()

        // unit-1 stays away: once node 0 is declared stopped, a survivor takes its session over (in the database, then
        // in its broker: counted once it is there).
        let deadline = Date().addingTimeInterval(40)
        var adopted = 0
        while Date() < deadline, adopted == 0 {
            adopted = 0
            for node in nodes[1...] {
                let raw = try await RawHTTP.exchange(port: node.hub.apiPort, request: RawHTTP.request(method: "GET", path: "/metrics", headers: [("Host", "x")], body: []))
                let text = String(decoding: RawHTTP.parse(raw)?.body ?? [], as: UTF8.self)
                for line in text.split(separator: "\n") where line.hasPrefix("iothub_cluster_sessions_adopted_total ") {
                    adopted += Int(Double(line.split(separator: " ").last ?? "") ?? 0)
                }
            }
            if adopted == 0 { try await Task.sleep(for: .milliseconds(250)) }
        }
        XCTAssertEqual(adopted, 1, "no survivor took over the session of the killed node (or more than one did)")
        let clientId = product.id + "unit-1"
        let holders = try await Self.psql(
            "SELECT count(*) FROM broker_sessions WHERE client_id = '\(clientId)' AND node IN (SELECT id FROM hub_nodes)", database: database
        )
        XCTAssertEqual(holders.trimmingCharacters(in: .whitespacesAndNewlines), "1")
        // Taken over, it gathers messages again, and follows its device to whichever node it connects to.
        try await publishAcknowledged("unit-1", "m2", id: 3)
        let (back, backAck) = try await TestMQTTClient.device(port: nodes[1].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psks["unit-1"]!, cleanSession: false)
        XCTAssertEqual(backAck?.sessionPresent, true)
        var received: [String] = []
        while received.count < 2 {
            let message = try await back.message(timeout: 10)
            received.append(String(buffer: message.payload))
            try await back.send(.puback(MQTTAck(packetId: try XCTUnwrap(message.packetId))))
        }
        XCTAssertEqual(received, ["m1", "m2"])
        await back.close()
        await backend.close()
        await observer.close()
    }

    /// A node keeps its id in its data directory (`node-id`): restarted after `kill -9`, it takes up its own
    /// persistent sessions from PostgreSQL at once, with what was acknowledged for them; the devices it held are
    /// offline until they reconnect. A second process on a copy of that data directory refuses to start.
    func testARestartedNodeTakesUpItsOwnSessionsAtOnceAndItsIdIsItsAlone() async throws {
        try await startNodes(1)
        let product = try await autoCreateProduct(limit: 10)
        guard case .success(let psk) = try await Self.register(port: nodes[0].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-1", nonce: 1)
        else { return XCTFail("registration refused") }
        let app = try await nodes[0].api.call("CreateApplication", [("Name", .string("backend")), ("ProductIds", .array([.string(product.id)]))])
        let appId = try XCTUnwrap(app["AppId"]?.stringValue)
        let appSecret = try XCTUnwrap(app["AppSecret"]?.stringValue)
        let topic = "\(product.id)/unit-1/control"
        let (device, _) = try await TestMQTTClient.device(port: nodes[0].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk, cleanSession: false)
        _ = try await device.subscribe(topic, qos: .atLeastOnce)
        let (online, _) = try await TestMQTTClient.device(port: nodes[0].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk, cleanSession: false)
        _ = await device.waitForClose(timeout: 5)
        let (backend, _) = try await TestMQTTClient.plain(port: nodes[0].hub.mqttPort, clientId: "backend-1", username: appId, password: appSecret)
        await online.close()
        try await Task.sleep(for: .milliseconds(300))
        try await backend.publish(topic, "m1", qos: .atLeastOnce, id: 1)
        _ = try await backend.next(timeout: 10, where: { if case .puback = $0 { true } else { false } })
        // Online in the database while it was connected; the kill leaves it so.
        let (again, _) = try await TestMQTTClient.device(port: nodes[0].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk, cleanSession: false)
        let m1First = try await again.message(timeout: 10)
        XCTAssertEqual(String(buffer: m1First.payload), "m1")
        try await backend.publish(topic, "m2", qos: .atLeastOnce, id: 2)
        _ = try await backend.next(timeout: 10, where: { if case .puback(let ack) = $0 { ack.packetId == 2 } else { false } })
        _ = try await again.message(timeout: 10)
        // m1 and m2 delivered, not acknowledged: in flight when the node dies.
        nodes[0].hub.kill9()

        let restarted = try HubProcess(dataDirectory: nodes[0].directory, arguments: Array(nodes[0].hub.process.arguments!.suffix(2)))
        try restarted.start()
        defer { restarted.kill9() }
        var api = nodes[0].api
        api.port = restarted.apiPort
        let described = try await api.call("DescribeDevice", [("ProductId", .string(product.id)), ("DeviceName", .string("unit-1"))])
        XCTAssertEqual(described["Online"], .int(0), "the restarted node still showed the device it held as online")
        let (back, ack) = try await TestMQTTClient.device(port: restarted.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk, cleanSession: false)
        XCTAssertEqual(ack?.sessionPresent, true, "the restarted node did not take up its own session")
        var received: [String] = []
        while received.count < 2 {
            let message = try await back.message(timeout: 10)
            XCTAssertTrue(message.dup)
            received.append(String(buffer: message.payload))
            try await back.send(.puback(MQTTAck(packetId: try XCTUnwrap(message.packetId))))
        }
        XCTAssertEqual(received, ["m1", "m2"])
        await back.close()
        await backend.close()

        // A copy of the data directory, node-id included, is a second process with the same id: refused.
        let copy = NSTemporaryDirectory() + "iothub-copy-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: nodes[0].directory, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        for stale in ["registry.sqlite-wal", "registry.sqlite-shm"] { try? FileManager.default.removeItem(atPath: copy + "/" + stale) }
        let twin = try HubProcess(dataDirectory: copy, arguments: Array(nodes[0].hub.process.arguments!.suffix(2)), mergingStandardError: true)
        do {
            try twin.start()
            twin.kill9()
            XCTFail("a second process with the same node id started")
        } catch let failure as HubProcessFailure {
            XCTAssertTrue(failure.description.contains("nodeIdInUse"), failure.description)
        }
    }

    /// A node that restarts, or joins, takes the retained messages of the cluster: what was set and deleted while it
    /// was away is as on the others, not as its own journal last had it.
    func testANodeThatRestartsOrJoinsHasTheClustersRetainedMessages() async throws {
        try await startNodes(2, cluster: true)
        let product = try await autoCreateProduct(limit: 10)
        let app = try await nodes[0].api.call("CreateApplication", [("Name", .string("backend")), ("ProductIds", .array([.string(product.id)]))])
        let appId = try XCTUnwrap(app["AppId"]?.stringValue)
        let appSecret = try XCTUnwrap(app["AppSecret"]?.stringValue)
        let base = "\(product.id)/unit-1"
        func retain(_ client: TestMQTTClient, _ topic: String, _ text: String, id: UInt16) async throws {
            try await client.send(.publish(MQTTPublish(topic: "\(base)/\(topic)", payload: ByteBuffer(string: text), qos: .atLeastOnce, retain: true, packetId: id)))
            _ = try await client.next { if case .puback(let ack) = $0 { ack.packetId == id } else { false } }
        }
        /// The retained messages a new subscriber on a node gets, up to a marker published after its SUBACK.
        func retainedSeen(node: Int, clientId: String) async throws -> [String] {
            let (client, _) = try await TestMQTTClient.plain(port: nodes[node].hub.mqttPort, clientId: clientId, username: appId, password: appSecret)
            _ = try await client.subscribe("\(base)/#", qos: .atLeastOnce)
            try await client.publish("\(base)/marker", "end", qos: .atMostOnce)
            var seen: [String] = []
            while true {
                let message = try await client.message(timeout: 10)
                let text = String(buffer: message.payload)
                if text == "end" { break }
                seen.append("\(message.topic.split(separator: "/").last!)=\(text)")
            }
            await client.close()
            return seen.sorted()
        }

        let (publisher, _) = try await TestMQTTClient.plain(port: nodes[0].hub.mqttPort, clientId: "publisher", username: appId, password: appSecret)
        // Node 1 watches until it has routed both, so both are in its journal when it dies.
        let (watcher, _) = try await TestMQTTClient.plain(port: nodes[1].hub.mqttPort, clientId: "watcher", username: appId, password: appSecret)
        _ = try await watcher.subscribe("\(base)/#", qos: .atMostOnce)
        try await retain(publisher, "a", "a1", id: 1)
        try await retain(publisher, "b", "b1", id: 2)
        for _ in 0..<2 { _ = try await watcher.message(timeout: 10) }
        let before = try await retainedSeen(node: 1, clientId: "reader-1")
        XCTAssertEqual(before, ["a=a1", "b=b1"])

        // Node 1 dies; meanwhile a changes, b is deleted and c is set on node 0.
        let arguments = Array(nodes[1].hub.process.arguments!.suffix(4))
        nodes[1].hub.kill9()
        try await retain(publisher, "a", "a2", id: 3)
        try await retain(publisher, "b", "", id: 4)
        try await retain(publisher, "c", "c1", id: 5)

        let restarted = try HubProcess(dataDirectory: nodes[1].directory, arguments: arguments)
        try restarted.start()
        nodes[1] = Node(hub: restarted, directory: nodes[1].directory, api: nodes[1].api)
        let afterRestart = try await retainedSeen(node: 1, clientId: "reader-2")
        XCTAssertEqual(afterRestart, ["a=a2", "c=c1"], "the restarted node kept its own stale retained messages")

        // A node that joins now has them too.
        let directory = NSTemporaryDirectory() + "iothub-node2-\(UUID().uuidString)"
        let joined = try HubProcess(dataDirectory: directory, arguments: arguments)
        try joined.start()
        nodes.append(Node(hub: joined, directory: directory, api: nodes[0].api))
        let onJoined = try await retainedSeen(node: 2, clientId: "reader-3")
        XCTAssertEqual(onJoined, ["a=a2", "c=c1"])
        await publisher.close()

        // What node 1 took is in its own broker store: alone after a restart (the others gone), it still has it.
        nodes[0].hub.kill9()
        nodes[2].hub.kill9()
        XCTAssertEqual(nodes[1].hub.terminate(), 0)
        let alone = try HubProcess(dataDirectory: nodes[1].directory, arguments: arguments)
        try alone.start()
        nodes[1] = Node(hub: alone, directory: nodes[1].directory, api: nodes[1].api)
        let afterAlone = try await retainedSeen(node: 1, clientId: "reader-4")
        XCTAssertEqual(afterAlone, ["a=a2", "c=c1"], "node 1 did not keep the retained messages it took from the cluster")
    }

    /// A ban made through one node's API holds on every node; lifted on one, it is lifted on all.
    func testASourceBanMadeOnOneNodeHoldsOnTheOthers() async throws {
        try await startNodes(2)
        let product = try await autoCreateProduct(limit: 10)
        guard case .success = try await Self.register(port: nodes[1].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-1", nonce: 1) else {
            return XCTFail("registration refused before the ban")
        }
        _ = try await nodes[0].api.call("CreateBan", [("Address", .string("127.0.0.1")), ("Reason", .string("flood"))])
        let listed = try await waitForBanCount(1, node: 1)
        XCTAssertEqual(listed, 1, "node 1 does not know the ban made on node 0")
        // Node 1 refuses the banned address: a registration from it is answered as banned.
        let refused = try await Self.register(port: nodes[1].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-2", nonce: 2)
        guard case .failure(let failure) = refused else { return XCTFail("node 1 registered a device from a banned address") }
        XCTAssertEqual(failure.refusal, .sourceBanned, "\(failure)")
        _ = try await nodes[0].api.call("DeleteBan", [("Address", .string("127.0.0.1"))])
        let lifted = try await waitForBanCount(0, node: 1)
        XCTAssertEqual(lifted, 0)
        guard case .success = try await Self.register(port: nodes[1].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-3", nonce: 3) else {
            return XCTFail("node 1 still refuses after the ban was lifted on node 0")
        }
    }

    /// DescribeBans' `TotalCount` on a node once it is `expected`, or as it is after `within` seconds.
    func waitForBanCount(_ expected: Int, node: Int, within seconds: Double = 10) async throws -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let count = try await nodes[node].api.call("DescribeBans", [])["TotalCount"]?.intValue
            if count == expected || Date() >= deadline { return count }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// One device connecting to two nodes at once, again and again: each time exactly one connection survives (without
    /// an order, each node's announcement could close the other's connection, and the device none).
    func testOfTwoConnectsOfOneClientOnTwoNodesAtOnceExactlyOneSurvives() async throws {
        try await startNodes(2, cluster: true)
        let product = try await autoCreateProduct(limit: 10)
        guard case .success(let psk) = try await Self.register(port: nodes[0].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-1", nonce: 1) else {
            return XCTFail("registration refused")
        }
        let ports = (nodes[0].hub.mqttPort, nodes[1].hub.mqttPort)
        for round in 0..<8 {
            async let first = TestMQTTClient.device(port: ports.0, productId: product.id, deviceName: "unit-1", psk: psk)
            async let second = TestMQTTClient.device(port: ports.1, productId: product.id, deviceName: "unit-1", psk: psk)
            let (a, aAck) = try await first
            let (b, bAck) = try await second
            XCTAssertEqual(aAck?.returnCode, 0)
            XCTAssertEqual(bAck?.returnCode, 0)
            // One of them is closed by the other node's announcement; both announcements have crossed a second later.
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                let aDone = await a.waitForClose(timeout: 0)
                let bDone = await b.waitForClose(timeout: 0)
                if aDone || bDone { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .seconds(1))
            let aClosed = await a.waitForClose(timeout: 0)
            let bClosed = await b.waitForClose(timeout: 0)
            XCTAssertTrue(aClosed != bClosed, "round \(round): node 0 closed \(aClosed), node 1 closed \(bClosed); exactly one must survive")
            await a.close()
            await b.close()
        }
    }

    /// Replay protection holds across nodes: a signed request replayed to another node is refused there, as on the
    /// node that took it first.
    func testARegistrationReplayedToAnotherNodeIsRefused() async throws {
        try await startNodes(2)
        let product = try await autoCreateProduct(limit: 10)
        _ = try await nodes[0].api.call("UpdateProductRegistrationPolicy", [("ProductId", .string(product.id)), ("ReplayProtection", .bool(true))])
        let timestamp = Int(Date().timeIntervalSince1970)
        guard case .success = try await Self.register(port: nodes[0].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-1", nonce: 7, timestamp: timestamp) else {
            return XCTFail("the first request was refused")
        }
        for node in [1, 0] {
            let replayed = try await Self.register(port: nodes[node].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-1", nonce: 7, timestamp: timestamp)
            guard case .failure(let failure) = replayed else { return XCTFail("node \(node) accepted a replayed registration") }
            XCTAssertEqual(failure.refusal, .nonceReplayed, "node \(node): \(failure)")
        }
        // A fresh nonce is accepted on the other node.
        guard case .success = try await Self.register(port: nodes[1].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-1", nonce: 8, timestamp: timestamp) else {
            return XCTFail("a fresh nonce was refused")
        }
        // Both refusals are audited as replays (refusals are written in the background: read until they are there).
        var replays = 0
        let deadline = Date().addingTimeInterval(10)
        repeat {
            let logs = try await nodes[1].api.call("DescribeRegistrationLogs", [("ProductId", .string(product.id)), ("Reason", .string("nonce_replayed"))])
            replays = logs["Logs"]?.arrayValue?.reduce(0) { $0 + ($1["Count"]?.intValue ?? 0) } ?? 0
            if replays < 2 { try await Task.sleep(for: .milliseconds(100)) }
        } while replays < 2 && Date() < deadline
        XCTAssertEqual(replays, 2)
    }

    /// A running node that loses PostgreSQL answers registrations with InternalError and writes nothing half; the
    /// other node goes on; once the database is back the node recovers by itself and sees what was registered
    /// meanwhile.
    func testANodeThatLosesItsDatabaseRefusesCleanlyAndRecovers() async throws {
        try await startNodes(2, proxied: [1])
        let proxy = try XCTUnwrap(databaseProxy)
        let product = try await autoCreateProduct(limit: 10)
        guard case .success = try await Self.register(port: nodes[1].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-1", nonce: 1) else {
            return XCTFail("registration refused before the outage")
        }
        proxy.cut()
        let during = try await Self.register(port: nodes[1].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-2", nonce: 2, timeout: .seconds(40))
        guard case .failure(let failure) = during else { return XCTFail("node 1 registered a device without its database") }
        XCTAssertEqual(failure.refusal, .internalError, "\(failure)")
        // The other node is not affected.
        guard case .success(let psk3) = try await Self.register(port: nodes[0].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-3", nonce: 3) else {
            return XCTFail("node 0 refused a registration while node 1 had lost the database")
        }
        proxy.restore()
        // Node 1 recovers by itself: a registration is accepted again (asked until it is, with fresh nonces).
        var recovered = false
        let deadline = Date().addingTimeInterval(60)
        var nonce = 10
        while !recovered, Date() < deadline {
            nonce += 1
            if case .success = try await Self.register(port: nodes[1].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-2", nonce: nonce, timeout: .seconds(40)) {
                recovered = true
            } else {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        XCTAssertTrue(recovered, "node 1 did not recover after the database came back")
        // What node 0 registered meanwhile logs in on node 1; nothing half-written: exactly the three devices.
        let (client, connack) = try await TestMQTTClient.device(port: nodes[1].hub.mqttPort, productId: product.id, deviceName: "unit-3", psk: psk3)
        XCTAssertEqual(connack?.returnCode, 0)
        await client.close()
        let count = try await waitForDeviceCount(3, node: 1, product.id)
        XCTAssertEqual(count, 3)
        XCTAssertTrue(nodes[1].hub.process.isRunning)
    }

    /// A cluster rides out a restart of nats-server: each node keeps serving its own clients meanwhile, and messages
    /// cross nodes again once NATS is back, without restarting a node.
    func testAClusterRidesOutANATSRestart() async throws {
        try await startNodes(2, cluster: true)
        let server = try XCTUnwrap(nats)
        let product = try await autoCreateProduct(limit: 10)
        guard case .success(let psk) = try await Self.register(port: nodes[0].hub.httpPort, productId: product.id, secret: product.secret, name: "unit-1", nonce: 1) else {
            return XCTFail("registration refused")
        }
        let topic = "\(product.id)/unit-1/control"
        let app = try await nodes[0].api.call("CreateApplication", [("Name", .string("backend")), ("ProductIds", .array([.string(product.id)]))])
        let appId = try XCTUnwrap(app["AppId"]?.stringValue)
        let appSecret = try XCTUnwrap(app["AppSecret"]?.stringValue)
        let (device, _) = try await TestMQTTClient.device(port: nodes[1].hub.mqttPort, productId: product.id, deviceName: "unit-1", psk: psk)
        _ = try await device.subscribe(topic, qos: .atMostOnce)
        let (remote, _) = try await TestMQTTClient.plain(port: nodes[0].hub.mqttPort, clientId: "backend-0", username: appId, password: appSecret)
        let (local, _) = try await TestMQTTClient.plain(port: nodes[1].hub.mqttPort, clientId: "backend-1", username: appId, password: appSecret)
        try await remote.publish(topic, "before", qos: .atMostOnce)
        let before = try await device.message(timeout: 10)
        XCTAssertEqual(String(buffer: before.payload), "before")

        server.stop()
        // Node 1 still serves its own clients.
        try await local.publish(topic, "local", qos: .atMostOnce)
        let same = try await device.message(timeout: 10)
        XCTAssertEqual(String(buffer: same.payload), "local")

        try await server.restart()
        // Messages cross again once the nodes have reconnected (published until one arrives).
        var crossed = false
        let deadline = Date().addingTimeInterval(30)
        while !crossed, Date() < deadline {
            try await remote.publish(topic, "after", qos: .atMostOnce)
            if let message = try? await device.message(timeout: 0.5) { crossed = String(buffer: message.payload) == "after" }
        }
        XCTAssertTrue(crossed, "no message crossed nodes after nats-server came back")
        XCTAssertTrue(nodes[0].hub.process.isRunning && nodes[1].hub.process.isRunning)
        await device.close()
        await remote.close()
        await local.close()
    }

    /// DescribeDevices' `TotalCount` on a node once it is `expected`, or as it is after `within` seconds.
    func waitForDeviceCount(_ expected: Int, node: Int, _ productId: String, within seconds: Double = 10) async throws -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let devices = try await nodes[node].api.call("DescribeDevices", [("ProductId", .string(productId)), ("Offset", .int(0)), ("Limit", .int(1))])
            let count = devices["TotalCount"]?.intValue
            if count == expected || Date() >= deadline { return count }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// DescribeDevice's `Online` on a node once it is `expected`, or as it is after `within` seconds.
    func waitForOnlineState(_ expected: Int, node: Int, _ productId: String, _ name: String, within seconds: Double = 10) async throws -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        var state = try await onlineState(node: node, productId, name)
        while state != expected, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            state = try await onlineState(node: node, productId, name)
        }
        return state
    }

    /// DescribeDevice's `Online` on a node.
    func onlineState(node: Int, _ productId: String, _ name: String) async throws -> Int? {
        let device = try await nodes[node].api.call("DescribeDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
        return device["Online"]?.intValue
    }

    func testANodeKilledWithKill9LosesNoAcknowledgedRegistration() async throws {
        try await startNodes(2)
        let product = try await autoCreateProduct(limit: 1000)
        let port = nodes[0].hub.httpPort
        let acknowledged = try await withThrowingTaskGroup(of: (String, String)?.self) { group in
            for i in 0..<80 {
                group.addTask {
                    let name = "unit-\(i)"
                    guard case .success(let psk) = try await Self.register(port: port, productId: product.id, secret: product.secret, name: name, nonce: i + 1) else { return nil }
                    return (name, psk)
                }
            }
            var all: [String: String] = [:]
            for try await item in group { if let (name, psk) = item { all[name] = psk } }
            return all
        }
        nodes[0].hub.kill9()
        XCTAssertEqual(acknowledged.count, 80)
        // The survivor holds every acknowledged device with its PSK: each logs in there.
        let survivorCount = try await waitForDeviceCount(80, node: 1, product.id)
        XCTAssertEqual(survivorCount, 80)
        for (name, psk) in acknowledged.prefix(10) {
            let (client, connack) = try await TestMQTTClient.device(port: nodes[1].hub.mqttPort, productId: product.id, deviceName: name, psk: psk)
            XCTAssertEqual(connack?.returnCode, 0, name)
            await client.close()
        }
        // A restarted node reads everything from the database, not from its data directory.
        let restarted = try HubProcess(dataDirectory: nodes[0].directory, arguments: Array(nodes[0].hub.process.arguments!.suffix(2)))
        try restarted.start()
        var api0 = nodes[0].api
        api0.port = restarted.apiPort
        let again = try await api0.call("DescribeDevices", [("ProductId", .string(product.id)), ("Offset", .int(0)), ("Limit", .int(250))])
        XCTAssertEqual(again["TotalCount"], .int(80))
        // SIGTERM: a graceful stop, registry and the node's own SQLite file closed.
        XCTAssertEqual(restarted.terminate(), 0)
    }

    /// deploy/cluster/haproxy.cfg, the README's load balancer for three nodes, is a configuration Debian's
    /// haproxy accepts.
    func testTheClusterLoadBalancerConfigurationIsValid() async throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/cluster/haproxy.cfg").path
        let result = try await ExternalTools.run("/usr/sbin/haproxy", ["-c", "-f", file])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        XCTAssertTrue((result.stdout + result.stderr).contains("Configuration file is valid"), result.stdout + result.stderr)
    }

    func testAnUnreachableNATSStopsTheNodeWithAClearError() async throws {
        let directory = NSTemporaryDirectory() + "iothub-nonats-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A loopback port nothing listens on.
        let hub = try HubProcess(dataDirectory: directory, arguments: ["--cluster", "nats://127.0.0.1:9"], mergingStandardError: true)
        try hub.process.run()
        hub.process.waitUntilExit()
        let output = String(decoding: hub.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertNotEqual(hub.process.terminationStatus, 0)
        XCTAssertTrue(output.contains("cluster: cannot connect to NATS (127.0.0.1:9)"), output)
    }

    func testAnUnreachableDatabaseStopsTheStartWithAClearError() async throws {
        let directory = NSTemporaryDirectory() + "iothub-nodb-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A loopback port nothing listens on.
        let hub = try HubProcess(dataDirectory: directory, arguments: ["--database", "postgres://iothub:s3cret@127.0.0.1:9/iothub"], mergingStandardError: true)
        XCTAssertThrowsError(try hub.start(timeout: 60)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("cannot open the PostgreSQL registry at postgres://iothub:***@127.0.0.1:9/iothub"), text)
            XCTAssertFalse(text.contains("s3cret"), text)
        }
        hub.process.waitUntilExit()
        XCTAssertNotEqual(hub.process.terminationStatus, 0)
    }
}
