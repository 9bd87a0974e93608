public import MQTTCore

/// What the broker asks the server layer to do, in order.
public enum BrokerAction: Sendable, Equatable {
    /// Write a packet to a connection.
    case send(ConnectionID, MQTTPacket)
    /// Close a connection after writing what was sent before.
    case close(ConnectionID, BrokerCloseReason)
    /// Hand a client's message to the hub's own services (its topic matched a hub filter).
    case toHub(MQTTPublish, from: ClientIdentity)
    /// Hand a message routed here to the other nodes of the cluster (``BrokerConfiguration/clustered``), which
    /// route it to their own subscribers with ``Broker/publishFromCluster(_:)``.
    case toCluster(MQTTPublish)
    /// Tell the other nodes of the cluster that this client connected here: they close its connection there (and,
    /// for a CleanSession 1 connect, end its session there).
    case clusterConnected(clientId: String, cleanSession: Bool)
}

/// Why the broker closes a connection.
public enum BrokerCloseReason: String, Sendable, Hashable {
    case clientDisconnected = "client_disconnected"
    case takenOver = "taken_over"
    case keepAliveTimeout = "keepalive_timeout"
    case protocolViolation = "protocol_violation"
    case kicked
    case shuttingDown = "shutting_down"
    case connectRefused = "connect_refused"
    /// The broker's durable state could not be written: acknowledgements held for it are not sent.
    case journalFailed = "journal_failed"
}
