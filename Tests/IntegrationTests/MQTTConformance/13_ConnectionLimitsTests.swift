import BrokerCore
import HubServer
import HubTesting
import Logging
import NIOConcurrencyHelpers
@testable import MQTTServer
import NIOCore
import ServiceLifecycle
import XCTest

/// 13: what a client cannot make the hub hold, on both plain-TCP engines: bytes before CONNECT (the first
/// byte must be CONNECT, the CONNECT and what follows it until CONNACK are bounded), sockets before CONNECT,
/// clients beyond the connection limit (answered with CONNACK 3), and output a client does not read (reading
/// pauses over a watermark, the queue is bounded in bytes, a client that stays over is cut off).
final class MQTTConformance13ConnectionLimitsTests: XCTestCase {
    static let engines: [MQTTServerConfiguration.TCPEngine] = [.poll, .nio]

    /// Runs `body` with a hub on each engine (the connect timeout long: closes in these tests are at once).
    func withHubs(_ configure: @escaping (inout HubConfiguration) -> Void = { _ in }, _ body: (TestHub, MQTTServerConfiguration.TCPEngine) async throws -> Void) async throws {
        for engine in Self.engines {
            let hub = try await TestHub.start { configuration in
                configuration.allowAnonymous = true
                configuration.mqttConnectTimeout = 60
                configuration.mqttTCPEngine = engine
                configure(&configuration)
            }
            do {
                try await body(hub, engine)
            } catch {
                XCTFail("\(engine): \(error)")
            }
            await hub.stopAndRemove()
        }
    }

    // MARK: before CONNECT

    /// A first byte that is not a CONNECT fixed header is closed at once, even when the packet it starts is
    /// incomplete (before, the hub waited for the whole packet, up to the connect timeout).
    func testNonConnectFirstByteIsClosedAtOnce() async throws {
        try await withHubs { hub, engine in
            let client = try await RawMQTTClient.connect(port: await hub.port(.mqtt), name: "publish-first-\(engine)")
            // A PUBLISH header declaring 1,000 bytes, and only 3 of them.
            try await client.send([0x30, 0xE8, 0x07, 0x00, 0x01, 0x61])
            try await client.expectClose(timeout: .seconds(5), "\(engine): a PUBLISH as the first packet (connect timeout 60 s)")
            let zero = try await RawMQTTClient.connect(port: await hub.port(.mqtt), name: "zero-\(engine)")
            try await zero.send([0x00])
            try await zero.expectClose(timeout: .seconds(5), "\(engine): a zero byte first")
        }
    }

    /// A CONNECT declaring more than the pre-CONNECT budget (8 KiB by default) is closed at once, before its
    /// body arrives; one of a real device's size is admitted.
    func testOversizeConnectIsClosedAtOnce() async throws {
        try await withHubs { hub, engine in
            let port = await hub.port(.mqtt)
            let client = try await RawMQTTClient.connect(port: port, name: "huge-\(engine)")
            // CONNECT with a remaining length of 200 KiB (variable byte integer), then the start of its body.
            try await client.send([0x10] + variableByteInteger(200 * 1024) + [0x00, 0x04] + Array("MQTT".utf8))
            try await client.expectClose(timeout: .seconds(5), "\(engine): a 200 KiB CONNECT")
            // A device-sized CONNECT with a long username, password and a will still gets CONNACK.
            let device = try await RawMQTTClient.connect(port: port, name: "device-\(engine)")
            let will = MQTTBytes.Will(topic: "ABCDEFGHIJ/device-\(engine)/event", payload: Array(repeating: 0x7B, count: 1024))
            try await device.send(
                MQTTBytes.connect(
                    .v3_1_1, clientId: "ABCDEFGHIJdevice-\(engine)", will: will,
                    username: "ABCDEFGHIJdevice-\(engine);12010126;ABCDE;4294967295", password: Array(repeating: 0x61, count: 200)
                )
            )
            // Decided by the authenticator (this device does not exist): any CONNACK shows it was admitted.
            let answer = try await device.read(count: 4, "\(engine): CONNACK to a device-sized CONNECT with a will")
            XCTAssertEqual(Array(answer.prefix(2)), [0x20, 0x02], "\(engine): a CONNACK")
            await device.close()
        }
    }

