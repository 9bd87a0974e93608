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
            let persisted = record.session
            let session = Session(
                clientId: persisted.clientId, identity: persisted.identity, cleanSession: false, version: persisted.version, keepAlive: 0,
                now: now
            )
            session.expiryMillis = persisted.expiryMillis
            session.journaled = true
            for (filter, qos) in record.subscriptions {
                session.subscriptions[filter] = qos
                subscriptions.insert(filter: filter, clientId: persisted.clientId, qos: qos)
            }
            var highestSequence: UInt64 = 0
            for message in record.messages.sorted(by: { $0.sequence < $1.sequence }) {
                highestSequence = max(highestSequence, message.sequence)
                switch message.state {
                case .queued:
                    session.enqueue(message.publish, sequence: message.sequence)
                case .awaitingAcknowledgement, .awaitingCompletion:
                    guard let packetId = message.publish.packetId, session.inflight[packetId] == nil else {
                        session.enqueue(message.publish, sequence: message.sequence)
                        continue
                    }
                    session.inflight[packetId] = InflightMessage(
                        publish: message.publish, state: message.state == .awaitingCompletion ? .awaitingCompletion : .awaitingAcknowledgement,
                        sequence: message.sequence
                    )
                    session.inflightOrder.append(packetId)
                    session.lastPacketId = packetId
                }
            }
            session.nextSequence = highestSequence + 1
            session.inboundQoS2 = record.inboundQoS2
            session.expiresAt = now + persisted.expiryMillis
            sessions[persisted.clientId] = session
            if case .application(let appId, _) = persisted.identity { sessionsPerApplication[appId, default: 0] += 1 }
            fileExpiry(of: session, at: now + persisted.expiryMillis)
        }
    }

    /// What the broker holds that storage keeps, as `restore` takes it (tests compare the two).
    public func durableState() -> (retained: [MQTTPublish], sessions: [StoredSession]) {
        let kept = sessions.values.filter(\.journaled).map { session -> StoredSession in
            var messages = session.inflightOrder.compactMap { packetId -> PersistedMessage? in
                guard let message = session.inflight[packetId] else { return nil }
                return PersistedMessage(
                    sequence: message.sequence, publish: message.publish,
                    state: message.state == .awaitingCompletion ? .awaitingCompletion : .awaitingAcknowledgement
                )
            }
            messages += session.queue.filter { $0.publish.qos != .atMostOnce }.map {
                PersistedMessage(sequence: $0.sequence, publish: $0.publish, state: .queued)
            }
            return StoredSession(
                session: PersistedSession(clientId: session.clientId, identity: session.identity, version: session.version, expiryMillis: session.expiryMillis),
                subscriptions: session.subscriptions, messages: messages.sorted { $0.sequence < $1.sequence }, inboundQoS2: session.inboundQoS2
            )
        }
        return (retained.messages.values.sorted { $0.topic < $1.topic }, kept.sorted { $0.session.clientId < $1.session.clientId })
    }
}
