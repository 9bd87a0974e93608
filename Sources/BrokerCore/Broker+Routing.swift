import DequeModule
public import MQTTCore

extension Broker {
    /// Publishes a message from the hub itself (services, the management API): routed and retained like a
    /// client's, without the publish ACL.
    public func publish(_ message: MQTTPublish) -> [BrokerAction] {
        var actions: [BrokerAction] = []
        route(message, into: &actions)
        return actions
    }

    /// Routes a message another node of the cluster received (its `.toCluster`): to this node's subscribers and
    /// retained store, and not back to the cluster.
    public func publishFromCluster(_ message: MQTTPublish) -> [BrokerAction] {
        var actions: [BrokerAction] = []
        route(message, into: &actions, toCluster: false)
        return actions
    }

    /// Closes the live connection of `clientId`, which connected to another node of the cluster (a takeover there).
    /// As for a takeover here (MQTT-3.1.4-2), the old connection ends without DISCONNECT: its will is published,
    /// and a clean session ends with it. A persistent session here ends too if the client connected there with
    /// CleanSession 1 (MQTT-3.1.2-6: its state is discarded), so that it cannot come back later.
    public func takenOverElsewhere(clientId: String, cleanSession: Bool = false) -> [BrokerAction] {
        guard let session = sessions[clientId] else { return [] }
        var actions: [BrokerAction] = []
        endTakenOverConnection(of: session, into: &actions)
        if session.cleanSession || cleanSession { discard(session) }
        return actions
    }

    /// Stores a retained message if asked, then hands a copy to every matching session, and to the other nodes
    /// of a cluster.
    func route(_ publish: MQTTPublish, into actions: inout [BrokerAction], toCluster: Bool = true) {
        if toCluster, configuration.clustered {
            var copy = publish
            copy.dup = false
            copy.packetId = nil
            actions.append(.toCluster(copy))
        }
        if publish.retain {
            switch retained.store(publish) {
            case .refusedFull: observer.messageDropped(reason: "retained_store_full")
            case .refusedTooLarge: observer.messageDropped(reason: "retained_too_large")
            case .stored, .deleted:
                if journaling {
                    var stored = publish
                    stored.dup = false
                    stored.packetId = nil
                    record(.retained(stored))
                }
            }
        }
        let matches = subscriptions.subscribers(matching: publish.topic)
        guard !matches.isEmpty else { return }
        for (clientId, grantedQoS) in matches {
            guard let session = sessions[clientId], authorizer.mayReceive(session.identity, topic: publish.topic) else { continue }
            var copy = publish
            // MQTT-3.3.1-9: RETAIN is 0 on messages sent to established subscriptions.
            copy.retain = false
            copy.dup = false
            copy.qos = min(publish.qos, grantedQoS)
            copy.packetId = nil
            deliver(copy, to: session, into: &actions)
        }
    }

    /// Sends a message to a session now, or queues it (in-flight window full, queue not empty, or offline).
    func deliver(_ message: MQTTPublish, to session: Session, into actions: inout [BrokerAction]) {
        if let connection = session.connection, session.queue.isEmpty,
            message.qos == .atMostOnce || session.inflight.count < configuration.maxInflightMessages
        {
            send(message, sequence: nil, to: session, on: connection, into: &actions)
            return
        }
        if session.connection == nil && message.qos == .atMostOnce && !configuration.queueQoS0WhenOffline {
            return
        }
        guard session.queue.count < configuration.maxQueuedMessages,
            session.queuedBytes + Session.size(of: message) <= configuration.maxQueuedBytes
        else {
            session.dropped += 1
            observer.messageDropped(reason: "queue_full")
            return
        }
        let sequence = session.takeSequence()
        session.enqueue(message, sequence: sequence)
        if session.journaled, message.qos != .atMostOnce {
            record(.messageAdded(clientId: session.clientId, PersistedMessage(sequence: sequence, publish: message, state: .queued)))
        }
    }

    /// Sends queued messages while the in-flight window allows, in order.
    func drain(_ session: Session, into actions: inout [BrokerAction]) {
        guard let connection = session.connection else { return }
        while let next = session.queue.first {
            if next.publish.qos != .atMostOnce && session.inflight.count >= configuration.maxInflightMessages { break }
            _ = session.dequeue()
            send(next.publish, sequence: next.sequence, to: session, on: connection, into: &actions)
        }
    }

    /// Sends a message; `sequence` is the queued message's (nil: a new message, not queued before).
    private func send(_ message: MQTTPublish, sequence: UInt64?, to session: Session, on connection: ConnectionID, into actions: inout [BrokerAction]) {
        var outgoing = message
        if message.qos == .atMostOnce {
            outgoing.packetId = nil
        } else {
            let packetId = session.nextPacketId()
            outgoing.packetId = packetId
            let assigned = sequence ?? session.takeSequence()
            session.inflight[packetId] = InflightMessage(publish: outgoing, state: .awaitingAcknowledgement, sequence: assigned)
            session.inflightOrder.append(packetId)
            if session.journaled {
                if sequence == nil {
                    record(.messageAdded(clientId: session.clientId, PersistedMessage(sequence: assigned, publish: outgoing, state: .awaitingAcknowledgement)))
                } else {
                    record(.messageSent(clientId: session.clientId, sequence: assigned, packetId: packetId))
                }
            }
        }
        actions.append(.send(connection, .publish(outgoing)))
    }
}
