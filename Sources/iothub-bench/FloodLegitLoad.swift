import MQTTCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The legit side of the flood scenario, on one event loop (every method runs there):
///
/// * `publishers` devices publish QoS 1 to their event topic on a fixed schedule (open loop: a device does
///   not wait for its PUBACK); one application client subscribes `{pid}/+/event` QoS 1. Measured:
///   publish → PUBACK at the device and publish → receipt at the application (timestamp in the payload).
/// * v2 dynamic registrations (auto-create) at a fixed rate, each on a new TCP connection as a device
///   makes it: connect → reply.
/// * device reconnects at a fixed rate (other registered devices than the publishers): new TCP
///   connection, CONNECT → CONNACK, DISCONNECT.
///
/// Each sample belongs to the phase (baseline, flood, after) in which its request was sent. Every client
/// binds to its own loopback source address under the legit prefixes, none of which the flood uses.
final class FloodLegitLoad: MQTTBenchDelegate {
    struct Configuration: Sendable {
        var host: String
        var mqttPort: Int
        var httpPort: Int
        /// Publisher credentials (the first `publishers`), then the reconnecting devices.
        var credentials: [MQTTDeviceCredential]
        var publishers: Int
        var appId: String
        var appSecret: String
        /// Messages per second per publisher.
        var publishRate: Double
        var registrationRate: Double
        var reconnectRate: Double
        var registrations: RegistrationScenario
        /// Source prefixes: MQTT clients, reconnects, registrations.
        var mqttPrefix: String
        var reconnectPrefix: String
        var registrationPrefix: String
        var payloadSize = 64
        var timeout: TimeAmount = .seconds(10)
    }

    private struct Samples {
        var published = 0
        var acked = 0
        var delivered = 0
        var publishAck: [UInt64] = []
        var delivery: [UInt64] = []
        var registration: [UInt64] = []
        var connect: [UInt64] = []
        var failures: [String: Int] = [:]
    }

    private struct Publisher {
        var client: MQTTBenchClient
        var template: ByteBuffer
        var packetIdOffset: Int
        var stampOffset: Int
        var nextPacketId: UInt16 = 1
        var sent = 0
        /// Unacknowledged publishes: packet id → (send time, phase).
        var pending: [UInt16: (UInt64, Int)] = [:]
    }

    private struct Attempt {
        var phase: Int
        var startedAt: UInt64
        var done = false
    }

    let loop: any EventLoop
    let configuration: Configuration
    /// 0 baseline, 1 flood, 2 after; set by the run.
    var phase = 0
    private var samples = [Samples(), Samples(), Samples()]
    private var publishers: [Publisher] = []
    private var subscriber: MQTTBenchClient!
    private var connected = 0
    private var ready: EventLoopPromise<Void>?
    private var running = false
    private var start: UInt64 = 0
    private var tickers: [RepeatedTask] = []
    private var registrationsStarted = 0
    private var registrationsOpen: [Int: Attempt] = [:]
    private var registrationChannels: [Int: any Channel] = [:]
    private var reconnectsStarted = 0
    private var reconnects: [Int: (client: MQTTBenchClient, attempt: Attempt, slot: Int)] = [:]
    /// Reconnecting devices with an attempt open.
    private var reconnectBusy: Set<Int> = []
    private let mqttConnector: MQTTBenchConnector
    private let reconnectConnector: MQTTBenchConnector
    private static let reconnectBase = 1_000_000

    init(loop: any EventLoop, configuration: Configuration) {
        self.loop = loop
        self.configuration = configuration
        // One source address per MQTT client: subscriber .2, publishers .3 …
        mqttConnector = MQTTBenchConnector(host: configuration.host, port: configuration.mqttPort, sourcePrefix: configuration.mqttPrefix, perSource: 1)
        reconnectConnector = MQTTBenchConnector(
            host: configuration.host, port: configuration.mqttPort, sourcePrefix: configuration.reconnectPrefix, perSource: 1
        )
    }

    // MARK: Setup