    /// The same rules on the WebSocket listener (after the HTTP upgrade, on the MQTT byte stream).
    func testWebSocketFirstByteAndConnectSize() async throws {
        let hub = try await TestHub.start { $0.allowAnonymous = true; $0.mqttConnectTimeout = 60 }
        let port = await hub.port(.websocket)
        do {
            let publishFirst = try await webSocket(port: port)
            try await publishFirst.send(webSocketFrame([0x30, 0xE8, 0x07, 0x00, 0x01, 0x61]))
            try await publishFirst.expectClose(timeout: .seconds(5), "WebSocket: a PUBLISH as the first packet")
            let huge = try await webSocket(port: port)
            try await huge.send(webSocketFrame([0x10] + variableByteInteger(200 * 1024) + [0x00, 0x04]))
            try await huge.expectClose(timeout: .seconds(5), "WebSocket: a 200 KiB CONNECT")
            let fine = try await webSocket(port: port)
            try await fine.send(webSocketFrame(MQTTBytes.connect(.v3_1_1, clientId: "ws-fine")))
            // The CONNACK in a binary frame: 0x82, length 4, then the packet.
            try await fine.expect([0x82, 0x04] + MQTTBytes.connack(.v3_1_1), "WebSocket: CONNACK")
            await fine.close()
        } catch {
            XCTFail("\(error)")
        }
        await hub.stopAndRemove()
    }

    /// A raw connection that completed the WebSocket upgrade (subprotocol mqtt); the 101 answer is consumed.
    private func webSocket(port: Int) async throws -> RawMQTTClient {
        let client = try await RawMQTTClient.connect(port: port, name: "ws")
        let request = "GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"
        try await client.send(Array(request.utf8))
        var head: [UInt8] = []
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            head += try await client.read(count: 1, "the upgrade answer")
        }
        XCTAssertTrue(String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 101"))
        return client
    }

