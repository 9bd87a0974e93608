import MQTTCore
import NIOCore
import NIOPosix

/// Throughput: publishers send 64-byte messages to their topics, subscribers receive them; messages
/// delivered per second are counted at the subscribers inside the measured window (after a warm-up).
///
/// Flow control is end to end and the same for every broker: each publisher may have `window` messages
/// not yet delivered to all their subscribers (the generator sees both ends; the payload carries the
/// publisher's index and the send time). The window is below the brokers' per-subscriber queue limit, so
/// neither broker drops and the rate is what it delivers, not what it discards. One event loop runs every
/// client, so the counting needs no locks.
final class MQTTThroughput: MQTTBenchDelegate {
    struct Publisher {
        var client: MQTTBenchClient
        var template: ByteBuffer
        var packetIdOffset: Int?
        var stampOffset: Int
        var credit: Int
        var nextPacketId: UInt16 = 1
        var scheduled = false
        var connected = false
    }

    struct Outcome {
        var received = 0
        var seconds = 0.0
        var sent = 0
        var latencies: [UInt64] = []
        var failures: [String: Int] = [:]
        var endedBy = "duration"
    }

    private enum Phase { case subscribing, connectingPublishers, warmup, measuring, finished }

    let loop: any EventLoop
    let connector: MQTTBenchConnector
    let qos: MQTTQoS
    let fanout: Int
    let window: Int
    let warmup: TimeAmount
    let duration: TimeAmount

    private var phase = Phase.subscribing
    private var publishers: [Publisher] = []
    private var publisherConnects: [ByteBuffer]
    private var subscribers: [MQTTBenchClient] = []
    private let subscriberConnects: [ByteBuffer]
    private let subscriberFilters: [String]
    private var subscribed = 0
    private var publishersConnected = 0
    private var windowStart: UInt64 = 0
    private var receivedTotal = 0
    private var receivedAtLastCheck = 0
    private var outcome = Outcome()
    private let wakeThreshold: Int
    private let done: EventLoopPromise<Outcome>
    private var pumpBatch = 64

    /// `publishers[i]` publishes to `topics[i]`; `subscribers[j]` subscribes to `filters[j]`; every message
    /// reaches `fanout` subscribers.
    init(
        loop: any EventLoop, connector: MQTTBenchConnector, qos: MQTTQoS, payloadSize: Int,
        publishers: [(connect: ByteBuffer, topic: String)], subscribers: [(connect: ByteBuffer, filter: String)],
        fanout: Int, window: Int, warmup: TimeAmount, duration: TimeAmount
    ) {
        self.loop = loop
        self.connector = connector
        self.qos = qos
        self.fanout = fanout
        self.window = window
        self.warmup = warmup
        self.duration = duration
        wakeThreshold = fanout * max(1, min(window / 4, 32))
        publisherConnects = publishers.map(\.connect)
        subscriberConnects = subscribers.map(\.connect)
        subscriberFilters = subscribers.map(\.filter)
        done = loop.makePromise()
        outcome.latencies.reserveCapacity(1 << 20)
        for (index, publisher) in publishers.enumerated() {
            var payload = ByteBuffer(repeating: 0x2E, count: max(payloadSize, 12))
            payload.setInteger(UInt32(index), at: 0)
            let packet = MQTTPublish(topic: publisher.topic, payload: payload, qos: qos, packetId: qos == .atMostOnce ? nil : 1)
            let template = MQTTPacketEncoder.encode(.publish(packet), version: .v3_1_1)
            let header = 1 + VariableByteIntegerSize.of(template.readableBytes)
            let topicEnd = header + 2 + publisher.topic.utf8.count
            let client = MQTTBenchClient(index: index, connectPacket: publisherConnects[index], delegate: self)
            self.publishers.append(Publisher(
                client: client, template: template, packetIdOffset: qos == .atMostOnce ? nil : topicEnd,
                stampOffset: (qos == .atMostOnce ? topicEnd : topicEnd + 2) + 4, credit: window * fanout
            ))
        }
    }

    func run() -> EventLoopFuture<Outcome> {
        loop.preconditionInEventLoop()
        for index in subscriberConnects.indices {
            let client = MQTTBenchClient(index: index, connectPacket: subscriberConnects[index], delegate: self)
            subscribers.append(client)
            connect(client, index: index)
        }
        return done.futureResult
    }

    private func connect(_ client: MQTTBenchClient, index: Int) {
        connector.connect(on: loop, index: index, client: client).assumeIsolated().whenFailure { error in
            self.abort("connect: \(error)")
        }
    }

    private func abort(_ reason: String) {
        guard phase != .finished else { return }
        outcome.failures[reason, default: 0] += 1
        outcome.endedBy = "failure"
        finish()
    }

    // MARK: MQTTBenchDelegate

