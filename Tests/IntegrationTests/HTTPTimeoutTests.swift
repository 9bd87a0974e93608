import Foundation
import HubServer
import HubTesting
import NIOCore
import NIOPosix
import NIOSSL
import XCTest

/// Issue #12 item 2: every HTTP listener (device HTTP, device HTTPS, management API) closes a connection
/// that trickles its request head (slowloris), stalls its body, or stays idle between requests, after the
/// timeouts set in the configuration (1 s here; the deadlines below are generous and bound nothing); it
/// answers and closes HTTP/1.0, closes after a refused body, and caps its connections. Without the guard
/// every one of these connections stays open.
final class HTTPTimeoutTests: XCTestCase {
    private func startHub(_ configure: (inout HubConfiguration) -> Void = { _ in }) async throws -> (TestHub, [BoundPorts.Listener: Int]) {
        let hub = try await TestHub.start {
            $0.httpsPort = 0
            $0.httpHeaderTimeout = 1
            $0.httpBodyTimeout = 1
            $0.httpIdleTimeout = 1
            $0.httpLingerTimeout = 1
            configure(&$0)
        }
        let ports: [BoundPorts.Listener: Int] = [.http: hub.httpPort, .https: await hub.port(.https), .api: hub.apiPort]
        return (hub, ports)
    }

