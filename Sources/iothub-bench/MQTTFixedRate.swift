import MQTTCore
import NIOCore
import NIOPosix

/// Fixed offered load: `publishers` send at a fixed total rate to one subscriber, on a schedule (open
/// loop: a publisher never waits for a PUBACK or a delivery before its next message), so that two brokers
/// are compared at the same load instead of each at its own saturation point.
///
/// Publisher `i` sends its `k`-th message at `start + (k - i/P) / r` (per-publisher rate `r`, the P
/// publishers' schedules staggered over one period); a 1 ms tick sends what is due, so a stalled
/// generator catches up in one batch and the payload's timestamp is the real send time. The payload
/// carries the publisher's index and that timestamp; delivery latency = receive − send, for messages sent
/// inside the measured window (after a warm-up). After the window the subscriber gets `drain` to receive
/// the rest; what never arrives is counted as a failure. One event loop runs every client.
final class MQTTFixedRate: MQTTBenchDelegate {
    struct Outcome {
        /// Messages sent inside the measured window, and those of them received.
        var sentInWindow = 0
        var receivedInWindow = 0
        var seconds = 0.0
        var latencies: [UInt64] = []
        var failures: [String: Int] = [:]
        var endedBy = "duration"
        /// Largest delay between a message's scheduled time and its send (generator lag), in ms.
        var maxSendLagMillis = 0.0
    }

    private enum Phase { case subscribing, connectingPublishers, sending, draining, finished }

    private struct Publisher {
        var client: MQTTBenchClient
        var template: ByteBuffer
        var packetIdOffset: Int?
        var stampOffset: Int
        var nextPacketId: UInt16 = 1
        var sent = 0
    }

    let loop: any EventLoop
    let connector: MQTTBenchConnector
    /// Where the subscriber connects: `connector`, or another node of a cluster.
    let subscriberConnector: MQTTBenchConnector
    let perPublisherRate: Double
    let warmup: TimeAmount
    let duration: TimeAmount
    let drain: TimeAmount

    private var phase = Phase.subscribing
    private var publishers: [Publisher] = []
    private var subscriber: MQTTBenchClient!
    private let subscriberConnect: ByteBuffer
    private let subscriberFilter: String
    private let qos: MQTTQoS
    private var connected = 0
    private var start: UInt64 = 0
    private var windowStart: UInt64 = 0
    private var windowEnd: UInt64 = 0
    private var ticker: RepeatedTask?
    private var outcome = Outcome()
    private let done: EventLoopPromise<Outcome>

    init(
        loop: any EventLoop, connector: MQTTBenchConnector, subscriberConnector: MQTTBenchConnector? = nil, qos: MQTTQoS, payloadSize: Int, rate: Double,
        publishers: [(connect: ByteBuffer, topic: String)], subscriber: (connect: ByteBuffer, filter: String),
        warmup: TimeAmount, duration: TimeAmount, drain: TimeAmount
    ) {
        self.loop = loop
        self.connector = connector
        self.subscriberConnector = subscriberConnector ?? connector
        self.qos = qos
        self.perPublisherRate = rate / Double(publishers.count)
        self.warmup = warmup
        self.duration = duration
        self.drain = drain
        subscriberFilter = subscriber.filter
        done = loop.makePromise()
        outcome.latencies.reserveCapacity(Int(rate * Double(duration.nanoseconds) / 1e9) + 1024)
        subscriberConnect = subscriber.connect
        for (index, publisher) in publishers.enumerated() {
            var payload = ByteBuffer(repeating: 0x2E, count: max(payloadSize, 12))
            payload.setInteger(UInt32(index), at: 0)
            let packet = MQTTPublish(topic: publisher.topic, payload: payload, qos: qos, packetId: qos == .atMostOnce ? nil : 1)
            let template = MQTTPacketEncoder.encode(.publish(packet), version: .v3_1_1)
            let header = 1 + VariableByteIntegerSize.of(template.readableBytes)
            let topicEnd = header + 2 + publisher.topic.utf8.count
            // Index 1…P: the subscriber is client 0 (the connector gives each index its source address).
            let client = MQTTBenchClient(index: index + 1, connectPacket: publisher.connect, delegate: self)
            self.publishers.append(Publisher(
                client: client, template: template, packetIdOffset: qos == .atMostOnce ? nil : topicEnd,
                stampOffset: (qos == .atMostOnce ? topicEnd : topicEnd + 2) + 4
            ))
        }
    }

