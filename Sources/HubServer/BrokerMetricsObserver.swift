import BrokerCore
import Metrics

/// Broker events as swift-metrics counters (bounded dimensions).
struct BrokerMetricsObserver: BrokerObserver {
    func messageDropped(reason: String) {
        Counter(label: "iothub_mqtt_messages_dropped_total", dimensions: [("reason", reason)]).increment()
    }

    func publishDenied() {
        Counter(label: "iothub_mqtt_acl_denied_total", dimensions: [("operation", "publish")]).increment()
    }

    func subscribeDenied() {
        Counter(label: "iothub_mqtt_acl_denied_total", dimensions: [("operation", "subscribe")]).increment()
    }
}
