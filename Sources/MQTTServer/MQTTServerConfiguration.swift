public import BrokerCore
public import NIOSSL

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

    public var listeners: [Listener]
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