    /// One masked binary WebSocket frame.
    private func webSocketFrame(_ payload: [UInt8]) -> [UInt8] {
        let mask: [UInt8] = [0x11, 0x22, 0x33, 0x44]
        return webSocketFrameHeader(length: payload.count, mask: mask) + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    /// The header of a masked binary frame declaring `length` payload bytes (RFC 6455 §5.2).
    private func webSocketFrameHeader(length: Int, mask: [UInt8] = [0x11, 0x22, 0x33, 0x44]) -> [UInt8] {
        switch length {
        case ..<126: return [0x82, 0x80 | UInt8(length)] + mask
        case ..<65_536: return [0x82, 0x80 | 126, UInt8(length >> 8), UInt8(length & 0xFF)] + mask
        default: return [0x82, 0x80 | 127] + (0..<8).reversed().map { UInt8((length >> ($0 * 8)) & 0xFF) } + mask
        }
    }

    /// Before CONNACK the WebSocket frames are bounded too: a frame declaring more than the pre-CONNECT
    /// budget is closed at once, before its payload is buffered (the frame decoder would otherwise hold up to
    /// its 1 MiB frame limit per socket until the connect timeout). Once connected, large frames pass.
    func testWebSocketFramesBeforeConnackAreBounded() async throws {
        let hub = try await TestHub.start { $0.allowAnonymous = true; $0.mqttConnectTimeout = 60 }
        let port = await hub.port(.websocket)
        do {
            let big = try await webSocket(port: port)
            // A binary frame declaring 512 KiB, and 4 KiB of it (a valid CONNECT start: the MQTT layer sees none
            // of it until the frame is complete).
            try await big.send(webSocketFrameHeader(length: 512 * 1024) + Array(repeating: 0x10, count: 4096))
            try await big.expectClose(timeout: .seconds(5), "WebSocket: a 512 KiB frame before CONNECT (connect timeout 60 s)")
            let atBudget = try await webSocket(port: port)
            try await atBudget.send(webSocketFrameHeader(length: 8 * 1024 + 1))
            try await atBudget.expectClose(timeout: .seconds(5), "WebSocket: a frame one byte over the 8 KiB budget")

            let fine = try await webSocket(port: port)
            try await fine.send(webSocketFrame(MQTTBytes.connect(.v3_1_1, clientId: "ws-big-after")))
            try await fine.expect([0x82, 0x04] + MQTTBytes.connack(.v3_1_1), "WebSocket: CONNACK")
            // Connected: a 20 KiB PUBLISH in one frame, then PINGREQ; the PINGRESP shows both passed.
            try await fine.send(webSocketFrame(MQTTBytes.publish("free/big", Array(repeating: 0x41, count: 20 * 1024))))
            try await fine.send(webSocketFrame([0xC0, 0x00]))
            try await fine.expect([0x82, 0x02, 0xD0, 0x00], "WebSocket: PINGRESP after a 20 KiB frame")
            await fine.close()
        } catch {
            XCTFail("\(error)")
        }
        await hub.stopAndRemove()
    }

    /// A WebSocket socket closed before its upgrade gives its pending place back when it closes (the connect
    /// timer held it, and with it the place, until the connect timeout).
    func testWebSocketSocketClosedBeforeUpgradeFreesItsPendingPlace() async throws {
        let hub = try await TestHub.start {
            $0.allowAnonymous = true
            $0.mqttConnectTimeout = 60
            $0.mqttMaxPendingConnections = 1
        }
        let port = await hub.port(.websocket)
        for attempt in 0..<3 {
            let quitter = try await RawMQTTClient.connect(port: port, name: "quitter-\(attempt)")
            await quitter.close()
            // The hub sees the close a moment later: a new socket may still be refused for a short while.
            var connected = false
            for _ in 0..<100 where !connected {
                if let client = try? await webSocket(port: port) {
                    try await client.send(webSocketFrame(MQTTBytes.connect(.v3_1_1, clientId: "after-quitter-\(attempt)")))
                    connected = (try? await client.expect([0x82, 0x04] + MQTTBytes.connack(.v3_1_1), "CONNACK")) != nil
                    await client.close()
                }
                if !connected { try await Task.sleep(for: .milliseconds(20)) }
            }
            XCTAssertTrue(connected, "attempt \(attempt): the place of a socket closed before its upgrade is free again")
        }
        await hub.stopAndRemove()
    }

    /// While a CONNECT is being decided the connection holds at most `preConnectBytes` (the CONNECT and
    /// packets pipelined behind it): exactly the budget waits for the decision, one byte more is closed.
    func testAtMostThePreConnectBudgetIsHeldBeforeConnack() async throws {
        for engine in Self.engines {
            let authenticator = PollTransportResetWhilePausedTests.HeldAuthenticator()
            let server = try await EngineServer.start(engine: engine, authenticator: authenticator) { $0.preConnectBytes = 1024 }
            // CONNECT and PUBLISH packets behind it: 1,024 bytes in total (a PUBLISH to "t" with n payload bytes
            // is 5 + n bytes while n < 125).
            var within = MQTTBytes.connect(.v3_1_1, clientId: "held")
            while 1024 - within.count > 129 { within += MQTTBytes.publish("t", Array(repeating: 0x42, count: 95)) }
            within += MQTTBytes.publish("t", Array(repeating: 0x41, count: 1024 - within.count - 5))
            XCTAssertEqual(within.count, 1024)
            let patient = try await RawMQTTClient.connect(port: server.port, name: "within-\(engine)")
            try await patient.send(within)
            let over = try await RawMQTTClient.connect(port: server.port, name: "over-\(engine)")
            try await over.send(within + [0xC0])
            try await over.expectClose(timeout: .seconds(5), "\(engine): 1,025 bytes before CONNACK")
            try await patient.expectSilence(for: .milliseconds(200), "\(engine): 1,024 bytes wait for the decision")
            // The held login of the patient client is accepted: it is connected with everything it sent.
            var decided = false
            for _ in 0..<250 where !decided {
                let held = authenticator.pending.withLockedValue { pending in
                    defer { pending.removeAll() }
                    return pending
                }
                for promise in held { promise.succeed(.accept(.anonymous)) }
                decided = (try? await patient.expect(MQTTBytes.connack(.v3_1_1), timeout: .milliseconds(50))) != nil
            }
            XCTAssertTrue(decided, "\(engine): CONNACK after the decision")
            try await patient.ping("\(engine): connected")
            await patient.close()
            await over.close()
            try await server.stop()
        }
    }

    // MARK: connection limits

    /// Beyond `mqttMaxConnections` a client's CONNECT is answered with CONNACK 3 (server unavailable) and the
    /// connection closed; a freed place is taken again.
    func testConnectionLimitIsAnsweredWithConnack3() async throws {
        try await withHubs({ $0.mqttMaxConnections = 2 }) { hub, engine in
            let port = await hub.port(.mqtt)
            var clients: [RawMQTTClient] = []
            for index in 0..<2 {
                let client = try await RawMQTTClient.connect(port: port, name: "c\(index)")
                try await client.send(MQTTBytes.connect(.v3_1_1, clientId: "limit-\(engine)-\(index)"))
                try await client.expect(MQTTBytes.connack(.v3_1_1), "\(engine): CONNACK \(index)")
                clients.append(client)
            }
            for attempt in 0..<3 {
                let third = try await RawMQTTClient.connect(port: port, name: "third")
                try await third.send(MQTTBytes.connect(.v3_1_1, clientId: "limit-\(engine)-third"))
                try await third.expectClose(allowing: MQTTBytes.connack(.v3_1_1, returnCode: 3), "\(engine): attempt \(attempt) over a limit of 2")
            }
            try await clients[0].send(MQTTBytes.disconnect)
            try await clients[0].expectClose("\(engine): after DISCONNECT")
            var admitted = false
            for _ in 0..<50 where !admitted {
                let again = try await RawMQTTClient.connect(port: port, name: "again")
                try await again.send(MQTTBytes.connect(.v3_1_1, clientId: "limit-\(engine)-again"))
                admitted = (try? await again.expect(MQTTBytes.connack(.v3_1_1), timeout: .seconds(1))) != nil
                if !admitted { try await Task.sleep(for: .milliseconds(50)) }
            }
            XCTAssertTrue(admitted, "\(engine): a place freed by DISCONNECT is taken by a new client")
            try await clients[1].ping("\(engine): the second client stayed")
            for client in clients { await client.close() }
        }
    }

    /// Sockets that have not sent CONNECT are bounded (`mqttMaxPendingConnections`): beyond it a new socket is
    /// closed at accept; once a pending socket sends its CONNECT, its place is free again.
    func testSocketsWithoutConnectAreBounded() async throws {
        try await withHubs({ $0.mqttMaxPendingConnections = 2 }) { hub, engine in
            let port = await hub.port(.mqtt)
            var sockets: [RawMQTTClient] = []
            for index in 1...3 { sockets.append(try await RawMQTTClient.connect(port: port, name: "silent-\(index)")) }
            // One of the three is closed at accept (NIO sets sockets up on several threads: which one is not fixed).
            var closed = 0
            for _ in 0..<250 where closed == 0 {
                try await Task.sleep(for: .milliseconds(20))
                closed = sockets.count(where: \.isClosed)
            }
            XCTAssertEqual(closed, 1, "\(engine): a third socket without CONNECT over a pending limit of 2 is closed")
            let open = sockets.filter { !$0.isClosed }
            guard open.count == 2 else { return XCTFail("\(engine): \(open.count) sockets open") }
            let (first, second) = (open[0], open[1])
            try await first.send(MQTTBytes.connect(.v3_1_1, clientId: "pending-\(engine)-1"))
            try await first.expect(MQTTBytes.connack(.v3_1_1), "\(engine): the first socket connects")
            var admitted = false
            for _ in 0..<50 where !admitted {
                let again = try await RawMQTTClient.connect(port: port, name: "again")
                try await again.send(MQTTBytes.connect(.v3_1_1, clientId: "pending-\(engine)-again"))
                admitted = (try? await again.expect(MQTTBytes.connack(.v3_1_1), timeout: .seconds(1))) != nil
                if !admitted { try await Task.sleep(for: .milliseconds(50)) }
                await again.close()
            }
            XCTAssertTrue(admitted, "\(engine): a pending place freed by a CONNECT is taken again")
            try await second.send(MQTTBytes.connect(.v3_1_1, clientId: "pending-\(engine)-2"))
            try await second.expect(MQTTBytes.connack(.v3_1_1), "\(engine): the second pending socket was kept")
            for client in sockets { await client.close() }
        }
    }

    // MARK: output a client does not read

    /// A client that floods PINGREQ and never reads: reading from it pauses at the watermark, its queue stays
    /// within the budget, and it is cut off once it stays over the watermark; a well-behaved client on the
    /// same server publishes and receives throughout.
    func testPingFloodWithoutReadingIsBoundedAndCutOff() async throws {
        try await floodWithoutReading(name: "ping") { _ in MQTTBytes.pingreq }
    }

    /// The same with QoS 1 PUBLISH (every one answered with PUBACK).
    func testQoS1FloodWithoutReadingIsBoundedAndCutOff() async throws {
        try await floodWithoutReading(name: "qos1") { index in
            MQTTBytes.publish("flood/\(index % 5)", [0x61, 0x62], qos: 1, packetId: UInt16(index % 60_000 + 1))
        }
    }

    /// A queue that cannot take an ack within the budget closes the connection at once (budget below the
    /// watermark: reading never pauses before the budget is reached).
    func testQueueOverTheBudgetClosesTheConnection() async throws {
        try await floodWithoutReading(name: "budget", watermark: 1 << 20, budget: 8 * 1024, stallSeconds: 600, prefill: false) { _ in MQTTBytes.pingreq }
    }

    private func floodWithoutReading(
        name: String, watermark: Int = 64 * 1024, budget: Int = 1 << 20, stallSeconds: Int = 2, prefill: Bool = true,
        packet: @escaping @Sendable (Int) -> [UInt8]
    ) async throws {
        for engine in Self.engines {
            let server = try await EngineServer.start(engine: engine, authenticator: AnonymousAuthenticator()) {
                $0.outputWatermark = watermark
                $0.outputBudget = budget
                $0.outputStallTimeoutSeconds = stallSeconds
            }
            let good = try await RawMQTTClient.connect(port: server.port, name: "good")
            try await good.send(MQTTBytes.connect(.v3_1_1, clientId: "good"))
            try await good.expect(MQTTBytes.connack(.v3_1_1), "\(engine): CONNACK of the good client")
            try await good.send(MQTTBytes.subscribe(1, "ok/#", qos: 1))
            try await good.expect(MQTTBytes.suback(1, [1]), "\(engine): SUBACK")

            let flooder = try await RawMQTTClient.connect(port: server.port, name: "\(name)-flooder", reading: false, receiveBuffer: 4096)
            try await flooder.send(MQTTBytes.connect(.v3_1_1, clientId: "flooder"))
            if prefill {
                // Messages to itself fill the socket buffers towards the flooder first (the kernel takes
                // megabytes on loopback), so that the flood's answers back up at once.
                try await flooder.send(MQTTBytes.subscribe(1, "fill/flooder", qos: 0))
                for _ in 0..<24 { try await flooder.send(MQTTBytes.publish("fill/flooder", [UInt8](repeating: 0x66, count: 200 * 1024))) }
            }
            // One chunk of about 256 KiB, built once and sent again and again (as fast as the socket takes it).
            var chunk: [UInt8] = []
            var index = 0
            while chunk.count < 256 * 1024 {
                chunk += packet(index)
                index += 1
            }
            let flood = Task { [chunk] in
                while !Task.isCancelled && !flooder.isClosed {
                    try? await flooder.send(chunk)
                }
            }
            // The good client works while the flooder is connected and after it is gone.
            var largest = 0
            var round = 0
            let deadline = ContinuousClock.now + .seconds(60)
            var flooderGone = false
            while !flooderGone && ContinuousClock.now < deadline {
                round += 1
                let packetId = UInt16(round % 60_000 + 1)
                try await good.send(MQTTBytes.publish("ok/\(engine)", "m\(round)", qos: 1, packetId: packetId))
                let packets = [try await good.readPacket(timeout: .seconds(10)), try await good.readPacket(timeout: .seconds(10))]
                XCTAssertTrue(packets.contains(MQTTBytes.puback(packetId)), "\(engine): PUBACK of round \(round)")
                guard let delivery = packets.first(where: { $0.first.map { $0 & 0xF0 } == 0x30 }) else {
                    return XCTFail("\(engine): no delivery in round \(round)")
                }
                try await good.send(MQTTBytes.puback(UInt16(delivery[delivery.count - 2 - "m\(round)".utf8.count]) << 8 | UInt16(delivery[delivery.count - 1 - "m\(round)".utf8.count])))
                XCTAssertEqual(Array(delivery.suffix("m\(round)".utf8.count)), Array("m\(round)".utf8))
                let output = server.server.host.unwrittenOutput()
                largest = max(largest, output.values.max() ?? 0)
                flooderGone = output.count == 1
                try await Task.sleep(for: .milliseconds(20))
            }
            flood.cancel()
            XCTAssertTrue(flooderGone, "\(engine) \(name): the flooder was cut off (largest unwritten \(largest), rounds \(round))")
            // The queue holds at most the budget; the transport at most its 64 KiB watermark plus one flush of the
            // queue.
            XCTAssertLessThanOrEqual(largest, 2 * budget + 64 * 1024, "\(engine) \(name): the flooder's unwritten bytes stay bounded")
            XCTAssertGreaterThan(round, 0, "\(engine) \(name): the good client kept working")
            try await good.ping("\(engine) \(name): the good client is still connected")
            await good.close()
            await flooder.close()
            try await server.stop()
        }
    }
}

/// `value` as an MQTT variable byte integer.
func variableByteInteger(_ value: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    var rest = value
    repeat {
        var byte = UInt8(rest % 128)
        rest /= 128
        if rest > 0 { byte |= 0x80 }
        bytes.append(byte)
    } while rest > 0
    return bytes
}

/// An `MQTTServer` with one plain-TCP listener on the given engine, on a loopback port.
struct EngineServer {
    let server: MQTTServer
    let port: Int
    let group: ServiceGroup
    let running: Task<Void, any Error>

    static func start(
        engine: MQTTServerConfiguration.TCPEngine, authenticator: any MQTTAuthenticator, journal: BrokerJournalQueue? = nil,
        configure: (inout MQTTServerConfiguration) -> Void = { _ in }
    ) async throws -> EngineServer {
        var configuration = MQTTServerConfiguration(listeners: [.init(host: "127.0.0.1", port: 0, transport: .tcp)])
        configuration.tcpEngine = engine
        configuration.pollThreads = 2
        configure(&configuration)
        let bound = AsyncStream<Int>.makeStream()
        let server = MQTTServer(
            configuration: configuration, broker: Broker(), authenticator: authenticator,
            logger: Logger(label: "engine-test"), onBound: { _, port in bound.continuation.yield(port) }, journal: journal
        )
        let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "engine-test")))
        let running = Task { try await group.run() }
        var ports = bound.stream.makeAsyncIterator()
        let next = await ports.next()
        return EngineServer(server: server, port: try XCTUnwrap(next, "the listener bound"), group: group, running: running)
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
