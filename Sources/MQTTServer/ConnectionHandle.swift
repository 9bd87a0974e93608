public import BrokerCore
import MQTTCore
import NIOCore
import Synchronization

/// What carries a connection's bytes out, and the connection it belongs to.
enum ConnectionOutput: Sendable {
    /// A SwiftNIO channel and its MQTT handler.
    case channel(any Channel, NIOLoopBound<MQTTConnectionHandler>)
    #if os(Linux)
    /// The hub's own plain-TCP transport.
    case poll(PollConnection)
    #endif

    var eventLoop: any EventLoop {
        switch self {
        case .channel(let channel, _): channel.eventLoop
        #if os(Linux)
        case .poll(let connection): connection.loop
        #endif
        }
    }

    /// The connection's MQTT state (on the event loop only).
    var connection: MQTTConnectionCore {
        switch self {
        case .channel(_, let handler): handler.value
        #if os(Linux)
        case .poll(let connection): connection
        #endif
        }
    }

    /// Unwritten bytes the transport holds beyond its own write watermark (64 KiB: below it the transport
    /// counts as writable and takes more), on the event loop.
    var heldBytes: Int {
        switch self {
        case .channel(let channel, _):
            channel.isWritable ? 0 : (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        #if os(Linux)
        case .poll(let connection):
            connection.isWritable ? 0 : connection.unwrittenBytes
        #endif
        }
    }
}

/// The broker's way to one connection: packets are queued in broker order (under the broker lock) and
/// written on the connection's event loop, many per flush.
///
/// The queue is bounded in bytes (`Limits.budget`, counted as encoded): a QoS 0 message that does not fit is
/// dropped (slow consumer), any other packet that does not fit closes the connection. After each flush the
/// handle compares the unwritten output (its queue plus what the transport holds beyond its own watermark)
/// with `Limits.watermark` and tells the connection, which pauses reading over it.
public final class ConnectionHandle: Sendable {
    /// Per-connection output limits (from `MQTTServerConfiguration`).
    struct Limits: Sendable {
        /// Packets queued; QoS 0 messages beyond it are dropped.
        var maxPackets: Int
        /// Unwritten bytes above which reading pauses (resumes below half).
        var watermark: Int
        /// Bytes the queue may hold.
        var budget: Int
    }

    public let id: ConnectionID
    let output: ConnectionOutput
    let version: MQTTProtocolVersion
    let limits: Limits
    let metrics: MQTTServerMetrics

    private struct State {
        var pending: [MQTTPacket] = []
        /// Encoded bytes of `pending`.
        var pendingBytes = 0
        /// What the transport held beyond its watermark at the last flush (for `unwrittenBytes`).
        var heldBytes = 0
        /// The connection was told its output is over the watermark.
        var overWatermark = false
        var closeReason: BrokerCloseReason?
        /// A packet did not fit the budget: the queue is dropped and the connection closes.
        var overBudget = false
        var flushScheduled = false
        /// Holds, oldest first: from `pending[from]` on, packets wait until every hold before and this one
        /// has no condition left (an acknowledgement of something not yet durable, and what the connection
        /// is sent after it, in order).
        var holds: [Hold] = []
        var nextHold: UInt64 = 0
    }

    struct Hold {
        var id: UInt64
        var from: Int
        /// Conditions not yet met (a journal commit, the hub's services done with a message).
        var waiting: Int
    }

    /// Stored inline (a futex word on Linux): no lock object of its own per connection.
    private let state = Mutex(State())

    init(id: ConnectionID, output: ConnectionOutput, version: MQTTProtocolVersion, limits: Limits, metrics: MQTTServerMetrics) {
        self.id = id
        self.output = output
        self.version = version
        self.limits = limits
        self.metrics = metrics
    }

    /// Bytes queued for the connection plus what its transport held beyond its watermark at the last flush.
    var unwrittenBytes: Int { state.withLock { $0.pendingBytes + $0.heldBytes } }

    /// Queues a packet; schedules a flush on the event loop if none is pending.
    func enqueue(_ packet: MQTTPacket) {
        let size = MQTTPacketEncoder.encodedSize(packet, version: version)
        let action: EnqueueAction = state.withLock { state in
            guard state.closeReason == nil, !state.overBudget else { return .none }
            let fits = state.pendingBytes + size <= limits.budget
            if case .publish(let publish) = packet, publish.qos == .atMostOnce, state.pending.count >= limits.maxPackets || !fits {
                metrics.messageDropped("slow_consumer")
                return .none
            }
            guard fits else {
                // Acks, PINGRESP and QoS 1/2 cannot be dropped: the connection goes instead.
                state.overBudget = true
                state.pending = []
                state.pendingBytes = 0
                return .closeOverBudget
            }
            state.pending.append(packet)
            state.pendingBytes += size
            if state.flushScheduled { return .none }
            state.flushScheduled = true
            return .flush
        }
        switch action {
        case .none:
            break
        case .flush:
            output.eventLoop.execute { self.flush() }
        case .closeOverBudget:
            let budget = limits.budget
            output.eventLoop.execute { self.output.connection.outputBudgetExceeded(budget) }
        }
    }

    private enum EnqueueAction {
        case none, flush, closeOverBudget
    }

