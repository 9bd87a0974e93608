import MQTTCore

extension Broker {
    /// Hands a persistent session over to another node of a cluster, where its client is connecting: closes the
    /// live connection here if there is one (a takeover, MQTT-3.1.4-2: its will is published), then gives the
    /// session (subscriptions, messages in flight with their packet ids, queued messages, QoS 2 receive state) and
    /// forgets it. Nothing is handed over to another principal, nor a clean session (that one only ends).
    /// `toNode`: the receiving node's store id; a journaling broker records the move to it (`.sessionMoved`) instead
    /// of the session's end.
    public func handOverSession(clientId: String, to identity: ClientIdentity, toNode: String? = nil) -> (session: StoredSession?, actions: [BrokerAction]) {
        guard let session = sessions[clientId], session.identity.isSamePrincipal(as: identity) else { return (nil, []) }
        var actions: [BrokerAction] = []
        endTakenOverConnection(of: session, into: &actions)
        guard !session.cleanSession, session.expiryMillis > 0 else {
            discard(session)
            return (nil, actions)
        }
        let stored = storedSession(session, includingQoS0: true)
        if let toNode, session.journaled {
            session.journaled = false
            record(.sessionMoved(clientId: clientId, toNode: toNode))
        }
        discard(session)
        return (stored, actions)
    }

    /// Takes a session handed over by another node (`handOverSession` there), disconnected, before its client's
    /// CONNECT resumes it here. A session this node already holds for the client id is kept instead.
    public func adoptSession(_ stored: StoredSession, now: UInt64) {
        guard sessions[stored.session.clientId] == nil else { return }
        let session = install(stored, now: now)
        guard journaling else { return }
        session.journaled = true
        let clientId = stored.session.clientId
        record(.sessionSaved(stored.session))
        for (filter, qos) in stored.subscriptions.sorted(by: { $0.key < $1.key }) { record(.subscribed(clientId: clientId, filter: filter, qos: qos)) }
        for message in stored.messages where message.publish.qos != .atMostOnce { record(.messageRestated(clientId: clientId, message)) }
        for packetId in stored.inboundQoS2.sorted() { record(.qos2Received(clientId: clientId, packetId: packetId)) }
    }

    /// Puts a stored session in place, disconnected, expiring its own expiry after `now`: messages in flight keep
    /// their packet ids (resent with DUP when the client resumes), queued ones follow in order.
    @discardableResult
    func install(_ record: StoredSession, now: UInt64) -> Session {
        let persisted = record.session
        let session = Session(
            clientId: persisted.clientId, identity: persisted.identity, cleanSession: false, version: persisted.version, keepAlive: 0, now: now
        )
        session.expiryMillis = persisted.expiryMillis
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
        return session
    }

    /// A session as storage (or another node) takes it: messages in flight, then queued ones, in sequence order.
    func storedSession(_ session: Session, includingQoS0: Bool) -> StoredSession {
        var messages = session.inflightOrder.compactMap { packetId -> PersistedMessage? in
            guard let message = session.inflight[packetId] else { return nil }
            return PersistedMessage(
                sequence: message.sequence, publish: message.publish,
                state: message.state == .awaitingCompletion ? .awaitingCompletion : .awaitingAcknowledgement
            )
        }
        messages += session.queue.filter { includingQoS0 || $0.publish.qos != .atMostOnce }.map {
            PersistedMessage(sequence: $0.sequence, publish: $0.publish, state: .queued)
        }
        return StoredSession(
            session: PersistedSession(clientId: session.clientId, identity: session.identity, version: session.version, expiryMillis: session.expiryMillis),
            subscriptions: session.subscriptions, messages: messages.sorted { $0.sequence < $1.sequence }, inboundQoS2: session.inboundQoS2
        )
    }
}
