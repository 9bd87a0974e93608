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
    /// Simultaneous connections; further ones are closed at once. Default 100000.
    public var maxConnections = 100_000
    /// Largest MQTT packet accepted, checked before buffering. Default 256 KiB.
    public var maxPacketSize = 256 * 1024
    /// Seconds a new connection may take to send CONNECT. Default 10.
    public var connectTimeoutSeconds = 10
    /// Outbound packets buffered per connection while its socket is not writable; beyond it QoS 0
    /// messages are dropped (QoS 1/2 are limited by the broker's in-flight window). Default 1000.
    public var maxPendingOutbound = 1000
    public var broker = BrokerConfiguration()

    public init(listeners: [Listener]) {
        self.listeners = listeners
    }
}