    func testSlowlorisHeadIsClosedAfterTheHeaderTimeoutOnEveryListener() async throws {
        // Only the header timeout is short: the others (600 s) cannot be what closes these connections.
        let (hub, ports) = try await startHub {
            $0.httpBodyTimeout = 600
            $0.httpIdleTimeout = 600
            $0.httpLingerTimeout = 600
        }
        defer { Task { await hub.stopAndRemove() } }
        for listener in [BoundPorts.Listener.http, .api] {
            let socket = try RawSocket(port: ports[listener]!)
            // One header byte every 100 ms: the head never completes, and every byte is a read.
            let head = Array("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8) + [UInt8](repeating: UInt8(ascii: "s"), count: 1000)
            var sent = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while !socket.peerClosed, ContinuousClock.now < deadline, sent < head.count {
                sent += socket.sendSome(head[sent..<sent + 1])
                socket.pump()
                try await Task.sleep(for: .milliseconds(100))
            }
            XCTAssertTrue(socket.peerClosed, "\(listener): a head trickled byte by byte is closed")
            XCTAssertTrue(socket.received.isEmpty, "\(listener): closed without an answer")
        }
        // HTTPS: the header timeout runs from the accept, so a client that never finishes its TLS handshake
        // (or never sends anything) is closed as well.
        let silent = try RawSocket(port: ports[.https]!)
        let closed = try await silent.waitForClose()
        XCTAssertTrue(closed, "https: a silent connection is closed")
    }

    /// The MQTT WebSocket listener starts with an HTTP upgrade: it must be done within the MQTT connect
    /// timeout of the accept (without the deadline, the connect timeout only starts after the upgrade).
    func testTrickledWebSocketUpgradeIsClosedAfterTheConnectTimeout() async throws {
        let (hub, _) = try await startHub { $0.mqttConnectTimeout = 1 }
        defer { Task { await hub.stopAndRemove() } }
        let socket = try RawSocket(port: await hub.port(.websocket))
        let head = Array("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nX-Slow: ".utf8) + [UInt8](repeating: UInt8(ascii: "s"), count: 1000)
        var sent = 0
        let deadline = ContinuousClock.now + .seconds(20)
        while !socket.peerClosed, ContinuousClock.now < deadline, sent < head.count {
            sent += socket.sendSome(head[sent..<sent + 1])
            socket.pump()
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertTrue(socket.peerClosed, "a WebSocket upgrade trickled byte by byte is closed")
    }

    func testStalledBodyIsClosedAfterTheBodyTimeout() async throws {
        let (hub, ports) = try await startHub { $0.httpHeaderTimeout = 60; $0.httpIdleTimeout = 60 }
        defer { Task { await hub.stopAndRemove() } }
        for (listener, path) in [(BoundPorts.Listener.http, "/register/dev"), (.api, "/")] {
            let socket = try RawSocket(port: ports[listener]!)
            let sent = try await socket.send(Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"a\":".utf8))
            XCTAssertTrue(sent)
            let closed = try await socket.waitForClose()
            XCTAssertTrue(closed, "\(listener): a body that stops coming is closed")
        }
        let tls = try await TLSTestClient.connect(port: ports[.https]!, caFile: hub.dataDirectory + "/ca/ca.cert.pem")
        try await tls.send("POST /register/dev HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"a\":")
        let tlsClosed = try await tls.waitForClose()
        XCTAssertTrue(tlsClosed, "https: a body that stops coming is closed")
    }

    func testIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        let (hub, ports) = try await startHub { $0.httpHeaderTimeout = 60; $0.httpBodyTimeout = 60 }
        defer { Task { await hub.stopAndRemove() } }
        for listener in [BoundPorts.Listener.http, .api] {
            let socket = try RawSocket(port: ports[listener]!)
            // Two requests on one connection: keep-alive works, then the connection is idle.
            for _ in 0..<2 {
                socket.clearReceived()
                _ = try await socket.send(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
                let response = try await socket.response()
                XCTAssertNotNil(response, "\(listener): answered on a kept-alive connection")
                XCTAssertNil(response?.headers["connection"], "\(listener): kept alive")
            }
            let closed = try await socket.waitForClose()
            XCTAssertTrue(closed, "\(listener): an idle keep-alive connection is closed")
        }
        let tls = try await TLSTestClient.connect(port: ports[.https]!, caFile: hub.dataDirectory + "/ca/ca.cert.pem")
        try await tls.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let tlsClosed = try await tls.waitForClose()
        XCTAssertTrue(tlsClosed, "https: an idle keep-alive connection is closed")
        XCTAssertTrue(String(decoding: tls.received, as: UTF8.self).hasPrefix("HTTP/1.1 200"), "https: answered before")
    }

    func testHTTP10IsAnsweredAndClosed() async throws {
        // Long timeouts: only the end of the HTTP/1.0 exchange can close these connections.
        let (hub, ports) = try await startHub { $0.httpHeaderTimeout = 600; $0.httpBodyTimeout = 600; $0.httpIdleTimeout = 600; $0.httpLingerTimeout = 600 }
        defer { Task { await hub.stopAndRemove() } }
        for listener in [BoundPorts.Listener.http, .api] {
            let socket = try RawSocket(port: ports[listener]!)
            _ = try await socket.send(Array("GET /health HTTP/1.0\r\n\r\n".utf8))
            let closed = try await socket.waitForClose()
            XCTAssertTrue(closed, "\(listener): HTTP/1.0 without keep-alive is closed after its answer")
            let response = RawSocket.Response(parsing: socket.received)
            XCTAssertNotNil(response, "\(listener): answered")
            XCTAssertEqual(response?.headers["connection"], "close")
        }
    }

    /// A body the handler does not read (`/health`), or refuses at the size limit, gets `Connection: close`;
    /// the hub reads and discards what follows for at most the linger timeout, then closes even a client that
    /// never stops sending (without the guard: drained forever, or never read again after
    /// `Connection: close`).
    func testUnreadBodyIsAnsweredWithCloseAndDrainedForABoundedTime() async throws {
        let (hub, ports) = try await startHub { $0.httpHeaderTimeout = 600; $0.httpBodyTimeout = 600; $0.httpIdleTimeout = 600 }
        defer { Task { await hub.stopAndRemove() } }
        for (listener, path) in [(BoundPorts.Listener.http, "/health"), (.http, "/register/dev"), (.api, "/")] {
            let socket = try RawSocket(port: ports[listener]!)
            _ = try await socket.send(Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n".utf8))
            let junk = [UInt8](repeating: UInt8(ascii: "x"), count: 16 * 1024)
            let deadline = ContinuousClock.now + .seconds(20)
            // The client keeps sending its 100 MB body and never closes; the hub must end it.
            var refused = false
            while ContinuousClock.now < deadline {
                if socket.sendSome(junk[...]) == 0 {
                    // Stopped taking bytes: the hub closed (a send then fails) or is not reading.
                    var probe = pollfd(fd: socket.descriptor, events: Int16(POLLOUT), revents: 0)
                    if poll(&probe, 1, 0) > 0, probe.revents & Int16(POLLERR | POLLHUP) != 0 { refused = true; break }
                }
                socket.pump()
                try await Task.sleep(for: .milliseconds(2))
            }
            XCTAssertTrue(refused, "\(listener) \(path): the hub stops reading a refused body within the linger timeout and closes")
            let response = RawSocket.Response(parsing: socket.received)
            XCTAssertNotNil(response, "\(listener) \(path): answered")
            XCTAssertEqual(response?.headers["connection"], "close", "\(listener) \(path)")
        }
        // HTTPS: answered with close, then closed although the client neither finishes its body nor closes.
        let tls = try await TLSTestClient.connect(port: ports[.https]!, caFile: hub.dataDirectory + "/ca/ca.cert.pem")
        try await tls.send("POST /register/dev HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n" + String(repeating: "x", count: 64 * 1024))
        let tlsClosed = try await tls.waitForClose()
        XCTAssertTrue(tlsClosed, "https: closed after answering a refused body")
        let tlsResponse = RawSocket.Response(parsing: tls.received)
        XCTAssertEqual(tlsResponse?.headers["connection"], "close", "https")
    }

    /// Lingering reads at most the linger byte budget: a client that keeps streaming a refused body is closed
    /// once it sent more, long before the linger timeout (600 s here), after it got its answer.
    func testLingeringStopsAfterTheByteBudget() async throws {
        let (hub, ports) = try await startHub {
            $0.httpHeaderTimeout = 600
            $0.httpBodyTimeout = 600
            $0.httpIdleTimeout = 600
            $0.httpLingerTimeout = 600
            $0.httpLingerBytes = 64 * 1024
        }
        defer { Task { await hub.stopAndRemove() } }
        for (listener, path) in [(BoundPorts.Listener.http, "/health"), (.http, "/device/register"), (.api, "/")] {
            let socket = try RawSocket(port: ports[listener]!)
            _ = try await socket.send(Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n".utf8))
            let junk = [UInt8](repeating: UInt8(ascii: "x"), count: 16 * 1024)
            let deadline = ContinuousClock.now + .seconds(20)
            var closed = false
            while ContinuousClock.now < deadline {
                if socket.sendSome(junk[...]) == 0 {
                    var probe = pollfd(fd: socket.descriptor, events: Int16(POLLOUT), revents: 0)
                    if poll(&probe, 1, 0) > 0, probe.revents & Int16(POLLERR | POLLHUP) != 0 { closed = true; break }
                }
                socket.pump()
                try await Task.sleep(for: .milliseconds(2))
            }
            XCTAssertTrue(closed, "\(listener) \(path): closed once 64 KiB more arrived while lingering (linger timeout 600 s)")
            XCTAssertNotNil(RawSocket.Response(parsing: socket.received), "\(listener) \(path): answered before")
        }
    }

    func testConnectionLimitPerListener() async throws {
        let (hub, ports) = try await startHub { $0.httpHeaderTimeout = 600; $0.httpIdleTimeout = 600; $0.httpMaxConnections = 3 }
        defer { Task { await hub.stopAndRemove() } }
        var idle: [RawSocket] = []
        for _ in 0..<3 { idle.append(try RawSocket(port: ports[.api]!)) }
        try await waitUntil { hub.hub.openHTTPConnections(.api) == 3 }
        // Over the limit: closed at once, unanswered.
        let over = try RawSocket(port: ports[.api]!)
        _ = try await over.send(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let overClosed = try await over.waitForClose()
        XCTAssertTrue(overClosed, "a connection over the limit is closed")
        XCTAssertTrue(over.received.isEmpty)
        // Another listener has its own count.
        let device = try RawSocket(port: ports[.http]!)
        _ = try await device.send(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let answered = try await device.response()
        XCTAssertEqual(answered?.status, 200, "the device listener serves while the API listener is full")
        // A slot freed: served again.
        idle.removeFirst().close()
        try await waitUntil { hub.hub.openHTTPConnections(.api) == 2 }
        let again = try RawSocket(port: ports[.api]!)
        _ = try await again.send(Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let response = try await again.response()
        XCTAssertNotNil(response, "served once a connection closed")
        for socket in idle + [again, device] { socket.close() }
        try await waitUntil { hub.hub.openHTTPConnections(.api) == 0 && hub.hub.openHTTPConnections(.http) == 0 }
    }

    private func waitUntil(_ condition: () -> Bool, timeout: Duration = .seconds(20), file: StaticString = #filePath, line: UInt = #line) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { return XCTFail("condition not met in time", file: file, line: line) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A TLS client over NIO that keeps what it receives and notices the close.
final class TLSTestClient: @unchecked Sendable {
    private let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int, caFile: String) async throws -> TLSTestClient {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(caFile)
        let context = try NIOSSLContext(configuration: configuration)
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return TLSTestClient(channel: channel, collector: collector)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    var received: [UInt8] { (try? channel.eventLoop.submit { self.collector.received }.wait()) ?? [] }

    /// True once the hub closed the connection (within `timeout`).
    func waitForClose(timeout: TimeAmount = .seconds(20)) async throws -> Bool {
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { [channel, collector] in
            collector.closingOurselves = true
            channel.close(promise: nil)
        }
        try? await channel.closeFuture.get()
        deadline.cancel()
        return try await channel.eventLoop.submit { self.collector.closedByPeer }.get()
    }

    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var received: [UInt8] = []
        var closedByPeer = false
        var closingOurselves = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received += buffer.readBytes(length: buffer.readableBytes) ?? []
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event as? ChannelEvent == .inputClosed { closedByPeer = true }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !closingOurselves { closedByPeer = true }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // An unclean TLS shutdown (the hub closed the socket) ends the connection as well.
            if !closingOurselves { closedByPeer = true }
            context.close(promise: nil)
        }
    }
}
