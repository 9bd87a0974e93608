import Dispatch
import HubServer
import BrokerCore
import HubTesting
import Logging
@testable import MQTTServer
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Synchronization
import XCTest

/// 12: what the plain-TCP engines (the poll transport, the default on Linux, and NIO) must do beyond the
/// protocol itself: connect timeout, connection limit, a subscriber that stops reading, both engines.
final class MQTTConformance12TCPEngineTests: MQTTConformanceCase {
    /// A connection that sends no CONNECT within the timeout is closed; one that did is not.
    func testSilentConnectionsAreClosedAfterTheConnectTimeout() async throws {
        _ = try await hub { $0.mqttConnectTimeout = 1 }
        let silent = try await open("silent")
        let talker = try await connected(.v3_1_1, uniqueId("talker"))
        try await silent.expectClose(timeout: .seconds(10), "no CONNECT within 1 s")
        try await talker.expectSilence(for: .milliseconds(1500), "a connected client outlives the connect timeout")
        try await talker.ping("still connected after the connect timeout")
    }

    /// Beyond `mqttMaxConnections` connected clients, a new client gets CONNACK 3 and is closed; a freed place
    /// is taken again.
    func testConnectionLimit() async throws {
        _ = try await hub { $0.mqttMaxConnections = 2 }
        let first = try await connected(.v3_1_1, uniqueId("first"))
        _ = try await connected(.v3_1_1, uniqueId("second"))
        let third = try await open("third")
        try await third.send(MQTTBytes.connect(.v3_1_1, clientId: uniqueId("third")))
        try await third.expectClose(allowing: MQTTBytes.connack(.v3_1_1, returnCode: 3), "third connection over a limit of 2")
        try await first.send(MQTTBytes.disconnect)
        try await first.expectClose("after DISCONNECT")
        var admitted = false
        for _ in 0..<50 where !admitted {
            let again = try await open("again")
            try await again.send(MQTTBytes.connect(.v3_1_1, clientId: uniqueId("again")))
            admitted = (try? await again.expect(MQTTBytes.connack(.v3_1_1), timeout: .seconds(1))) != nil
            if !admitted { try await Task.sleep(for: .milliseconds(50)) }
        }
        XCTAssertTrue(admitted, "a place freed by DISCONNECT is taken by a new client")
    }

    /// A subscriber that stops reading: the hub's writes back up (socket full, bytes kept, writability
    /// awaited) and, once it reads again, every message arrives, complete and in order.
    func testSubscriberThatStopsReadingGetsEverythingInOrder() async throws {
        let port = try await hub().port(.mqtt)
        let subscriberId = uniqueId("slow")
        let slow = try await RawMQTTClient.connect(port: port, name: "slow", reading: false, receiveBuffer: 4096)
        try await slow.send(MQTTBytes.connect(.v3_1_1, clientId: subscriberId))
        try await slow.send(MQTTBytes.subscribe(1, "flood/#", qos: 0))
        let publisher = try await connected(.v3_1_1, uniqueId("publisher"))
        // 300 × 32 KiB = 9.6 MB: far more than the socket buffers hold, less than the handle's queue of
        // 1,000 packets (beyond which QoS 0 messages would be dropped, by design).
        let count = 300
        let payloadSize = 32 * 1024
        for index in 0..<count {
            var payload = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: payloadSize)
            payload[0] = UInt8(index >> 8)
            payload[1] = UInt8(index & 0xFF)
            try await publisher.send(MQTTBytes.publish("flood/\(index % 7)", payload))
        }
        // The publisher's messages have all been routed once its PINGRESP comes back.
        try await publisher.ping("after the flood")
        try await slow.resumeReading()
        try await slow.expect(MQTTBytes.connack(.v3_1_1), timeout: .seconds(10), "CONNACK")
        try await slow.expect(MQTTBytes.suback(1, [0]), timeout: .seconds(10), "SUBACK")
        for index in 0..<count {
            let packet = try await slow.readPacket(timeout: .seconds(20), "message \(index)")
            var expected = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: payloadSize)
            expected[0] = UInt8(index >> 8)
            expected[1] = UInt8(index & 0xFF)
            guard packet == MQTTBytes.publish("flood/\(index % 7)", expected) else {
                return XCTFail("message \(index) differs (\(packet.count) bytes)")
            }
        }
        try await slow.ping("connection still healthy after the backlog")
    }

    /// The NIO engine for plain TCP (`--mqtt-tcp-engine nio`) serves a whole session too (scripts/test runs
    /// the conformance suite on it as well).
    func testNIOEngineServesASession() async throws {
        _ = try await hub { $0.mqttTCPEngine = .nio }
        let subscriber = try await connected(.v3_1_1, uniqueId("sub"))
        try await subscribe(subscriber, "engine/nio", qos: 1)
        let publisher = try await connected(.v3_1, uniqueId("pub"))
        try await publisher.send(MQTTBytes.publish("engine/nio", "hello", qos: 1, packetId: 7))
        try await publisher.expect(MQTTBytes.puback(7), "PUBACK")
        let delivery = try await subscriber.readPacket()
        XCTAssertEqual(delivery.first.map { $0 & 0xF0 }, 0x30, "a PUBLISH")
        XCTAssertEqual(Array(delivery.suffix(5)), Array("hello".utf8))
    }
}

