public import Logging
public import NIOCore
import NIOPosix
public import NIOSSL

/// TLS-PSK on a TLS listener (device-protocol.md §5.6): TLS 1.2 with the plain PSK cipher suites, PSK
/// identity = ClientId, beside the certificate suites of the same listener.
///
/// swift-nio-ssl has a server PSK callback (`TLSConfiguration.pskServerProvider`) but no API to read,
/// after the handshake, which identity the client used, and the callback only receives the identity,
/// not the connection. The server therefore records the identity itself: the callback runs synchronously
/// inside `NIOSSLHandler.channelRead` on the connection's event loop, so `PSKIdentityCapture`, placed in
/// front of the TLS handler, publishes the connection's `PSKIdentityBox` in a thread-local for the
/// duration of each read, and the callback stores the identity it found a key for into that box.
/// A handshake can only complete if the client holds the key of that identity.
public struct TLSPreSharedKeys: Sendable {
    /// The key of a PSK identity, nil if unknown (the handshake then fails with `unknown_psk_identity`).
    /// Called on an event loop inside the handshake: must answer at once.
    public var lookup: @Sendable (_ identity: String) -> [UInt8]?
    /// The identity hint sent in ServerKeyExchange; nil sends none (the SDKs ignore it).
    public var hint: String?
    /// OpenSSL names of the PSK suites added to the listener's cipher list. Default
    /// TLS_PSK_WITH_AES_128_CBC_SHA (0x008C) and TLS_PSK_WITH_AES_256_CBC_SHA (0x008D), the suites the
    /// C SDK offers.
    public var cipherSuites: [String] = ["PSK-AES128-CBC-SHA", "PSK-AES256-CBC-SHA"]

    public init(hint: String? = nil, lookup: @escaping @Sendable (_ identity: String) -> [UInt8]?) {
        self.hint = hint
        self.lookup = lookup
    }

    /// `configuration` with these PSK suites appended to its cipher list and the server PSK callback set.
    /// Certificate clients keep negotiating their (ECDHE, or TLS 1.3) suites: BoringSSL only picks a PSK
    /// suite the client offered, and TLS 1.3 never uses this callback.
    func apply(to configuration: TLSConfiguration, logger: Logger) -> TLSConfiguration {
        var configuration = configuration
        configuration.cipherSuites = ([configuration.cipherSuites] + cipherSuites).joined(separator: ":")
        configuration.pskHint = hint
        let lookup = self.lookup
        configuration.pskServerProvider = { context in
            guard let box = PSKIdentityBox.current.currentValue else {
                // Only reachable if swift-nio-ssl ever drives the handshake outside channelRead: refuse
                // rather than accept a connection whose identity would be lost.
                logger.error("TLS-PSK callback outside a connection read; refusing the handshake")
                throw TLSPreSharedKeysError.noConnection
            }
            guard let key = lookup(context.clientIdentity), !key.isEmpty, key.count <= context.maxPSKLength else {
                logger.info("TLS-PSK handshake with an unknown identity", metadata: ["mqtt.psk_identity": "\(context.clientIdentity)"])
                throw TLSPreSharedKeysError.unknownIdentity
            }
            box.identity = context.clientIdentity
            return PSKServerIdentityResponse(key: NIOSSLSecureBytes(key))
        }
        return configuration
    }
}

enum TLSPreSharedKeysError: Error {
    case unknownIdentity
    case noConnection
}

/// The PSK identity one TLS connection's handshake succeeded with. Confined to the connection's event
/// loop (written by the PSK callback during a read, read by the MQTT handler at CONNECT).
final class PSKIdentityBox: @unchecked Sendable {
    /// The connection whose bytes the TLS handler is processing on this thread right now.
    static let current = ThreadSpecificVariable<PSKIdentityBox>()

    var identity: String?
    /// Set once CONNECT arrived: the handshake is over, reads need not publish the box any more.
    var sealed = false
}

/// In front of `NIOSSLServerHandler`: makes the connection's `PSKIdentityBox` current while the TLS
/// handler processes a read (during which it runs the handshake and so the PSK callback).
final class PSKIdentityCapture: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let box: PSKIdentityBox

    init(box: PSKIdentityBox) {
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !box.sealed else { return context.fireChannelRead(data) }
        let previous = PSKIdentityBox.current.currentValue
        PSKIdentityBox.current.currentValue = box
        defer { PSKIdentityBox.current.currentValue = previous }
        context.fireChannelRead(data)
    }
}
