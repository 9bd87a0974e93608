import MQTTCore
import Metrics
import NIOConcurrencyHelpers
import Synchronization

/// Counters and gauges of the MQTT server (swift-metrics). Dimensions are bounded: packet types and
/// reasons, never topics or client ids. A class: every connection holds a reference, not a copy of the
/// five handles.
public final class MQTTServerMetrics: Sendable {
    private let connections = Gauge(label: "iothub_mqtt_connections")
    private let connectionCount = ManagedAtomicCounter()
    // Created once: `Counter(label:)` asks the metrics factory (a registry lookup under a lock) every time.
    private let messagesIn = Counter(label: "iothub_mqtt_messages_in_total")
    private let messagesOut = Counter(label: "iothub_mqtt_messages_out_total")
    private let slowConsumerDrops = Counter(label: "iothub_mqtt_messages_dropped_total", dimensions: [("reason", "slow_consumer")])
    /// PUBLISH packets received from clients, for the hub's own statistics (swift-metrics counters cannot be read back).
    private let publishesReceived = Atomic<Int>(0)

    public init() {}

    func connected() { connections.record(connectionCount.add(1)) }
    func disconnected() { connections.record(connectionCount.add(-1)) }

    func connectRefused(_ reason: String) {
        Counter(label: "iothub_mqtt_auth_failures_total", dimensions: [("reason", reason)]).increment()
    }

    func packetReceived(_ packet: MQTTPacket) {
        if case .publish = packet {
            messagesIn.increment()
            publishesReceived.wrappingAdd(1, ordering: .relaxed)
        }
    }

    /// PUBLISH packets received from clients since the server was made.
    public var publishesIn: Int { publishesReceived.load(ordering: .relaxed) }

    func messagesSent(_ count: Int) {
        messagesOut.increment(by: count)
    }

    func messageDropped(_ reason: String) {
        if reason == "slow_consumer" { return slowConsumerDrops.increment() }
        Counter(label: "iothub_mqtt_messages_dropped_total", dimensions: [("reason", reason)]).increment()
    }

    /// A listening socket could not accept (out of file descriptors, out of memory): accepting pauses.
    func acceptFailed(_ reason: String) {
        Counter(label: "iothub_mqtt_accept_errors_total", dimensions: [("reason", reason)]).increment()
    }

    /// The hub closed a connection for a limit or a protocol error (`reason`: a bounded label such as
    /// not_connect, connect_too_large, pre_connack_overflow, max_pending_connections, max_connections,
    /// output_budget, output_stalled, protocol_error).
    func connectionClosed(_ reason: String) {
        Counter(label: "iothub_mqtt_connections_closed_total", dimensions: [("reason", reason)]).increment()
    }

    func protocolError() {
        Counter(label: "iothub_mqtt_protocol_errors_total").increment()
    }
}

/// A counter shared by all connections.
final class ManagedAtomicCounter: Sendable {
    private let value = NIOLockedValueBox(0)
    func add(_ delta: Int) -> Int {
        value.withLockedValue {
            $0 += delta
            return $0
        }
    }
}
