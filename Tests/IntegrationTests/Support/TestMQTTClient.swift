import DeviceAuth
import Foundation
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

/// A minimal MQTT 3.1.1 client on the project's codec, for integration tests: every received packet is
/// queued; tests await the next one of a kind.
final class TestMQTTClient: @unchecked Sendable {
    private let channel: any Channel
    private let inbox: Inbox

    final class Inbox: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = MQTTFrame
        private let lock = NIOLock()
        private var packets: [MQTTPacket] = []
        private(set) var closed = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            if let packet = try? MQTTPacketDecoder.decode(frame, version: .v3_1_1) {
                lock.withLock { packets.append(packet) }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            lock.withLock { closed = true }
        }

        func take(where predicate: (MQTTPacket) -> Bool) -> MQTTPacket? {
            lock.withLock {
                guard let index = packets.firstIndex(where: predicate) else { return nil }
                return packets.remove(at: index)
            }
        }

        var isClosed: Bool { lock.withLock { closed } }
    }

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    static func connect(port: Int, _ packet: MQTTConnect, connackTimeout: Double = 5) async throws -> (TestMQTTClient, MQTTConnAck?) {
        let inbox = Inbox()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([ByteToMessageHandler(MQTTFrameDecoder(maxPacketSize: 1 << 20)), inbox])
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let client = TestMQTTClient(channel: channel, inbox: inbox)
        try await client.send(.connect(packet))
        let connack = try? await client.next(timeout: connackTimeout) { if case .connack = $0 { true } else { false } }
        if case .connack(let ack)? = connack { return (client, ack) }
        return (client, nil)
    }

    /// Connects as a Tencent device with a PSK (HMAC-SHA1 password).
    static func device(
        port: Int, productId: String, deviceName: String, psk: String, keepAlive: UInt16 = 60, cleanSession: Bool = true,
        connackTimeout: Double = 5
    ) async throws -> (TestMQTTClient, MQTTConnAck?) {
        let clientId = productId + deviceName
        let username = DeviceUsername.make(productId: productId, deviceName: deviceName, sdkAppId: "21010406", connId: "abcde", expiry: .never)
        let password = try MQTTPassword.make(username: username, devicePSK: psk, method: .hmacSHA1)
        return try await connect(port: port, MQTTConnect(
            protocolName: "MQTT", protocolLevel: 4, cleanSession: cleanSession, keepAlive: keepAlive, clientId: clientId, will: nil,
            username: username, password: Array(password.utf8), properties: MQTTProperties()
        ), connackTimeout: connackTimeout)
    }

    /// Connects with a username and password (applications), or none.
    static func plain(port: Int, clientId: String, username: String? = nil, password: String? = nil) async throws -> (TestMQTTClient, MQTTConnAck?) {
        try await connect(port: port, MQTTConnect(
            protocolName: "MQTT", protocolLevel: 4, cleanSession: true, keepAlive: 60, clientId: clientId, will: nil,
            username: username, password: password.map { Array($0.utf8) }, properties: MQTTProperties()
        ))
    }

    func send(_ packet: MQTTPacket) async throws {
        var buffer = channel.allocator.buffer(capacity: 64)
        MQTTPacketEncoder.encode(packet, version: .v3_1_1, into: &buffer)
        try await channel.writeAndFlush(buffer)
    }

    /// Waits for the next packet matching the predicate.
    func next(timeout: Double = 5, where predicate: (MQTTPacket) -> Bool) async throws -> MQTTPacket {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let packet = inbox.take(where: predicate) { return packet }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TimeoutError()
    }

    struct TimeoutError: Error {}

    func subscribe(_ filter: String, qos: MQTTQoS = .atMostOnce, id: UInt16 = 1) async throws -> [UInt8] {
        try await send(.subscribe(MQTTSubscribe(packetId: id, subscriptions: [MQTTSubscription(filter: filter, qos: qos)])))
        let packet = try await next { if case .suback(let ack) = $0 { ack.packetId == id } else { false } }
        guard case .suback(let ack) = packet else { return [] }
        return ack.returnCodes
    }

    func publish(_ topic: String, _ text: String, qos: MQTTQoS = .atMostOnce, id: UInt16? = nil) async throws {
        try await send(.publish(MQTTPublish(
            topic: topic, payload: ByteBuffer(string: text), qos: qos, retain: false, dup: false, packetId: id, properties: MQTTProperties()
        )))
    }

    /// The next PUBLISH received.
    func message(timeout: Double = 5) async throws -> MQTTPublish {
        guard case .publish(let publish) = try await next(timeout: timeout, where: { if case .publish = $0 { true } else { false } }) else {
            throw TimeoutError()
        }
        return publish
    }

    /// Waits until the server closed the connection; returns false on timeout.
    func waitForClose(timeout: Double = 5) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if inbox.isClosed { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return inbox.isClosed
    }

    func close() async {
        try? await channel.close()
    }
}
