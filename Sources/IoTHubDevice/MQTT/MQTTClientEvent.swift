/// What happens to a client's connection, in order, on ``MQTTClient/events``.
public enum MQTTClientEvent: Sendable, Equatable {
    /// CONNACK 0. `sessionPresent` as the broker said; `reconnect` is false for the first connection.
    case connected(sessionPresent: Bool, reconnect: Bool)
    /// The connection ended; `reason` says why (nil after ``MQTTClient/disconnect()``).
    case disconnected(reason: String?)
    /// The broker answered CONNECT with a non-zero return code.
    case refused(MQTTConnectRefusal)
    /// The next attempt starts after `delay`.
    case reconnecting(attempt: Int, delay: Duration)
}