    func connAck(_ client: MQTTBenchClient, returnCode: UInt8) {
        guard returnCode == 0 else { return abort("CONNACK \(returnCode)") }
        switch phase {
        case .subscribing:
            client.send(MQTTBenchPackets.subscribe(filter: subscriberFilters[client.index], qos: qos))
        case .connectingPublishers:
            publishersConnected += 1
            if publishersConnected == publishers.count { start() }
        default:
            break
        }
    }

    func subAck(_ client: MQTTBenchClient) {
        subscribed += 1
        guard subscribed == subscribers.count else { return }
        phase = .connectingPublishers
        // Publishers bind to source addresses after the subscribers'.
        for index in publishers.indices { connect(publishers[index].client, index: subscribers.count + index) }
    }

    private func start() {
        phase = .warmup
        let scheduler = loop.assumeIsolated()
        scheduler.scheduleTask(in: warmup) {
            guard self.phase == .warmup else { return }
            self.phase = .measuring
            self.windowStart = LoadDriver.now()
            scheduler.scheduleTask(in: self.duration) { self.endWindow("duration") }
        }
        scheduleStallCheck()
        for index in publishers.indices { pump(index) }
    }

    private func scheduleStallCheck() {
        loop.assumeIsolated().scheduleTask(in: .seconds(2)) {
            guard self.phase == .warmup || self.phase == .measuring else { return }
            if self.receivedTotal == self.receivedAtLastCheck { return self.endWindow("stalled (messages lost)") }
            self.receivedAtLastCheck = self.receivedTotal
            self.scheduleStallCheck()
        }
    }

    private func endWindow(_ reason: String) {
        guard phase == .warmup || phase == .measuring else { return }
        if phase == .measuring { outcome.seconds = Double(LoadDriver.now() &- windowStart) / 1e9 }
        outcome.endedBy = reason
        finish()
    }

    private func finish() {
        guard phase != .finished else { return }
        phase = .finished
        for publisher in publishers { publisher.client.close() }
        for subscriber in subscribers { subscriber.close() }
        let outcome = self.outcome
        // Let the closes go out before the next run starts.
        loop.assumeIsolated().scheduleTask(in: .milliseconds(200)) {
            self.publishers = []
            self.subscribers = []
            self.done.succeed(outcome)
        }
    }

    private func pump(_ index: Int) {
        publishers[index].scheduled = false
        guard phase == .warmup || phase == .measuring, publishers[index].client.isWritable else { return }
        let count = min(publishers[index].credit / fanout, pumpBatch)
        guard count > 0 else { return }
        let template = publishers[index].template
        var batch = publishers[index].client.context!.channel.allocator.buffer(capacity: count * template.readableBytes)
        let stamp = LoadDriver.now()
        for _ in 0..<count {
            let start = batch.writerIndex
            var copy = template
            batch.writeBuffer(&copy)
            if let offset = publishers[index].packetIdOffset {
                batch.setInteger(publishers[index].nextPacketId, at: start + offset)
                publishers[index].nextPacketId = publishers[index].nextPacketId == UInt16.max ? 1 : publishers[index].nextPacketId + 1
            }
            batch.setInteger(stamp, at: start + publishers[index].stampOffset)
        }
        publishers[index].credit -= count * fanout
        outcome.sent += count
        publishers[index].client.send(batch)
        if publishers[index].credit >= fanout { schedulePump(index) }
    }

    private func schedulePump(_ index: Int) {
        guard !publishers[index].scheduled else { return }
        publishers[index].scheduled = true
        loop.assumeIsolated().execute { self.pump(index) }
    }

    func published(_ client: MQTTBenchClient, payload: ByteBuffer) {
        guard phase == .warmup || phase == .measuring,
            let publisher = payload.getInteger(at: payload.readerIndex, as: UInt32.self).map(Int.init),
            publisher < publishers.count
        else { return }
        receivedTotal += 1
        if phase == .measuring {
            outcome.received += 1
            if let stamp = payload.getInteger(at: payload.readerIndex + 4, as: UInt64.self) {
                outcome.latencies.append(LoadDriver.now() &- stamp)
            }
        }
        publishers[publisher].credit += 1
        if publishers[publisher].credit >= wakeThreshold || publishers[publisher].credit == window * fanout {
            schedulePump(publisher)
        }
    }

    func writable(_ client: MQTTBenchClient) {
        if phase == .warmup || phase == .measuring, client.index < publishers.count, publishers[client.index].client === client {
            schedulePump(client.index)
        }
    }

    func closed(_ client: MQTTBenchClient) {
        if phase != .finished { abort("connection closed by the broker") }
    }
}

enum VariableByteIntegerSize {
    /// Bytes of the Remaining Length field of a packet whose total encoded size is `total`.
    static func of(_ total: Int) -> Int {
        // total = 1 + n + body, with n the size of the encoding of body.
        for n in 1...4 {
            let body = total - 1 - n
            let size = body < 128 ? 1 : body < 16_384 ? 2 : body < 2_097_152 ? 3 : 4
            if size == n { return n }
        }
        return 4
    }
}
