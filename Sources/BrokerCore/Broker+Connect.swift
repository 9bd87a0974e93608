import DequeModule
public import MQTTCore

extension Broker {
    /// An authenticated CONNECT: starts or resumes the client's session and answers CONNACK 0.
    ///
    /// The server layer has already checked the protocol version and authenticated the client; the broker
    /// refuses only what depends on its sessions (ClientId rules, a device's ClientId used by another
    /// client, an application over its session quota).
    public func connect(_ connection: ConnectionID, _ packet: MQTTConnect, identity: ClientIdentity, now: UInt64) -> [BrokerAction] {
        var actions: [BrokerAction] = []
        let version = packet.version ?? .v3_1_1
        var clientId = packet.clientId
        if clientId.isEmpty {
            // MQTT-3.1.3-7/8: a zero-byte ClientId needs CleanSession 1; the server assigns one. MQTT 3.1 has no
            // zero-byte ClientIds at all (1–23 characters; the hub lifts only the upper bound).
            guard packet.cleanSession, version != .v3_1 else {
                return refuse(connection, returnCode: 0x02)
            }
            clientId = uniqueAssignedClientId()
        }

        if let existing = sessions[clientId], case .device = existing.identity, !existing.identity.isSamePrincipal(as: identity) {
            // A device's ClientId is named by its credentials: nobody else may take its connection over or
            // resume its session (device-protocol.md §6.1: a device's topics are its own).
            return refuse(connection, returnCode: 0x02)
        }
        // An application credential holds at most `maxSessionsPerApplication` sessions: a CONNECT that would
        // add one (not resume or take over one of its own) is refused. MQTT 3.x has no quota code; 3 (server
        // unavailable) says "retry later", as the connection limit answers; MQTT 5 has 0x97 quota exceeded.
        if case .application(let appId, _) = identity,
            sessions[clientId].map({ !$0.identity.isSamePrincipal(as: identity) }) ?? true,
            sessionsPerApplication[appId, default: 0] >= configuration.maxSessionsPerApplication
        {
            observer.sessionQuotaExceeded()
            return refuse(connection, returnCode: version == .v5 ? 0x97 : 0x03)
        }

        // The other nodes close this client's connection there (`Broker.takenOverElsewhere`).
        if configuration.clustered { actions.append(.clusterConnected(clientId: clientId, cleanSession: packet.cleanSession)) }
        var sessionPresent = false
        let session: Session
        if let existing = sessions[clientId] {
            let sameOwner = existing.identity.isSamePrincipal(as: identity)
            if let old = existing.connection, old != connection {
                // MQTT-3.1.4-2: the newer connection wins.
                endTakenOverConnection(of: existing, into: &actions)
            }
            // A session never passes to another client identity (it would hand over messages authorized for
            // the previous one).
            if packet.cleanSession || existing.cleanSession || !sameOwner {
                discard(existing)
                session = startSession(clientId, packet, identity: identity, version: version, now: now)
            } else {
                session = existing
                sessionPresent = true
            }
        } else {
            session = startSession(clientId, packet, identity: identity, version: version, now: now)
        }
        session.identity = identity
        session.cleanSession = packet.cleanSession
        session.version = version
        session.keepAlive = packet.keepAlive
        session.lastActivity = now
        session.will = packet.will
        session.expiryMillis = sessionExpiryMillis(packet, version: version)
        session.expiresAt = nil
        session.connection = connection
        connections[connection] = clientId
        if journaling, session.expiryMillis > 0 {
            session.journaled = true
            record(.sessionSaved(PersistedSession(clientId: clientId, identity: identity, version: version, expiryMillis: session.expiryMillis)))
        } else if session.journaled {
            // A resumed session whose client now asks for none after the connection (MQTT 5 expiry 0).
            session.journaled = false
            record(.sessionEnded(clientId: clientId))
        }
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

    /// Closes a session's live connection because its client connected again (here or on another node): MQTT-3.1.2-8,
    /// the connection ends without DISCONNECT, so its will is published. The session itself stays.
    func endTakenOverConnection(of session: Session, into actions: inout [BrokerAction]) {
        guard let connection = session.connection else { return }
        connections[connection] = nil
        session.connection = nil
        actions.append(.close(connection, .takenOver))
        publishWill(of: session, into: &actions)
    }

    private func refuse(_ connection: ConnectionID, returnCode: UInt8) -> [BrokerAction] {
        [
            .send(connection, .connack(MQTTConnAck(sessionPresent: false, returnCode: returnCode, properties: MQTTProperties()))),
            .close(connection, .connectRefused),
        ]
    }

    private func startSession(_ clientId: String, _ packet: MQTTConnect, identity: ClientIdentity, version: MQTTProtocolVersion, now: UInt64) -> Session {
        let session = Session(clientId: clientId, identity: identity, cleanSession: packet.cleanSession, version: version, keepAlive: packet.keepAlive, now: now)
        sessions[clientId] = session
        if case .application(let appId, _) = identity { sessionsPerApplication[appId, default: 0] += 1 }
        return session
    }

    /// How long the session outlives its connection: MQTT 3.x CleanSession 0 → the configured expiry,
    /// CleanSession 1 → 0; MQTT 5 → its Session Expiry Interval (absent = 0), at most the configured expiry.
    func sessionExpiryMillis(_ packet: MQTTConnect, version: MQTTProtocolVersion) -> UInt64 {
        let limit = UInt64(configuration.sessionExpirySeconds)
        guard version == .v5 else { return packet.cleanSession ? 0 : limit * 1000 }
        guard case .fourByteInt(let requested)? = packet.properties.first(MQTTProperties.Identifier.sessionExpiryInterval) else { return 0 }
        return min(UInt64(requested), limit) * 1000
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

    /// Forgets a session, its subscriptions and its queued messages.
    func discard(_ session: Session) {
        for filter in session.subscriptions.keys {
            subscriptions.remove(filter: filter, clientId: session.clientId)
        }
        if let connection = session.connection { connections[connection] = nil }
        sessions[session.clientId] = nil
        if session.journaled {
            session.journaled = false
            record(.sessionEnded(clientId: session.clientId))
        }
        if case .application(let appId, _) = session.identity {
            let remaining = sessionsPerApplication[appId, default: 1] - 1
            sessionsPerApplication[appId] = remaining > 0 ? remaining : nil
        }
    }
}
