import MQTTCore
import Metrics
import NIOConcurrencyHelpers

/// Counters and gauges of the MQTT server (swift-metrics). Dimensions are bounded: packet types and
/// reasons, never topics or client ids.
public struct MQTTServerMetrics: Sendable {
    private let connections = Gauge(label: "iothub_mqtt_connections")
    private let connectionCount = ManagedAtomicCounter()

    public init() {}

    func connected() { connections.record(connectionCount.add(1)) }
    func disconnected() { connections.record(connectionCount.add(-1)) }

    func connectRefused(_ reason: String) {
        Counter(label: "iothub_mqtt_auth_failures_total", dimensions: [("reason", reason)]).increment()
    }

    func packetReceived(_ packet: MQTTPacket) {
        if case .publish = packet { Counter(label: "iothub_mqtt_messages_in_total").increment() }
    }

    func messagesSent(_ count: Int) {
        Counter(label: "iothub_mqtt_messages_out_total").increment(by: count)
    }

    func messageDropped(_ reason: String) {
        Counter(label: "iothub_mqtt_messages_dropped_total", dimensions: [("reason", reason)]).increment()
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
