public import MQTTCore

extension Broker {
    /// Loads what storage kept (at start, before any connection): retained messages, and persistent
    /// sessions, all disconnected, each expiring its own expiry after `now` (the time they were disconnected
    /// before the restart is not known to the broker's clock). Messages in flight keep their packet ids and
    /// are resent with DUP when the client resumes; queued ones follow in order. Turns journaling on.
    public func restore(retained messages: [MQTTPublish], sessions stored: [StoredSession], now: UInt64) {
        journaling = true
        for message in messages {
            _ = retained.store(message)
        }
        for record in stored {
            install(record, now: now).journaled = true
        }
    }

    /// What the broker holds that storage keeps, as `restore` takes it (tests compare the two).
    public func durableState() -> (retained: [MQTTPublish], sessions: [StoredSession]) {
        let kept = sessions.values.filter(\.journaled).map { storedSession($0, includingQoS0: false) }
        return (retained.messages.values.sorted { $0.topic < $1.topic }, kept.sorted { $0.session.clientId < $1.session.clientId })
    }
}
