import BrokerCore
import Metrics

/// Broker events as swift-metrics counters (bounded dimensions); drops are also logged, rate-limited.
struct BrokerMetricsObserver: BrokerObserver {
    let drops: DropLog

    func messageDropped(reason: String) {
        Counter(label: "iothub_mqtt_messages_dropped_total", dimensions: [("reason", reason)]).increment()
        drops.dropped("mqtt_\(reason)")
    }

    func publishDenied() {
        Counter(label: "iothub_mqtt_acl_denied_total", dimensions: [("operation", "publish")]).increment()
    }

    func subscribeDenied() {
        Counter(label: "iothub_mqtt_acl_denied_total", dimensions: [("operation", "subscribe")]).increment()
    }

    func sessionExpired(queuedMessages: Int) {
        Counter(label: "iothub_mqtt_sessions_expired_total").increment()
        if queuedMessages > 0 {
            Counter(label: "iothub_mqtt_messages_dropped_total", dimensions: [("reason", "session_expired")]).increment(by: queuedMessages)
        }
    }

    func sessionQuotaExceeded() {
        Counter(label: "iothub_mqtt_connect_refused_total", dimensions: [("reason", "session_quota")]).increment()
    }
}
