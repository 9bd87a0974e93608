import MQTTCore

extension Broker {
    /// The connection closed (by the client, the network or the server). Publishes the will unless the
    /// client sent DISCONNECT; ends a clean session, keeps a persistent one until it expires.
    public func connectionLost(_ connection: ConnectionID, now: UInt64) -> [BrokerAction] {
        guard let clientId = connections.removeValue(forKey: connection), let session = sessions[clientId], session.connection == connection else {
            return []
        }
        session.connection = nil
        var actions: [BrokerAction] = []
        publishWill(of: session, into: &actions)
        if session.expiryMillis == 0 {
            discard(session)
        } else {
            let deadline = now + session.expiryMillis
            session.expiresAt = deadline
            // Filed once: an entry under an earlier deadline refiles itself when it comes up.
            if session.expiryFiledAt.map({ deadline < $0 }) ?? true { fileExpiry(of: session, at: deadline) }
        }
        return actions
    }

    /// Publishes and forgets the will of a session whose connection ended without DISCONNECT (closed by the
    /// client or the network, by the server for a protocol error or keep-alive timeout, or taken over).
    func publishWill(of session: Session, into actions: inout [BrokerAction]) {
        guard let will = session.will else { return }
        session.will = nil
        guard topicDepthAllowed(will.topic), authorizer.mayPublish(session.identity, topic: will.topic) else {
            observer.publishDenied()
            return
        }
        route(
            MQTTPublish(topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, dup: false, packetId: nil, properties: will.properties),
            into: &actions
        )
    }

    /// Closes connections silent for more than 1.5 × their keep-alive (MQTT-3.1.2-24) and discards the
    /// persistent sessions disconnected for longer than their expiry. Looks only at the connections and
    /// sessions whose deadline may have passed (`DeadlineSchedule`).
    public func tick(now: UInt64) -> [BrokerAction] {
        expireSessions(now: now)
        var actions: [BrokerAction] = []
        for connection in keepAlive.takeDue(now: now) {
            guard let clientId = connections[connection], let session = sessions[clientId], session.connection == connection,
                session.keepAlive > 0
            else { continue }
            let deadline = session.lastActivity + UInt64(session.keepAlive) * 1500
            if now > deadline {
                actions.append(.close(connection, .keepAliveTimeout))
                // Looked at again in 5 s, should the connection still be there.
                keepAlive.schedule(connection, after: now + 5000)
            } else {
                keepAlive.schedule(connection, after: deadline)
            }
        }
        return actions
    }

    /// Discards the disconnected sessions whose expiry has passed, with their queued messages (counted).
    func expireSessions(now: UInt64) {
        for (clientId, deadline) in expirySchedule.takeDue(now: now) {
            // An entry of a session since discarded or replaced, or superseded by an earlier deadline, is stale.
            guard let session = sessions[clientId], session.expiryFiledAt == deadline else { continue }
            session.expiryFiledAt = nil
            // Resumed since: filed again at its next disconnection.
            guard session.connection == nil, let expiresAt = session.expiresAt else { continue }
            guard now >= expiresAt else {
                fileExpiry(of: session, at: expiresAt)
                continue
            }
            expiredSessions += 1
            observer.sessionExpired(queuedMessages: session.queue.count)
            discard(session)
        }
    }

    func fileExpiry(of session: Session, at deadline: UInt64) {
        session.expiryFiledAt = deadline
        expirySchedule.schedule((session.clientId, deadline), after: deadline)
    }

    /// The entries in the expiry schedule (live and stale), for tests.
    public var expiryScheduleCount: Int { expirySchedule.count }

    /// Closes the live connections of the clients matching a predicate (device disabled, reset, deleted).
    public func kick(where predicate: (ClientIdentity) -> Bool) -> [BrokerAction] {
        connectedClients(where: predicate).map { .close($0.connection, .kicked) }
    }

    /// Closes every connection (graceful shutdown).
    public func shutdown() -> [BrokerAction] {
        connections.keys.map { .close($0, .shuttingDown) }
    }
}
