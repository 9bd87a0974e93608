import DequeModule
public import MQTTCore

extension Broker {
    /// A packet from a connected client.
    public func receive(_ connection: ConnectionID, _ packet: MQTTPacket, now: UInt64) -> [BrokerAction] {
        guard let clientId = connections[connection], let session = sessions[clientId] else {
            // Not connected (a packet before CONNECT is the server layer's to refuse): close.
            return [.close(connection, .protocolViolation)]
        }
        session.lastActivity = now
        var actions: [BrokerAction] = []
        switch packet {
        case .publish(let publish):
            receivePublish(publish, from: session, connection: connection, now: now, into: &actions)
        case .puback(let ack):
            // An ack for a packet id not in flight (a late duplicate after a resend) is ignored; an ack of the
            // wrong type for one in flight is a protocol violation and closes the connection, as mosquitto does.
            if let message = session.inflight[ack.packetId] {
                guard message.publish.qos == .atLeastOnce else { return actions + end(connection, .protocolViolation, now: now) }
                session.removeInflight(ack.packetId)
                if session.journaled { record(.messageRemoved(clientId: clientId, sequence: message.sequence)) }
                drain(session, into: &actions)
            }
        case .pubrec(let ack):
            // Only a QoS 2 message in flight is answered with PUBREL (again, for a duplicate PUBREC).
            if var message = session.inflight[ack.packetId] {
                guard message.publish.qos == .exactlyOnce else { return actions + end(connection, .protocolViolation, now: now) }
                if message.state == .awaitingAcknowledgement {
                    if session.journaled { record(.messageReleased(clientId: clientId, sequence: message.sequence)) }
                    message.state = .awaitingCompletion
                    session.inflight[ack.packetId] = message
                }
                actions.append(.send(connection, .pubrel(MQTTAck(packetId: ack.packetId, reasonCode: 0, properties: MQTTProperties()))))
            }
        case .pubrel(let ack):
            if session.inboundQoS2.remove(ack.packetId) != nil, session.journaled {
                record(.qos2Released(clientId: clientId, packetId: ack.packetId))
            }
            actions.append(.send(connection, .pubcomp(MQTTAck(packetId: ack.packetId, reasonCode: 0, properties: MQTTProperties()))))
        case .pubcomp(let ack):
            if let message = session.inflight[ack.packetId] {
                guard message.publish.qos == .exactlyOnce, message.state == .awaitingCompletion else {
                    return actions + end(connection, .protocolViolation, now: now)
                }
                session.removeInflight(ack.packetId)
                if session.journaled { record(.messageRemoved(clientId: clientId, sequence: message.sequence)) }
                drain(session, into: &actions)
            }
        case .subscribe(let subscribe):
            receiveSubscribe(subscribe, from: session, connection: connection, into: &actions)
        case .unsubscribe(let unsubscribe):
            for filter in unsubscribe.filters where session.subscriptions.removeValue(forKey: filter) != nil {
                subscriptions.remove(filter: filter, clientId: session.clientId)
                if session.journaled { record(.unsubscribed(clientId: clientId, filter: filter)) }
            }
            let codes: [UInt8] = session.version == .v5 ? Array(repeating: 0, count: unsubscribe.filters.count) : []
            actions.append(.send(connection, .unsuback(MQTTUnsubAck(packetId: unsubscribe.packetId, reasonCodes: codes, properties: MQTTProperties()))))
        case .pingreq:
            actions.append(.send(connection, .pingresp))
        case .disconnect:
            // MQTT-3.14.4-3: a clean DISCONNECT discards the will.
            session.will = nil
            actions += end(connection, .clientDisconnected, now: now)
        case .connect, .connack, .suback, .unsuback, .pingresp, .auth:
            // MQTT-3.1.0-2: a second CONNECT is a protocol violation; server-to-client packets too.
            actions += end(connection, .protocolViolation, now: now)
        }
        return actions
    }

    /// Ends a connection at once: whatever the client sent behind the packet that ended it (in the same
    /// TCP segment, before the socket is closed) finds no session and is not processed (MQTT-3.14.4-1).
    private func end(_ connection: ConnectionID, _ reason: BrokerCloseReason, now: UInt64) -> [BrokerAction] {
        connectionLost(connection, now: now) + [.close(connection, reason)]
    }

