public import BrokerCore
public import MQTTCore
import NIOConcurrencyHelpers
public import NIOCore

/// The broker's way to one connection: packets are queued in broker order (under the broker lock) and
/// written on the connection's event loop, many per flush.
public final class ConnectionHandle: @unchecked Sendable {
    public let id: ConnectionID
    let channel: any Channel
    let version: MQTTProtocolVersion
    let maxPending: Int
    let onDrop: @Sendable () -> Void
    let onSent: @Sendable (Int) -> Void

    private let lock = NIOLock()
    private var pending: [MQTTPacket] = []
    private var closeReason: BrokerCloseReason?
    private var flushScheduled = false

    init(
        id: ConnectionID, channel: any Channel, version: MQTTProtocolVersion, maxPending: Int, onDrop: @escaping @Sendable () -> Void,
        onSent: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.onSent = onSent
        self.id = id
        self.channel = channel
        self.version = version
        self.maxPending = maxPending
        self.onDrop = onDrop
    }

    /// Queues a packet; schedules a flush on the event loop if none is pending.
    func enqueue(_ packet: MQTTPacket) {
        let schedule: Bool = lock.withLock {
            guard closeReason == nil else { return false }
            if pending.count >= maxPending, case .publish(let publish) = packet, publish.qos == .atMostOnce {
                onDrop()
                return false
            }
            pending.append(packet)
            if flushScheduled { return false }
            flushScheduled = true
            return true
        }
        if schedule { channel.eventLoop.execute { self.flush() } }
    }

    /// Closes the connection after writing what was queued before.
    func close(_ reason: BrokerCloseReason) {
        let schedule: Bool = lock.withLock {
            guard closeReason == nil else { return false }
            closeReason = reason
            if flushScheduled { return false }
            flushScheduled = true
            return true
        }
        if schedule { channel.eventLoop.execute { self.flush() } }
    }

    /// Writes queued packets (on the event loop). Waits for writability unless closing.
    func flush() {
        channel.eventLoop.preconditionInEventLoop()
        let (packets, reason): ([MQTTPacket], BrokerCloseReason?) = lock.withLock {
            if !channel.isWritable && closeReason == nil {
                // Resumed by channelWritabilityChanged.
                flushScheduled = false
                return ([], nil)
            }
            let packets = pending
            // A busy connection keeps its queue's storage; a quiet one (an idle client after CONNACK) frees it.
            pending.removeAll(keepingCapacity: packets.count > 1)
            flushScheduled = false
            return (packets, closeReason)
        }
        if !packets.isEmpty {
            var buffer = channel.allocator.buffer(capacity: 256)
            var published = 0
            for packet in packets {
                if case .publish = packet { published += 1 }
                MQTTPacketEncoder.encode(packet, version: version, into: &buffer)
            }
            if published > 0 { onSent(published) }
            channel.writeAndFlush(buffer, promise: nil)
        }
        if reason != nil {
            channel.close(promise: nil)
        }
    }

    /// Called when the socket became writable again.
    func resume() {
        let schedule: Bool = lock.withLock {
            guard !pending.isEmpty, !flushScheduled else { return false }
            flushScheduled = true
            return true
        }
        if schedule { flush() }
    }
}
