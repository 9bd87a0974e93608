public import BrokerCore
public import MQTTCore
public import NIOCore
import Synchronization

/// What carries a connection's bytes out.
enum ConnectionOutput: Sendable {
    /// A SwiftNIO channel.
    case channel(any Channel)
    #if os(Linux)
    /// The hub's own plain-TCP transport.
    case poll(PollConnection)
    #endif

    var eventLoop: any EventLoop {
        switch self {
        case .channel(let channel): channel.eventLoop
        #if os(Linux)
        case .poll(let connection): connection.loop
        #endif
        }
    }
}

/// The broker's way to one connection: packets are queued in broker order (under the broker lock) and
/// written on the connection's event loop, many per flush.
public final class ConnectionHandle: Sendable {
    public let id: ConnectionID
    let output: ConnectionOutput
    let version: MQTTProtocolVersion
    let maxPending: Int
    let metrics: MQTTServerMetrics

    private struct State {
        var pending: [MQTTPacket] = []
        var closeReason: BrokerCloseReason?
        var flushScheduled = false
    }

    /// Stored inline (a futex word on Linux): no lock object of its own per connection.
    private let state = Mutex(State())

    init(id: ConnectionID, output: ConnectionOutput, version: MQTTProtocolVersion, maxPending: Int, metrics: MQTTServerMetrics) {
        self.id = id
        self.output = output
        self.version = version
        self.maxPending = maxPending
        self.metrics = metrics
    }

    /// Queues a packet; schedules a flush on the event loop if none is pending.
    func enqueue(_ packet: MQTTPacket) {
        let schedule: Bool = state.withLock { state in
            guard state.closeReason == nil else { return false }
            if state.pending.count >= maxPending, case .publish(let publish) = packet, publish.qos == .atMostOnce {
                metrics.messageDropped("slow_consumer")
                return false
            }
            state.pending.append(packet)
            if state.flushScheduled { return false }
            state.flushScheduled = true
            return true
        }
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
        case .channel(let channel):
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
    }

    /// The packets to write now and whether to close after them.
    private func take(writable: Bool) -> ([MQTTPacket], BrokerCloseReason?) {
        state.withLock { state in
            if !writable && state.closeReason == nil {
                // Resumed by `resume()` once the socket is writable.
                state.flushScheduled = false
                return ([], nil)
            }
            let packets = state.pending
            // A busy connection keeps its queue's storage; a quiet one (an idle client after CONNACK) frees it.
            state.pending.removeAll(keepingCapacity: packets.count > 1)
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
        if schedule { flush() }
    }
}