/// The poll transport's event loop is a complete NIO `EventLoop`: the authenticator's futures and
/// `NIOLoopBound` rely on it.
final class PollLoopTests: XCTestCase {
    #if os(Linux)
    func testTasksTimersAndCancellation() async throws {
        let loop = try PollLoop(index: 9)
        loop.start()
        XCTAssertFalse(loop.inEventLoop)
        // Tasks from another thread run in order, on the loop.
        let order = NIOLockedValueBox<[Int]>([])
        for index in 0..<100 {
            loop.execute {
                precondition(loop.inEventLoop)
                order.withLockedValue { $0.append(index) }
            }
        }
        let onLoop = try await loop.submit { loop.inEventLoop }.get()
        XCTAssertTrue(onLoop)
        XCTAssertEqual(order.withLockedValue { $0 }, Array(0..<100))
        // Timers fire by deadline, not by the order they were scheduled in; a cancelled one never runs.
        let fired = NIOLockedValueBox<[String]>([])
        let late = loop.scheduleTask(in: .milliseconds(60)) { fired.withLockedValue { $0.append("late") } }
        let early = loop.scheduleTask(in: .milliseconds(20)) { fired.withLockedValue { $0.append("early") } }
        let cancelled = loop.scheduleTask(in: .milliseconds(40)) { fired.withLockedValue { $0.append("cancelled") } }
        cancelled.cancel()
        try await late.futureResult.get()
        try await early.futureResult.get()
        do {
            try await cancelled.futureResult.get()
            XCTFail("a cancelled task's future fails")
        } catch {}
        XCTAssertEqual(fired.withLockedValue { $0 }, ["early", "late"])
        // A promise completed from another thread runs its callbacks on the loop.
        let promise = loop.makePromise(of: Int.self)
        DispatchQueue.global().async { promise.succeed(42) }
        let value = try await promise.futureResult.map { value -> Int in
            precondition(loop.inEventLoop)
            return value + 1
        }.get()
        XCTAssertEqual(value, 43)
        try await loop.shutdownGracefully()
    }
    #endif
}

/// The poll transport spreads connections over its loops (the loop that accepts is nearly always the first:
/// without the round-robin hand-out one loop would serve almost every connection).
final class PollTransportBalanceTests: XCTestCase {
    #if os(Linux)
    func testConnectionsAreSpreadOverTheLoops() async throws {
        let running = try await PollServer.start(threads: 2, authenticator: AnonymousAuthenticator())
        let (server, port) = (running.server, running.port)
        let aliveBefore = PollConnection.alive.load(ordering: .relaxed)
        var clients: [RawMQTTClient] = []
        for index in 0..<20 {
            let client = try await RawMQTTClient.connect(port: port, name: "c\(index)")
            try await client.send(MQTTBytes.connect(.v3_1_1, clientId: "balance-\(index)"))
            try await client.expect(MQTTBytes.connack(.v3_1_1), "CONNACK \(index)")
            clients.append(client)
        }
        let descriptors = try await server.poll.connectionDescriptors()
        XCTAssertEqual(descriptors.map(\.count), [10, 10], "20 connections, round-robin over 2 loops")
        let noDelay = descriptors.joined().allSatisfy { fd in
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            return getsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length) == 0 && value != 0
        }
        XCTAssertTrue(noDelay, "accepted sockets have TCP_NODELAY (inherited from the listening socket)")
        // A connection that closes before CONNECT (still awaiting its connect timeout) and one that is refused.
        let early = try await RawMQTTClient.connect(port: port, name: "early")
        await early.close()
        let refused = try await RawMQTTClient.connect(port: port, name: "refused")
        try await refused.send(MQTTBytes.connect(protocolName: "MQTT", level: 9, clientId: "x"))
        try await refused.expect(MQTTBytes.connack(.v3_1_1, returnCode: 1), "CONNACK 1")
        for client in clients { await client.close() }
        // Every connection is freed once closed (a connection and its write handle refer to each other until
        // the close breaks the cycle; pending connect timeouts do not hold connections).
        var alive = PollConnection.alive.load(ordering: .relaxed)
        for _ in 0..<250 where alive > aliveBefore {
            try await Task.sleep(for: .milliseconds(20))
            alive = PollConnection.alive.load(ordering: .relaxed)
        }
        XCTAssertLessThanOrEqual(alive, aliveBefore, "connections still alive after closing")
        try await running.stop()
    }
    #endif
}