    /// Connects the subscriber, then the publishers; succeeds when all are connected and subscribed.
    func connect() -> EventLoopFuture<Void> {
        loop.preconditionInEventLoop()
        let promise = loop.makePromise(of: Void.self)
        ready = promise
        let subscribeConnect = MQTTBenchPackets.connect(
            clientId: "floodsub-0", auth: .application(id: configuration.appId, secret: configuration.appSecret)
        )
        subscriber = MQTTBenchClient(index: 0, connectPacket: subscribeConnect, delegate: self)
        mqttConnector.connect(on: loop, index: 0, client: subscriber).assumeIsolated().whenFailure { self.setupFailed("subscriber connect: \($0)") }
        return promise.futureResult
    }

    private func setupFailed(_ reason: String) {
        guard let ready else { return }
        self.ready = nil
        ready.fail(FloodError.setup(reason))
    }

    private func connectPublishers() {
        for index in 0..<configuration.publishers {
            let credential = configuration.credentials[index]
            let topic = credential.eventTopic
            var payload = ByteBuffer(repeating: 0x2E, count: max(configuration.payloadSize, 16))
            payload.setInteger(UInt32(index), at: 0)
            let packet = MQTTPublish(topic: topic, payload: payload, qos: .atLeastOnce, packetId: 1)
            let template = MQTTPacketEncoder.encode(.publish(packet), version: .v3_1_1)
            let header = 1 + VariableByteIntegerSize.of(template.readableBytes)
            let topicEnd = header + 2 + topic.utf8.count
            let client = MQTTBenchClient(
                index: index + 1, connectPacket: MQTTBenchPackets.connect(clientId: "", auth: .device(credential)), delegate: self
            )
            publishers.append(Publisher(client: client, template: template, packetIdOffset: topicEnd, stampOffset: topicEnd + 2 + 4))
            mqttConnector.connect(on: loop, index: index + 1, client: client).assumeIsolated().whenFailure {
                self.setupFailed("publisher connect: \($0)")
            }
        }
    }

    // MARK: Running