    func run() -> EventLoopFuture<Outcome> {
        loop.preconditionInEventLoop()
        subscriber = MQTTBenchClient(index: 0, connectPacket: subscriberConnect, delegate: self)
        connect(subscriber)
        return done.futureResult
    }

    private func connect(_ client: MQTTBenchClient) {
        (client === subscriber ? subscriberConnector : connector).connect(on: loop, index: client.index, client: client).assumeIsolated().whenFailure { error in
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
            client.send(MQTTBenchPackets.subscribe(filter: subscriberFilter, qos: qos))
        case .connectingPublishers:
            connected += 1
            if connected == publishers.count { startSending() }
        default:
            break
        }
    }

    func subAck(_ client: MQTTBenchClient) {
        guard phase == .subscribing else { return }
        phase = .connectingPublishers
        for publisher in publishers { connect(publisher.client) }
    }

    private func startSending() {
        phase = .sending
        start = LoadDriver.now()
        windowStart = start + UInt64(warmup.nanoseconds)
        windowEnd = windowStart + UInt64(duration.nanoseconds)
        let bound = NIOLoopBound(self, eventLoop: loop)
        ticker = loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(1)) { _ in bound.value.tick() }
    }

    /// Sends every message due by now; ends the sending at the window's end.
    private func tick() {
        guard phase == .sending else { return }
        let now = LoadDriver.now()
        let end = min(now, windowEnd)
        let elapsed = Double(end &- start) / 1e9
        let count = Double(publishers.count)
        for index in publishers.indices {
            let stagger = Double(index) / count
            let due = Int(elapsed * perPublisherRate + stagger)
            let pending = due - publishers[index].sent
            guard pending > 0 else { continue }
            // When the first of these messages was due (the schedule's time for message `sent + 1`).
            let dueAt = start + UInt64(max(0, (Double(publishers[index].sent + 1) - stagger) / perPublisherRate * 1e9))
            if now > dueAt { outcome.maxSendLagMillis = max(outcome.maxSendLagMillis, Double(now - dueAt) / 1e6) }
            send(pending, from: index, stamp: now)
        }
        if now >= windowEnd {
            ticker?.cancel()
            ticker = nil
            phase = .draining
            outcome.seconds = Double(windowEnd - windowStart) / 1e9
            checkDrained()
            loop.assumeIsolated().scheduleTask(in: drain) { self.endDrain() }
        }
    }

    private func send(_ count: Int, from index: Int, stamp: UInt64) {
        guard let context = publishers[index].client.context else { return }
        let template = publishers[index].template
        var batch = context.channel.allocator.buffer(capacity: count * template.readableBytes)
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
        publishers[index].sent += count
        if stamp >= windowStart && stamp < windowEnd { outcome.sentInWindow += count }
        publishers[index].client.send(batch)
    }

    func published(_ client: MQTTBenchClient, payload: ByteBuffer) {
        guard phase == .sending || phase == .draining,
            let stamp = payload.getInteger(at: payload.readerIndex + 4, as: UInt64.self),
            stamp >= windowStart, stamp < windowEnd
        else { return }
        outcome.receivedInWindow += 1
        outcome.latencies.append(LoadDriver.now() &- stamp)
        if phase == .draining { checkDrained() }
    }

    private func checkDrained() {
        if outcome.receivedInWindow >= outcome.sentInWindow { endDrain() }
    }

    private func endDrain() {
        guard phase == .draining else { return }
        let lost = outcome.sentInWindow - outcome.receivedInWindow
        if lost > 0 { outcome.failures["not delivered", default: 0] += lost }
        finish()
    }

    private func finish() {
        guard phase != .finished else { return }
        phase = .finished
        ticker?.cancel()
        for publisher in publishers { publisher.client.close() }
        subscriber?.close()
        let outcome = self.outcome
        loop.assumeIsolated().scheduleTask(in: .milliseconds(200)) {
            self.publishers = []
            self.subscriber = nil
            self.done.succeed(outcome)
        }
    }

    func writable(_ client: MQTTBenchClient) {}

    func closed(_ client: MQTTBenchClient) {
        if phase != .finished { abort("connection closed by the broker") }
    }
}
