import BrokerCore
import Metrics

/// Broker events as swift-metrics counters (bounded dimensions); drops are also logged, rate-limited.
struct BrokerMetricsObserver: BrokerObserver {
    let drops: DropLog
    // Counters with fixed labels, made once (a swift-metrics factory lookup takes its lock each time).
    private let publishesDenied = Counter(label: "iothub_mqtt_acl_denied_total", dimensions: [("operation", "publish")])
    private let subscriptionsDenied = Counter(label: "iothub_mqtt_acl_denied_total", dimensions: [("operation", "subscribe")])
    private let sessionsExpired = Counter(label: "iothub_mqtt_sessions_expired_total")
    private let expiredMessages = Counter(label: "iothub_mqtt_messages_dropped_total", dimensions: [("reason", "session_expired")])
    private let quotaRefusals = Counter(label: "iothub_mqtt_connect_refused_total", dimensions: [("reason", "session_quota")])

    init(drops: DropLog) {
        self.drops = drops
    }

    func messageDropped(reason: String) {
        Counter(label: "iothub_mqtt_messages_dropped_total", dimensions: [("reason", reason)]).increment()
        drops.dropped("mqtt_\(reason)")
    }

    func publishDenied() {
        publishesDenied.increment()
    }

    func subscribeDenied() {
        subscriptionsDenied.increment()
    }

    func sessionExpired(queuedMessages: Int) {
        sessionsExpired.increment()
        if queuedMessages > 0 {
            expiredMessages.increment(by: queuedMessages)
        }
    }

    func sessionQuotaExceeded() {
        quotaRefusals.increment()
    }
}
