import DequeModule
public import MQTTCore

extension Broker {
    /// An authenticated CONNECT: starts or resumes the client's session and answers CONNACK 0.
    ///
    /// The server layer has already checked the protocol version and authenticated the client; a refused
    /// CONNECT never reaches the broker.
    public func connect(_ connection: ConnectionID, _ packet: MQTTConnect, identity: ClientIdentity, now: UInt64) -> [BrokerAction] {
        var actions: [BrokerAction] = []
        let version = packet.version ?? .v3_1_1
        var clientId = packet.clientId
        if clientId.isEmpty {
            // MQTT-3.1.3-7/8: a zero-byte ClientId needs CleanSession 1; the server assigns one. MQTT 3.1 has no
            // zero-byte ClientIds at all (1–23 characters; the hub lifts only the upper bound).
            guard packet.cleanSession, version != .v3_1 else {
                return [
                    .send(connection, .connack(MQTTConnAck(sessionPresent: false, returnCode: 0x02, properties: MQTTProperties()))),
                    .close(connection, .connectRefused),
                ]
            }
            clientId = uniqueAssignedClientId()
        }

        var sessionPresent = false
        let session: Session
        if let existing = sessions[clientId] {
            let sameOwner = existing.identity.isSamePrincipal(as: identity)
            if !sameOwner, case .device = existing.identity {
                // A device's ClientId is named by its credentials: nobody else may take its connection over or
                // resume its session (device-protocol.md §6.1: a device's topics are its own).
                return [
                    .send(connection, .connack(MQTTConnAck(sessionPresent: false, returnCode: 0x02, properties: MQTTProperties()))),
                    .close(connection, .connectRefused),
                ]
            }
            if let old = existing.connection, old != connection {
                // MQTT-3.1.4-2: the newer connection wins.
                connections[old] = nil
                existing.connection = nil
                actions.append(.close(old, .takenOver))
                // MQTT-3.1.2-8: the older connection ends without DISCONNECT, so its will is published.
                publishWill(of: existing, into: &actions)
            }
            // A session never passes to another client identity (it would hand over messages authorized for
            // the previous one).
            if packet.cleanSession || existing.cleanSession || !sameOwner {
                discard(existing)
                session = Session(clientId: clientId, identity: identity, cleanSession: packet.cleanSession, version: version, keepAlive: packet.keepAlive, now: now)
                sessions[clientId] = session
            } else {
                session = existing
                sessionPresent = true
            }
        } else {
            session = Session(clientId: clientId, identity: identity, cleanSession: packet.cleanSession, version: version, keepAlive: packet.keepAlive, now: now)
            sessions[clientId] = session
        }
        session.identity = identity
        session.cleanSession = packet.cleanSession
        session.version = version
        session.keepAlive = packet.keepAlive
        session.lastActivity = now
        session.will = packet.will
        session.connection = connection
        connections[connection] = clientId
        if packet.keepAlive > 0 {
            keepAlive.schedule(connection, after: now + UInt64(packet.keepAlive) * 1500)
        }

        // MQTT 3.1 has no session-present flag: the first CONNACK byte is reserved and stays 0.
        let connack = MQTTConnAck(sessionPresent: sessionPresent && version != .v3_1, returnCode: 0, properties: MQTTProperties())
        actions.append(.send(connection, .connack(connack)))
        if sessionPresent {
            resend(session, into: &actions)
        }
        drain(session, into: &actions)
        return actions
    }

    /// A ClientId for a client that sent a zero-byte one: unique (MQTT-3.1.3-6) and unguessable, so that no
    /// other client can take the session over by connecting with it.
    func uniqueAssignedClientId() -> String {
        var clientId: String
        repeat {
            let high = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            let low = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            clientId = "auto-" + String(repeating: "0", count: 16 - high.count) + high + String(repeating: "0", count: 16 - low.count) + low
        } while sessions[clientId] != nil
        return clientId
    }

    /// Redelivers unacknowledged messages of a resumed session, in their original order (MQTT-4.4.0-1).
    func resend(_ session: Session, into actions: inout [BrokerAction]) {
        guard let connection = session.connection else { return }
        for packetId in session.inflightOrder {
            guard let message = session.inflight[packetId] else { continue }
            switch message.state {
            case .awaitingAcknowledgement:
                var publish = message.publish
                publish.dup = true
                actions.append(.send(connection, .publish(publish)))
            case .awaitingCompletion:
                actions.append(.send(connection, .pubrel(MQTTAck(packetId: packetId, reasonCode: 0, properties: MQTTProperties()))))
            }
        }
    }

    /// Forgets a session and its subscriptions.
    func discard(_ session: Session) {
        for filter in session.subscriptions.keys {
            subscriptions.remove(filter: filter, clientId: session.clientId)
        }
        if let connection = session.connection { connections[connection] = nil }
        sessions[session.clientId] = nil
    }
}