    private func receivePublish(_ publish: MQTTPublish, from session: Session, connection: ConnectionID, now: UInt64, into actions: inout [BrokerAction]) {
        let withinRate = withinPublishRate(session, now: now)
        let allowed = withinRate && topicDepthAllowed(publish.topic) && authorizer.mayPublish(session.identity, topic: publish.topic)
        switch publish.qos {
        case .atMostOnce:
            break
        case .atLeastOnce:
            if let packetId = publish.packetId {
                actions.append(.send(connection, .puback(MQTTAck(packetId: packetId, reasonCode: allowed ? 0 : 0x87, properties: MQTTProperties()))))
            }
        case .exactlyOnce:
            guard let packetId = publish.packetId else { return }
            actions.append(.send(connection, .pubrec(MQTTAck(packetId: packetId, reasonCode: allowed ? 0 : 0x87, properties: MQTTProperties()))))
            // Delivered once: a resent PUBLISH with a packet id not yet released is not routed again.
            if allowed {
                guard session.inboundQoS2.insert(packetId).inserted else { return }
                if session.journaled { record(.qos2Received(clientId: session.clientId, packetId: packetId)) }
            }
        }
        guard allowed else {
            if withinRate { observer.publishDenied() } else { observer.messageDropped(reason: "rate_limited") }
            return
        }
        let candidates = publish.topic.utf8.first == UInt8(ascii: "$") ? hubFiltersDollar : hubFiltersOther
        if !candidates.isEmpty, candidates.contains(where: { MQTTTopic.matches(filter: $0, topic: publish.topic) }) {
            actions.append(.toHub(publish, from: session.identity))
        }
        route(publish, into: &actions)
    }

    private func receiveSubscribe(_ subscribe: MQTTSubscribe, from session: Session, connection: ConnectionID, into actions: inout [BrokerAction]) {
        var codes: [UInt8] = []
        var granted: [(String, MQTTQoS)] = []
        for subscription in subscribe.subscriptions {
            let filter = subscription.filter
            let isNew = session.subscriptions[filter] == nil
            guard topicDepthAllowed(filter), authorizer.maySubscribe(session.identity, filter: filter),
                !isNew || session.subscriptions.count < configuration.maxSubscriptionsPerClient
            else {
                observer.subscribeDenied()
                codes.append(0x80)
                continue
            }
            let qos = MQTTQoS(rawValue: min(subscription.qos.rawValue, configuration.maximumQoS)) ?? .atMostOnce
            session.subscriptions[filter] = qos
            subscriptions.insert(filter: filter, clientId: session.clientId, qos: qos)
            if session.journaled { record(.subscribed(clientId: session.clientId, filter: filter, qos: qos)) }
            codes.append(qos.rawValue)
            granted.append((filter, qos))
        }
        actions.append(.send(connection, .suback(MQTTSubAck(packetId: subscribe.packetId, returnCodes: codes, properties: MQTTProperties()))))
        // MQTT-3.3.1-6: retained messages matching a new subscription are sent with RETAIN 1.
        for (filter, qos) in granted {
            for message in retained.matching(filter) where authorizer.mayReceive(session.identity, topic: message.topic) {
                var copy = message
                copy.qos = min(message.qos, qos)
                copy.retain = true
                deliver(copy, to: session, into: &actions)
            }
        }
    }

    /// Devices are held to `devicePublishRate`; everyone else is not limited.
    private func withinPublishRate(_ session: Session, now: UInt64) -> Bool {
        guard configuration.devicePublishRate > 0, case .device = session.identity else { return true }
        return session.takePublishToken(rate: configuration.devicePublishRate, burst: configuration.devicePublishBurst, now: now)
    }

    func topicDepthAllowed(_ topic: String) -> Bool {
        var levels = 1
        for byte in topic.utf8 where byte == UInt8(ascii: "/") {
            levels += 1
            if levels > configuration.maxTopicLevels { return false }
        }
        return true
    }
}