/// A connection reset while its login is still being decided, with a packet behind its CONNECT (so reading
/// is paused): epoll reports the reset whatever the connection waits for, and the poll transport must close
/// the connection then (a loop that only read on such events would be woken for it again and again until
/// the login was decided).
final class PollTransportResetWhilePausedTests: XCTestCase {
    /// Decides every login only when the test says so.
    final class HeldAuthenticator: MQTTAuthenticator, @unchecked Sendable {
        let pending = NIOLockedValueBox<[EventLoopPromise<MQTTAuthDecision>]>([])
        let closed = NIOLockedValueBox<Int>(0)

        func authenticate(_ context: MQTTConnectContext, eventLoop: any EventLoop) -> MQTTAuthOutcome {
            let promise = eventLoop.makePromise(of: MQTTAuthDecision.self)
            pending.withLockedValue { $0.append(promise) }
            return .deferred(promise.futureResult)
        }

        func connectionClosed(_ identity: ClientIdentity, clientId: String, eventLoop: any EventLoop) {
            closed.withLockedValue { $0 += 1 }
        }
    }

    #if os(Linux)
    func testResetWhileReadingIsPausedClosesTheConnection() async throws {
        let authenticator = HeldAuthenticator()
        let running = try await PollServer.start(threads: 1, authenticator: authenticator)
        let (server, port) = (running.server, running.port)

        // A plain socket: CONNECT and a PINGREQ behind it in one write, then a reset (SO_LINGER 0).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(connected, 0)
        let bytes = MQTTBytes.connect(.v3_1_1, clientId: "reset-me") + MQTTBytes.pingreq
        XCTAssertEqual(bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }, bytes.count)
        // The login is pending: the connection exists on the loop.
        var waited = 0
        while authenticator.pending.withLockedValue({ $0.isEmpty }), waited < 250 {
            try await Task.sleep(for: .milliseconds(20))
            waited += 1
        }
        XCTAssertEqual(authenticator.pending.withLockedValue { $0.count }, 1, "the login is being decided")
        var perLoop = try await server.poll.connectionDescriptors().map(\.count)
        XCTAssertEqual(perLoop, [1])
        var linger = linger(l_onoff: 1, l_linger: 0)
        XCTAssertEqual(setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size)), 0)
        close(fd)

        // Closed at the reset, while the login is still undecided.
        waited = 0
        repeat {
            try await Task.sleep(for: .milliseconds(20))
            perLoop = try await server.poll.connectionDescriptors().map(\.count)
            waited += 1
        } while perLoop != [0] && waited < 250
        XCTAssertEqual(perLoop, [0], "the reset connection is closed before its login is decided")

        // Accepting the login now undoes it at once (the connection is gone).
        for promise in authenticator.pending.withLockedValue({ $0 }) {
            promise.succeed(.accept(.anonymous))
        }
        waited = 0
        while authenticator.closed.withLockedValue({ $0 }) == 0, waited < 250 {
            try await Task.sleep(for: .milliseconds(20))
            waited += 1
        }
        XCTAssertEqual(authenticator.closed.withLockedValue { $0 }, 1, "a login accepted after the close is undone")
        try await running.stop()
    }
    #endif
}

/// An `MQTTServer` with one plain-TCP listener on the poll transport, on a loopback port, run by a
/// `ServiceGroup` (for tests that look inside the transport).
struct PollServer {
    let server: MQTTServer
    let port: Int
    let group: ServiceGroup
    let running: Task<Void, any Error>

    static func start(threads: Int, authenticator: any MQTTAuthenticator) async throws -> PollServer {
        var configuration = MQTTServerConfiguration(listeners: [.init(host: "127.0.0.1", port: 0, transport: .tcp)])
        configuration.tcpEngine = .poll
        configuration.pollThreads = threads
        let bound = AsyncStream<Int>.makeStream()
        let server = MQTTServer(
            configuration: configuration, broker: Broker(), authenticator: authenticator, logger: Logger(label: "poll-test"),
            onBound: { _, port in bound.continuation.yield(port) }
        )
        let group = ServiceGroup(configuration: .init(services: [server], logger: Logger(label: "poll-test")))
        let running = Task { try await group.run() }
        var ports = bound.stream.makeAsyncIterator()
        let next = await ports.next()
        return PollServer(server: server, port: try XCTUnwrap(next, "the listener bound"), group: group, running: running)
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
