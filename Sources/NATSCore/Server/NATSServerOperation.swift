/// One server→client operation.
public enum NATSServerOperation: Hashable, Sendable {
    /// `INFO {...}`: sent first on every connection, and again when the cluster changes.
    case info(NATSServerInfo)
    /// `MSG` or `HMSG`.
    case message(NATSInboundMessage)
    /// `PING`: the client must answer `PONG`.
    case ping
    /// `PONG`: the answer to a client `PING`.
    case pong
    /// `+OK` (only sent in verbose mode, which this client does not request).
    case ok
    /// `-ERR '<text>'`, with the quotes removed.
    case error(String)
}
