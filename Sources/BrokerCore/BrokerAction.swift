public import MQTTCore

/// What the broker asks the server layer to do, in order.
public enum BrokerAction: Sendable, Equatable {
    /// Write a packet to a connection.
    case send(ConnectionID, MQTTPacket)
    /// Close a connection after writing what was sent before.
    case close(ConnectionID, BrokerCloseReason)
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
}