    /// Holds the packets queued from now on until `conditions` are met (`satisfy`, once each); returns the
    /// hold's id.
    func hold(conditions: Int) -> UInt64 {
        state.withLock { state in
            state.nextHold += 1
            state.holds.append(Hold(id: state.nextHold, from: state.pending.count, waiting: max(conditions, 1)))
            return state.nextHold
        }
    }

    /// One condition of a hold is met; when the oldest holds have none left, what they held is written.
    /// `failed`: the condition cannot be met (a write failed): what the hold and the later ones held is
    /// dropped and the connection closed, so that its client sends it again on a new connection.
    func satisfy(_ id: UInt64, failed: Bool) {
        let (schedule, close): (Bool, Bool) = state.withLock { state in
            guard let index = state.holds.firstIndex(where: { $0.id == id }) else { return (false, false) }
            if failed {
                let from = min(state.holds[index].from, state.pending.count)
                state.pending.removeSubrange(from...)
                state.pendingBytes = state.pending.reduce(0) { $0 + MQTTPacketEncoder.encodedSize($1, version: version) }
                state.holds.removeSubrange(index...)
                return (false, state.closeReason == nil)
            }
            state.holds[index].waiting -= 1
            guard index == 0, state.holds[0].waiting == 0 else { return (false, false) }
            while let first = state.holds.first, first.waiting == 0 { state.holds.removeFirst() }
            guard !state.pending.isEmpty, !state.flushScheduled else { return (false, false) }
            state.flushScheduled = true
            return (true, false)
        }
        if close { self.close(.journalFailed) }
        if schedule { output.eventLoop.execute { self.flush() } }
    }

    /// Closes the connection after writing what was queued before.
    func close(_ reason: BrokerCloseReason) {
        let schedule: Bool = state.withLock { state in
            guard state.closeReason == nil else { return false }
            state.closeReason = reason
            if state.flushScheduled { return false }
            state.flushScheduled = true
            return true
        }
        if schedule { output.eventLoop.execute { self.flush() } }
    }

    /// Writes queued packets (on the event loop). Waits for writability unless closing.
    func flush() {
        switch output {
        case .channel(let channel, _):
            channel.eventLoop.preconditionInEventLoop()
            let (packets, reason) = take(writable: channel.isWritable)
            if !packets.isEmpty {
                var buffer = channel.allocator.buffer(capacity: 256)
                encode(packets, into: &buffer)
                channel.writeAndFlush(buffer, promise: nil)
            }
            if reason != nil {
                channel.close(promise: nil)
            }
        #if os(Linux)
        case .poll(let connection):
            let (packets, reason) = take(writable: connection.isWritable)
            if !packets.isEmpty {
                connection.send { self.encode(packets, into: &$0) }
            }
            if reason != nil {
                connection.closeTransport()
            }
        #endif
        }
        updateBackpressure()
    }

    /// Tells the connection when its unwritten output crosses the watermark (over it) or falls to half of it
    /// (on the event loop).
    private func updateBackpressure() {
        let held = output.heldBytes
        let change: Bool? = state.withLock { state in
            state.heldBytes = held
            guard state.closeReason == nil, !state.overBudget else { return nil }
            let unwritten = state.pendingBytes + held
            let over = state.overWatermark ? unwritten > limits.watermark / 2 : unwritten > limits.watermark
            guard over != state.overWatermark else { return nil }
            state.overWatermark = over
            return over
        }
        if let change { output.connection.outputBackpressure(change) }
    }

    /// The packets to write now and whether to close after them.
    private func take(writable: Bool) -> ([MQTTPacket], BrokerCloseReason?) {
        state.withLock { state in
            if !writable && state.closeReason == nil {
                // Resumed by `resume()` once the socket is writable.
                state.flushScheduled = false
                return ([], nil)
            }
            if let first = state.holds.first {
                // Only what was queued before the oldest hold; the rest waits for `satisfy` (closing drops it:
                // it was never promised durable).
                let cut = min(first.from, state.pending.count)
                let packets = Array(state.pending[..<cut])
                if state.closeReason != nil {
                    state.pending = []
                    state.pendingBytes = 0
                    state.holds = []
                } else {
                    state.pending.removeFirst(cut)
                    state.pendingBytes = state.pending.reduce(0) { $0 + MQTTPacketEncoder.encodedSize($1, version: version) }
                    for index in state.holds.indices { state.holds[index].from -= cut }
                }
                state.flushScheduled = false
                return (packets, state.closeReason)
            }
            let packets = state.pending
            // A busy connection keeps its queue's storage; a quiet one (an idle client after CONNACK) frees it.
            state.pending.removeAll(keepingCapacity: packets.count > 1)
            state.pendingBytes = 0
            state.flushScheduled = false
            return (packets, state.closeReason)
        }
    }

    private func encode(_ packets: [MQTTPacket], into buffer: inout ByteBuffer) {
        var published = 0
        for packet in packets {
            if case .publish = packet { published += 1 }
            MQTTPacketEncoder.encode(packet, version: version, into: &buffer)
        }
        if published > 0 { metrics.messagesSent(published) }
    }

    /// Called when the socket became writable again.
    func resume() {
        let schedule: Bool = state.withLock { state in
            guard !state.pending.isEmpty, !state.flushScheduled else { return false }
            state.flushScheduled = true
            return true
        }
        if schedule { flush() } else { updateBackpressure() }
    }
}
