import BrokerCore
import BrokerSQLite
import Logging
import MQTTServer
import Metrics
import ServiceLifecycle

/// Writes the broker's durable changes (`BrokerJournalQueue`) to its store (`DATA/broker.sqlite`, or PostgreSQL in a
/// cluster): everything pending
/// in one transaction, then tells the broker host, which releases the acknowledgements those changes held
/// (group commit: while one batch is written the next gathers). A failed write is reported (the held
/// acknowledgements are dropped and their connections closed, so that the clients send again) and the
/// next batch tries again.
///
/// Starts before the MQTT server and stops after it: at shutdown it writes what the broker recorded last,
/// then closes the file.
struct BrokerJournalService: Service {
    let store: any BrokerStore
    let journal: BrokerJournalQueue
    let host: BrokerHost
    let logger: Logger

    private let batches = Counter(label: "iothub_broker_journal_batches_total")
    private let changes = Counter(label: "iothub_broker_journal_changes_total")
    private let failures = Counter(label: "iothub_broker_journal_failures_total")

    init(store: any BrokerStore, journal: BrokerJournalQueue, host: BrokerHost, logger: Logger) {
        self.store = store
        self.journal = journal
        self.host = host
        self.logger = logger
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            while let batch = await journal.next() {
                do {
                    try await store.apply(batch.changes)
                    batches.increment()
                    changes.increment(by: batch.changes.count)
                    host.journalCommitted(through: batch.through, failed: false)
                } catch {
                    failures.increment()
                    logger.error(
                        "broker state write failed; the acknowledgements it held are not sent",
                        metadata: ["error": "\(error)", "hub.changes": "\(batch.changes.count)"]
                    )
                    host.journalCommitted(through: batch.through, failed: true)
                }
            }
        } onGracefulShutdown: {
            journal.finish()
        }
        await store.close()
    }
}
