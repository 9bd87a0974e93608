import ArgumentParser
import CloudAPI
import Foundation
import JSONCore
import MQTTCore
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension BenchCommand {
    /// How long a revocation made through one node's management API takes to close the device's session on another
    /// node (issue 16: within 1 s). One device at a time: connect it to the MQTT node, disable it through the API
    /// node, time until its connection is closed.
    struct ClusterRevokeRun: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cluster-revoke",
            abstract: "Time from disabling a device on one node's management API to its MQTT connection on another node closing."
        )

        @Option(help: "Management API port of the node that disables the devices.") var apiPort: Int
        @Option(help: "Management SecretId of that node.") var secretId: String
        @Option(help: "Management SecretKey of that node.") var secretKey: String
        @Option(help: "MQTT port of the node the devices connect to.") var mqttPort: Int
        @Option(help: "Device credentials file (mqtt-register --out).") var credentials: String
        @Option(help: "Devices to revoke, one after the other.") var count = 50
        @Option(help: "Gives up on a connection not closed after this many seconds.") var timeout = 10.0

        func run() async throws {
            let devices = Array(try MQTTDeviceCredential.load(credentials).prefix(count))
            guard !devices.isEmpty else { throw ValidationError("no device credentials in \(credentials)") }
            var closeMillis: [Double] = []
            var apiMillis: [Double] = []
            var notClosed = 0
            for device in devices {
                let connection = try await RevokedConnection.open(port: mqttPort, device: device)
                let start = DispatchTime.now().uptimeNanoseconds
                try await disable(device)
                let answered = DispatchTime.now().uptimeNanoseconds
                apiMillis.append(Double(answered - start) / 1e6)
                if let closedAt = await connection.closed(within: timeout) {
                    closeMillis.append(Double(closedAt - start) / 1e6)
                } else {
                    notClosed += 1
                    connection.close()
                }
            }
            func percentile(_ values: [Double], _ p: Double) -> String {
                let sorted = values.sorted()
                guard !sorted.isEmpty else { return "–" }
                return String(format: "%.1f", sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
            }
            print(
                "cluster-revoke: \(devices.count) devices disabled on the API node, connection closed on the MQTT node after p50 \(percentile(closeMillis, 0.5)) ms, "
                    + "p99 \(percentile(closeMillis, 0.99)) ms, max \(percentile(closeMillis, 1)) ms; not closed within \(timeout) s: \(notClosed); "
                    + "API answered after p50 \(percentile(apiMillis, 0.5)) ms"
            )
            if notClosed > 0 { throw ExitCode(1) }
        }

        private func disable(_ device: MQTTDeviceCredential) async throws {
            let parameters: [(String, JSONValue)] = [
                ("ProductId", .string(device.productId)), ("DeviceName", .string(device.deviceName)), ("EnableState", .int(0)),
            ]
            let body = JSONValue.object(JSONObject(parameters)).serialized()
            let host = "127.0.0.1:\(apiPort)"
            let headers = TC3Signer(secretId: secretId, secretKey: secretKey).postJSONHeaders(
                action: "UpdateDeviceAvailableState", version: "2021-04-08", host: host, body: body,
                timestamp: Int64(Date().timeIntervalSince1970), requestClient: "IOTHUB_BENCH", signsActionHeaders: true
            )
            var request = URLRequest(url: URL(string: "http://\(host)/")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body)
            for header in headers where header.name != "Host" { request.setValue(header.value, forHTTPHeaderField: header.name) }
            let (data, _) = try await URLSession.shared.data(for: request)
            if case .failure(let error) = try APIResponse.parse(Array(data)) {
                throw ValidationError("UpdateDeviceAvailableState \(device.deviceName): \(error.code) \(error.message)")
            }
        }
    }
}

/// One device connection that reports when the server closes it.
private final class RevokedConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let connack: EventLoopPromise<UInt8>
    private let inactive: EventLoopPromise<UInt64>
    private var channel: (any Channel)?

    private init(eventLoop: any EventLoop) {
        connack = eventLoop.makePromise()
        inactive = eventLoop.makePromise()
    }

    static func open(port: Int, device: MQTTDeviceCredential) async throws -> RevokedConnection {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let handler = RevokedConnection(eventLoop: eventLoop)
        let channel = try await ClientBootstrap(group: eventLoop)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
            .connect(host: "127.0.0.1", port: port).get()
        handler.channel = channel
        let login = device.login()
        var packet = channel.allocator.buffer(capacity: 256)
        MQTTPacketEncoder.encode(
            .connect(MQTTConnect(
                protocolName: "MQTT", protocolLevel: 4, cleanSession: true, keepAlive: 60, clientId: device.clientId, will: nil,
                username: login.username, password: Array(login.password.utf8), properties: MQTTProperties()
            )),
            version: .v3_1_1, into: &packet
        )
        try await channel.writeAndFlush(packet)
        let code = try await handler.connack.futureResult.get()
        guard code == 0 else { throw ValidationError("CONNACK \(code) for \(device.deviceName)") }
        return handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        // CONNACK: 0x20 0x02 flags code (the only packet before the close).
        if bytes.readableBytes >= 4, bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) == 0x20 {
            connack.succeed(bytes.getInteger(at: bytes.readerIndex + 3, as: UInt8.self) ?? 0xFF)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        connack.fail(ChannelError.ioOnClosedChannel)
        inactive.succeed(DispatchTime.now().uptimeNanoseconds)
        context.fireChannelInactive()
    }

    /// When the connection closed (monotonic nanoseconds), or nil after `seconds`.
    func closed(within seconds: Double) async -> UInt64? {
        let timeout = inactive.futureResult.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {}
        let result: UInt64? = await withCheckedContinuation { continuation in
            let once = NIOLockedValueBox(false)
            inactive.futureResult.whenSuccess { at in
                if once.withLockedValue({ let first = !$0; $0 = true; return first }) { continuation.resume(returning: at) }
            }
            timeout.futureResult.whenSuccess {
                if once.withLockedValue({ let first = !$0; $0 = true; return first }) { continuation.resume(returning: nil) }
            }
        }
        timeout.cancel()
        return result
    }

    func close() {
        channel?.close(promise: nil)
    }
}