    /// Starts the three schedules.
    func run() {
        loop.preconditionInEventLoop()
        running = true
        start = LoadDriver.now()
        let bound = NIOLoopBound(self, eventLoop: loop)
        tickers.append(loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(2)) { _ in bound.value.publishTick() })
        if configuration.registrationRate > 0 {
            let every = TimeAmount.nanoseconds(Int64(1e9 / configuration.registrationRate))
            tickers.append(loop.scheduleRepeatedTask(initialDelay: .milliseconds(3), delay: every) { _ in bound.value.register() })
        }
        if configuration.reconnectRate > 0, configuration.credentials.count > configuration.publishers {
            let every = TimeAmount.nanoseconds(Int64(1e9 / configuration.reconnectRate))
            tickers.append(loop.scheduleRepeatedTask(initialDelay: .milliseconds(7), delay: every) { _ in bound.value.reconnect() })
        }
    }

    /// Publisher `i` sends its `k`-th message at `start + (k - i/P) / rate`.
    private func publishTick() {
        guard running else { return }
        let now = LoadDriver.now()
        let elapsed = Double(now &- start) / 1e9
        let count = Double(publishers.count)
        for index in publishers.indices {
            let due = Int(elapsed * configuration.publishRate + Double(index) / count)
            var pending = due - publishers[index].sent
            guard pending > 0, let context = publishers[index].client.context else { continue }
            var batch = context.channel.allocator.buffer(capacity: pending * publishers[index].template.readableBytes)
            while pending > 0 {
                pending -= 1
                let packetId = publishers[index].nextPacketId
                publishers[index].nextPacketId = packetId == UInt16.max ? 1 : packetId + 1
                let offset = batch.writerIndex
                var copy = publishers[index].template
                batch.writeBuffer(&copy)
                batch.setInteger(packetId, at: offset + publishers[index].packetIdOffset)
                batch.setInteger(now, at: offset + publishers[index].stampOffset)
                batch.setInteger(UInt8(phase), at: offset + publishers[index].stampOffset + 8)
                publishers[index].pending[packetId] = (now, phase)
                publishers[index].sent += 1
                samples[phase].published += 1
            }
            publishers[index].client.send(batch)
        }
    }

    private func register() {
        guard running else { return }
        let number = registrationsStarted
        registrationsStarted += 1
        guard let request = configuration.registrations.request(number) else {
            samples[phase].failures["registration pool exhausted", default: 0] += 1
            return
        }
        registrationsOpen[number] = Attempt(phase: phase, startedAt: LoadDriver.now())
        let handler = LegitRegistrationHandler(number: number, request: request, load: self)
        let bound = NIOLoopBound(handler, eventLoop: loop)
        let source = "\(configuration.registrationPrefix).\(2 + number % 250)"
        do {
            try BenchSockets.bootstrap(on: loop, source: source, connectTimeout: configuration.timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(PreparedRequestWriter())
                        try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
                        try sync.addHandler(bound.value)
                    }
                }
                .connect(host: configuration.host, port: configuration.httpPort)
                .assumeIsolated().whenComplete { result in
                    switch result {
                    case .success(let channel): self.registrationChannels[number] = channel
                    case .failure(let error): self.registrationDone(number, failure: "registration " + BenchSockets.failureName(error))
                    }
                }
        } catch {
            registrationDone(number, failure: "registration socket: \(error)")
        }
        loop.assumeIsolated().scheduleTask(in: configuration.timeout) {
            self.registrationDone(number, failure: "registration: no reply in \(self.configuration.timeout.nanoseconds / 1_000_000_000) s")
        }
    }

    /// A registration ended: answered (`failure` nil or the refusal's code) or lost.
    fileprivate func registrationDone(_ number: Int, failure: String?) {
        guard var attempt = registrationsOpen[number], !attempt.done else { return }
        attempt.done = true
        registrationsOpen[number] = nil
        if let failure {
            samples[attempt.phase].failures[failure, default: 0] += 1
        } else {
            samples[attempt.phase].registration.append(LoadDriver.now() &- attempt.startedAt)
        }
        registrationChannels.removeValue(forKey: number)?.close(promise: nil)
    }

    fileprivate func check(_ number: Int, status: HTTPResponseStatus, body: ByteBuffer?) -> String? {
        configuration.registrations.check(index: number, status: status, body: body).map { "registration \($0)" }
    }

    private func reconnect() {
        guard running else { return }
        let reconnectors = configuration.credentials.count - configuration.publishers
        let number = reconnectsStarted
        reconnectsStarted += 1
        let slot = number % reconnectors
        // One attempt per device at a time: a second CONNECT with the same ClientId would take over the first.
        guard reconnectBusy.insert(slot).inserted else { return }
        let credential = configuration.credentials[configuration.publishers + slot]
        let client = MQTTBenchClient(
            index: Self.reconnectBase + number, connectPacket: MQTTBenchPackets.connect(clientId: "", auth: .device(credential)), delegate: self
        )
        reconnects[number] = (client, Attempt(phase: phase, startedAt: LoadDriver.now()), slot)
        reconnectConnector.connect(on: loop, index: number % 250, client: client).assumeIsolated().whenFailure { error in
            self.reconnectDone(number, failure: "reconnect " + BenchSockets.failureName(error))
        }
        loop.assumeIsolated().scheduleTask(in: configuration.timeout) {
            self.reconnectDone(number, failure: "reconnect: no CONNACK in \(self.configuration.timeout.nanoseconds / 1_000_000_000) s")
        }
    }

    private func reconnectDone(_ number: Int, failure: String?) {
        guard let entry = reconnects.removeValue(forKey: number) else { return }
        reconnectBusy.remove(entry.slot)
        if let failure {
            samples[entry.attempt.phase].failures[failure, default: 0] += 1
        } else {
            samples[entry.attempt.phase].connect.append(LoadDriver.now() &- entry.attempt.startedAt)
        }
        // DISCONNECT, then close.
        entry.client.send(ByteBuffer(bytes: [0xE0, 0x00]))
        entry.client.close()
    }

    /// Stops the schedules, gives what is in flight `drain` to finish, closes everything and returns the
    /// phases (requests never answered count as failures of the phase they were sent in).
    func finish(drain: TimeAmount, phaseSeconds: [Double]) -> EventLoopFuture<[FloodSummary.Phase]> {
        loop.preconditionInEventLoop()
        running = false
        for ticker in tickers { ticker.cancel() }
        tickers = []
        let promise = loop.makePromise(of: [FloodSummary.Phase].self)
        loop.assumeIsolated().scheduleTask(in: drain) {
            for publisher in self.publishers {
                for (_, pending) in publisher.pending { self.samples[pending.1].failures["publish: no PUBACK", default: 0] += 1 }
            }
            for (number, _) in self.registrationsOpen { self.registrationDone(number, failure: "registration: no reply by the end") }
            for (number, _) in self.reconnects { self.reconnectDone(number, failure: "reconnect: no CONNACK by the end") }
            for phase in self.samples.indices {
                let lost = self.samples[phase].published - self.samples[phase].delivered
                if lost > 0 { self.samples[phase].failures["publish: not delivered to the application", default: 0] += lost }
            }
            for publisher in self.publishers { publisher.client.close() }
            self.subscriber?.close()
            let names = ["baseline", "flood", "after"]
            let phases = self.samples.indices.map { index in
                let samples = self.samples[index]
                return FloodSummary.Phase(
                    name: names[index], seconds: phaseSeconds[index], published: samples.published,
                    publishAck: .init(samples.publishAck), delivery: .init(samples.delivery),
                    registration: .init(samples.registration), connect: .init(samples.connect), failures: samples.failures
                )
            }
            self.loop.assumeIsolated().scheduleTask(in: .milliseconds(200)) {
                self.publishers = []
                self.subscriber = nil
                promise.succeed(phases)
            }
        }
        return promise.futureResult
    }

    // MARK: MQTTBenchDelegate

    func connAck(_ client: MQTTBenchClient, returnCode: UInt8) {
        if client.index >= Self.reconnectBase {
            let number = client.index - Self.reconnectBase
            reconnectDone(number, failure: returnCode == 0 ? nil : "reconnect: CONNACK \(returnCode)")
            return
        }
        guard returnCode == 0 else {
            return setupFailed("CONNACK \(returnCode) for \(client.index == 0 ? "the subscriber" : "publisher \(client.index - 1)")")
        }
        if client.index == 0 {
            client.send(MQTTBenchPackets.subscribe(filter: "\(configuration.credentials[0].productId)/+/event", qos: .atLeastOnce))
        } else {
            connected += 1
            if connected == configuration.publishers, let ready {
                self.ready = nil
                ready.succeed()
            }
        }
    }

    func subAck(_ client: MQTTBenchClient) {
        guard client.index == 0 else { return }
        connectPublishers()
    }

    func pubAck(_ client: MQTTBenchClient, packetId: UInt16) {
        let index = client.index - 1
        guard index >= 0, index < publishers.count, let (sentAt, phase) = publishers[index].pending.removeValue(forKey: packetId) else { return }
        samples[phase].acked += 1
        samples[phase].publishAck.append(LoadDriver.now() &- sentAt)
    }

    func published(_ client: MQTTBenchClient, payload: ByteBuffer) {
        guard let stamp = payload.getInteger(at: payload.readerIndex + 4, as: UInt64.self),
            let phase = payload.getInteger(at: payload.readerIndex + 12, as: UInt8.self).map(Int.init), phase < samples.count
        else { return }
        samples[phase].delivered += 1
        samples[phase].delivery.append(LoadDriver.now() &- stamp)
    }

    func writable(_ client: MQTTBenchClient) {}

    func closed(_ client: MQTTBenchClient) {
        if client.index >= Self.reconnectBase {
            reconnectDone(client.index - Self.reconnectBase, failure: "reconnect: closed before CONNACK")
            return
        }
        if ready != nil { return setupFailed("connection \(client.index) closed during setup") }
        if running { samples[phase].failures[client.index == 0 ? "subscriber disconnected" : "publisher disconnected", default: 0] += 1 }
    }
}

/// One legit registration: sends its request once the connection is up and reports the reply.
final class LegitRegistrationHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let number: Int
    private let request: PreparedRequest
    private let load: FloodLegitLoad
    private var status = HTTPResponseStatus.ok
    private var body: ByteBuffer?
    private var sent = false

    init(number: Int, request: PreparedRequest, load: FloodLegitLoad) {
        self.number = number
        self.request = request
        self.load = load
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { send(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context: context)
        context.fireChannelActive()
    }

    private func send(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.bytes))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body(var part):
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            load.registrationDone(number, failure: load.check(number, status: status, body: body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        load.registrationDone(number, failure: "registration: connection closed before the reply")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

enum FloodError: Error, CustomStringConvertible {
    case setup(String)

    var description: String {
        switch self {
        case .setup(let reason): "flood setup failed: \(reason)"
        }
    }
}
