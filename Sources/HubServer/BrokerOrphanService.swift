import BrokerCore
import BrokerPostgres
import Logging
import MQTTServer
import Metrics
import ServiceLifecycle

/// In a cluster on PostgreSQL: takes over the persistent sessions of hub nodes that stopped (their heartbeat row
/// gone from `hub_nodes`, 10 s after their last beat), every `interval`. The sessions come disconnected, with their
/// subscriptions and their queued and in-flight QoS 1/2 messages, and gather messages here until their clients
/// reconnect (to this node, or to another, which brings them over NATS).
struct BrokerOrphanService: Service {
    static let interval: Duration = .seconds(2)

    let store: PostgresBrokerStore
    let host: BrokerHost
    let logger: Logger
    private let adopted = Counter(label: "iothub_cluster_sessions_adopted_total")

    init(store: PostgresBrokerStore, host: BrokerHost, logger: Logger) {
        self.store = store
        self.host = host
        self.logger = logger
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                try await Task.sleep(for: Self.interval)
            }
        }
    }

    func sweep() async {
        do {
            let sessions = try await store.adoptOrphanedSessions()
            guard !sessions.isEmpty else { return }
            host.perform { broker, now in
                for session in sessions { broker.adoptSession(session, now: now) }
                return []
            }
            adopted.increment(by: sessions.count)
        } catch {
            if Task.isCancelled { return }
            logger.warning("taking over the sessions of stopped nodes failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
