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
        /// Packets from `pending[heldFrom]` on wait until the journal commits `heldUntil` (an acknowledgement
        /// of something not yet durable, and what the connection is sent after it, in order).
        var heldUntil: UInt64?
        var heldFrom = 0
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

    /// Holds the packets queued from now on until the journal ticket is durable (`release`).
    func hold(until ticket: UInt64) {
        state.withLock { state in
            if state.heldUntil == nil { state.heldFrom = state.pending.count }
            state.heldUntil = max(state.heldUntil ?? 0, ticket)
        }
    }

    /// The journal committed through `ticket`: held packets are written if their ticket is covered (or, when
    /// the commit `failed`, dropped and the connection closed: its client sends them again on a new
    /// connection). Returns whether nothing is held any more.
    func release(through ticket: UInt64, failed: Bool) -> Bool {
        let (done, schedule, close): (Bool, Bool, Bool) = state.withLock { state in
            guard let until = state.heldUntil else { return (true, false, false) }
            guard until <= ticket || failed else { return (false, false, false) }
            state.heldUntil = nil
            if failed {
                state.pending.removeSubrange(min(state.heldFrom, state.pending.count)...)
                state.pendingBytes = state.pending.reduce(0) { $0 + MQTTPacketEncoder.encodedSize($1, version: version) }
                return (true, false, state.closeReason == nil)
            }
            guard !state.pending.isEmpty, !state.flushScheduled else { return (true, false, false) }
            state.flushScheduled = true
            return (true, true, false)
        }
        if close { self.close(.journalFailed) }
        if schedule { output.eventLoop.execute { self.flush() } }
        return done
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
            if state.heldUntil != nil {
                // Only what was queued before the held acknowledgement; the rest waits for `release`
                // (closing drops it: it was never promised durable).
                let cut = min(state.heldFrom, state.pending.count)
                let packets = Array(state.pending[..<cut])
                if state.closeReason != nil {
                    state.pending = []
                    state.pendingBytes = 0
                } else {
                    state.pending.removeFirst(cut)
                    state.pendingBytes = state.pending.reduce(0) { $0 + MQTTPacketEncoder.encodedSize($1, version: version) }
                }
                state.heldFrom = 0
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
