public import BrokerCore
public import NIOSSL
import NIOCore

/// Listeners and limits of the MQTT server. Every field documents its default.
public struct MQTTServerConfiguration: Sendable {
    public struct Listener: Sendable {
        public enum Transport: Sendable {
            case tcp
            /// TLS (server certificate; optional client certificates) and, with `psk`, TLS-PSK on the
            /// same port: clients whose ClientHello offers a PSK suite get TLS 1.2 with the PSK suites
            /// added, the others the configuration as given (see `TLSPreSharedKeys`).
            case tls(TLSConfiguration, psk: TLSPreSharedKeys? = nil)
            /// MQTT over WebSocket (any path, subprotocol `mqtt`).
            case webSocket
        }

        public var host: String
        public var port: Int
        public var transport: Transport

        public init(host: String, port: Int, transport: Transport) {
            self.host = host
            self.port = port
            self.transport = transport
        }
    }

    /// What carries plain-TCP listeners.
    public enum TCPEngine: String, Sendable, CaseIterable {
        /// The hub's own epoll transport (`PollLoop`): a few hundred bytes per connection. Linux only.
        case poll
        /// A SwiftNIO channel per connection, as TLS and WebSocket listeners use.
        case nio
    }

    public var listeners: [Listener]
    /// The engine of plain-TCP listeners. Default `.poll` on Linux, `.nio` elsewhere.
    public var tcpEngine: TCPEngine = Self.defaultTCPEngine
    /// Threads of the poll engine. Default: one per core.
    public var pollThreads = System.coreCount

    #if os(Linux)
    public static let defaultTCPEngine = TCPEngine.poll
    #else
    public static let defaultTCPEngine = TCPEngine.nio
    #endif
    /// Simultaneous clients (CONNECT accepted or being decided). A CONNECT beyond it is answered with
    /// CONNACK 3 (server unavailable) and closed. Default 100000.
    public var maxConnections = 100_000
    /// Sockets that have not sent CONNECT yet (TLS handshakes and WebSocket upgrades included). Beyond it a
    /// new socket is closed at accept. Default 10000.
    public var maxPendingConnections = 10_000
    /// Bytes a connection may send before its CONNECT is decided: the CONNECT itself (a larger declared
    /// length is refused at once) and anything pipelined behind it. Beyond it the connection is closed.
    /// Default 8192.
    public var preConnectBytes = 8 * 1024
    /// Largest MQTT packet accepted, checked before buffering. Default 256 KiB.
    public var maxPacketSize = 256 * 1024
    /// Seconds a new connection may take to send CONNECT. Default 10.
    public var connectTimeoutSeconds = 10
    /// Outbound packets buffered per connection while its socket is not writable; beyond it QoS 0
    /// messages are dropped (QoS 1/2 are limited by the broker's in-flight window). Default 1000.
    public var maxPendingOutbound = 1000
    /// Unwritten output (bytes queued for the connection plus what its transport holds beyond its own 64 KiB
    /// write watermark) above which reading from the connection pauses; it resumes below half. Default 1 MiB.
    public var outputWatermark = 1 << 20
    /// Bytes a connection's queue may hold: QoS 0 messages beyond it are dropped, any other packet that
    /// does not fit closes the connection. Default 16 MiB.
    public var outputBudget = 16 << 20
    /// Seconds a connection may stay over `outputWatermark` before it is closed. Default 60.
    public var outputStallTimeoutSeconds = 60
    public var broker = BrokerConfiguration()
    /// Source addresses refused at accept, before anything of theirs is read or allocated (banned sources):
    /// on plain TCP answered CONNACK 5 (not authorized) without reading the CONNECT, on TLS and WebSocket
    /// closed. Nil: none.
    public var refusedAtAccept: (@Sendable (String) -> Bool)? = nil

    public init(listeners: [Listener]) {
        self.listeners = listeners
    }
}
