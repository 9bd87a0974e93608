public import MQTTCore

extension Broker {
    /// The connection closed (by the client, the network or the server). Publishes the will unless the
    /// client sent DISCONNECT; ends a clean session, keeps a persistent one.
    public func connectionLost(_ connection: ConnectionID, now: UInt64) -> [BrokerAction] {
        guard let clientId = connections.removeValue(forKey: connection), let session = sessions[clientId], session.connection == connection else {
            return []
        }
        session.connection = nil
        var actions: [BrokerAction] = []
        publishWill(of: session, into: &actions)
        if session.cleanSession {
            discard(session)
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

    /// Closes connections silent for more than 1.5 × their keep-alive (MQTT-3.1.2-24). Looks only at the
    /// connections whose deadline may have passed (`KeepAliveSchedule`).
    public func tick(now: UInt64) -> [BrokerAction] {
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

    /// Closes the live connections of the clients matching a predicate (device disabled, reset, deleted).
    public func kick(where predicate: (ClientIdentity) -> Bool) -> [BrokerAction] {
        connectedClients(where: predicate).map { .close($0.connection, .kicked) }
    }

    /// Closes every connection (graceful shutdown).
    public func shutdown() -> [BrokerAction] {
        connections.keys.map { .close($0, .shuttingDown) }
    }
}
