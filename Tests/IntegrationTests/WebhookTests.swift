import CloudAPI
import DeviceAuth
import Foundation
import HubServer
import HubTesting
import JSONCore
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import XCTest

/// A loopback HTTP endpoint that records POST bodies; it can answer 500 to simulate an outage.
final class WebhookReceiver: @unchecked Sendable {
    private let lock = NIOLock()
    private var bodies: [String] = []
    private var failing = false
    private var channel: (any Channel)?

    var port: Int { channel?.localAddress?.port ?? 0 }

    func start(port: Int = 0) async throws {
        let receiver = self
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(receiver: receiver))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    func stop() async { try? await channel?.close() }

    func setFailing(_ value: Bool) { lock.withLock { failing = value } }
    var received: [String] { lock.withLock { bodies } }

    fileprivate func record(_ body: String) -> Bool {
        lock.withLock {
            guard !failing else { return false }
            bodies.append(body)
            return true
        }
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let receiver: WebhookReceiver
        var body = ""
        init(receiver: WebhookReceiver) { self.receiver = receiver }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head: body = ""
            case .body(let buffer): body += String(buffer: buffer)
            case .end:
                let ok = receiver.record(body)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: "0")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: ok ? .ok : .internalServerError, headers: headers))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}

final class WebhookTests: XCTestCase {
    func events(_ receiver: WebhookReceiver) -> [JSONValue] {
        receiver.received.compactMap { try? JSONValue(parsing: $0) }
    }

    func waitFor(_ receiver: WebhookReceiver, timeout: Double = 15, _ predicate: ([JSONValue]) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if predicate(events(receiver)) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return predicate(events(receiver))
    }

    func testMessagesAndLifecycleEventsReachTheWebhookAtLeastOnceAcrossOutagesAndRestarts() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        let directory = NSTemporaryDirectory() + "iothub-webhook-\(UUID().uuidString)"
        var hub = try await TestHub.start(dataDirectory: directory)
        let created = try await hub.api.call(
            "CreateProduct", [("ProductName", .string("hooked")), ("ProductProperties", .object(["EncryptionType": .string("2")]))]
        )
        let productId = try XCTUnwrap(created["ProductId"]?.stringValue)
        let dynreg = try await hub.api.call(
            "UpdateProductDynamicRegister", [("ProductId", .string(productId)), ("RegisterType", .int(2)), ("RegisterLimit", .int(10))]
        )
        let secret = try XCTUnwrap(dynreg["ProductSecret"]?.stringValue)
        do {
            try await hub.api.call("UpdateProductWebhook", [("ProductId", .string(productId)), ("Url", .string("ftp://nope"))])
            XCTFail("non-HTTP URL accepted")
        } catch let failure as TestAPIClient.Failure {
            XCTAssertEqual(failure.code, "InvalidParameterValue")
        }
        try await hub.api.call("UpdateProductWebhook", [("ProductId", .string(productId)), ("Url", .string("http://127.0.0.1:\(receiver.port)/hook"))])
        try await Task.sleep(for: .milliseconds(1200))  // the URL table refreshes every second

        // Registered (dynamic registration), activated + online (first login), a message, offline.
        let body = RegistrationWire.legacyRequestBody(productId: productId, deviceName: "unit", nonce: 1, timestamp: 1, productSecret: secret)
        let raw = try await RawHTTP.exchange(port: hub.httpPort, request: RawHTTP.request(path: "/register/dev", headers: [("Host", "h")], body: Array(body.utf8)))
        guard case .success(let encrypted) = try RegistrationWire.parseLegacyResponse(try XCTUnwrap(RawHTTP.parse(raw)).body),
            case .psk(let psk) = try encrypted.decrypt(productSecret: secret)
        else { return XCTFail("registration failed") }
        let port = await hub.port(.mqtt)
        let (device, ack) = try await TestMQTTClient.device(port: port, productId: productId, deviceName: "unit", psk: psk)
        XCTAssertEqual(ack?.returnCode, 0)
        try await device.publish("\(productId)/unit/event", #"{"t":1}"#, qos: .atLeastOnce, id: 1)
        await device.close()
        let all = await waitFor(receiver) { events in
            Set(events.compactMap { $0["event"]?.stringValue }).isSuperset(of: ["registered", "activated", "online", "offline"])
                && events.contains { $0["type"] == .string("message") }
        }
        XCTAssertTrue(all, "\(receiver.received)")
        let message = events(receiver).first { $0["type"] == .string("message") }
        XCTAssertEqual(message?["topic"], .string("\(productId)/unit/event"))
        XCTAssertEqual(message?["payload"], .string(#"{"t":1}"#))
        XCTAssertEqual(message?["deviceName"], .string("unit"))

        // Outage: the endpoint fails, events wait in the outbox, survive a hub restart, and arrive later.
        receiver.setFailing(true)
        let (again, _) = try await TestMQTTClient.device(port: port, productId: productId, deviceName: "unit", psk: psk)
        try await again.publish("\(productId)/unit/event", "during-outage", qos: .atLeastOnce, id: 2)
        try await Task.sleep(for: .milliseconds(500))
        await again.close()
        try await Task.sleep(for: .milliseconds(500))
        let status = try await hub.api.call("DescribeProductWebhook", [("ProductId", .string(productId))])
        XCTAssertGreaterThan(status["Pending"]?.int64Value ?? 0, 0)
        await hub.stop()
        hub = try await TestHub.start(dataDirectory: directory)
        receiver.setFailing(false)
        let delivered = await waitFor(receiver, timeout: 20) { events in
            events.contains { $0["payload"] == .string("during-outage") }
        }
        XCTAssertTrue(delivered, "\(receiver.received)")
        await hub.stopAndRemove()
        await receiver.stop()
    }
}
