import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// TLS-PSK on a TLS listener (device-protocol.md §5.6): TLS 1.2 with the PSK cipher suites, PSK
/// identity = ClientId, on the same port as the certificate clients.
///
/// Per connection the server looks at the ClientHello (`TLSClientHelloRouter`): a client that offers a PSK
/// suite gets a TLS 1.2 context with the PSK suites added to the listener's cipher list (TLS 1.3 has no
/// external PSKs in BoringSSL, so a client that also offers TLS 1.3 would otherwise end up in a
/// certificate handshake); every other client gets the listener's own context unchanged (TLS 1.3, no
/// PSK). Within the PSK context BoringSSL picks a suite both sides have, in the client's order.
///
/// swift-nio-ssl has a server PSK callback (`TLSConfiguration.pskServerProvider`) but no API to read,
/// after the handshake, which identity the client used, and the callback only receives the identity, not
/// the connection. The server therefore records the identity itself: the callback runs synchronously
/// inside `NIOSSLHandler.channelRead` on the connection's event loop, so `PSKIdentityCapture`, placed in
/// front of the TLS handler, publishes the connection's `PSKIdentityBox` in a thread-local for the
/// duration of each read, and the callback stores the identity it returned a key for into that box. A
/// handshake only completes if the client holds the key of that identity.
public struct TLSPreSharedKeys: Sendable {
    /// The key of a PSK identity, nil if unknown (the handshake then fails with `unknown_psk_identity`).
    /// Called on an event loop inside the handshake: must answer at once.
    public var lookup: @Sendable (_ identity: String) -> [UInt8]?
    /// The identity hint sent in ServerKeyExchange; nil sends none (the SDKs ignore it).
    public var hint: String?

    public init(hint: String? = nil, lookup: @escaping @Sendable (_ identity: String) -> [UInt8]?) {
        self.hint = hint
        self.lookup = lookup
    }

    /// The plain PSK suites added to the cipher list: TLS_PSK_WITH_AES_128_CBC_SHA (0x008C) and
    /// TLS_PSK_WITH_AES_256_CBC_SHA (0x008D), what the C SDK offers.
    static let cipherSuiteNames = ["PSK-AES128-CBC-SHA", "PSK-AES256-CBC-SHA"]
    /// Every PSK suite BoringSSL implements for TLS 1.2 (the plain ones, and the ECDHE-PSK ones the
    /// default cipher list already names): a ClientHello offering one of them is routed to the PSK context.
    static let routedSuites: Set<UInt16> = [0x008C, 0x008D, 0xC035, 0xC036, 0xCCAC]

    /// `configuration` limited to TLS 1.2, with the PSK suites appended to its cipher list and the server
    /// PSK callback set.
    func pskConfiguration(from configuration: TLSConfiguration, logger: Logger) -> TLSConfiguration {
        var configuration = configuration
        configuration.maximumTLSVersion = .tlsv12
        configuration.cipherSuites = ([configuration.cipherSuites] + Self.cipherSuiteNames).joined(separator: ":")
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

/// The TLS contexts of a listener with TLS-PSK.
struct TLSContexts: Sendable {
    /// The listener's configuration as given (certificates, TLS 1.3).
    var standard: NIOSSLContext
    /// TLS 1.2 with the PSK suites and callback.
    var psk: NIOSSLContext
}

/// First handler of a TLS-PSK listener's connections: waits for the ClientHello, installs the TLS handler
/// with the context that fits it (PSK suite offered → `TLSContexts.psk` behind a `PSKIdentityCapture`,
/// else `TLSContexts.standard`), passes the bytes on and removes itself.
final class TLSClientHelloRouter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Bytes buffered at most before deciding: one full TLS record.
    static let maxBuffered = 5 + (1 << 14) + 2048

    let contexts: TLSContexts
    let box: PSKIdentityBox
    private var buffer: ByteBuffer?

    init(contexts: TLSContexts, box: PSKIdentityBox) {
        self.contexts = contexts
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil {
            buffer = incoming
        } else {
            buffer!.writeBuffer(&incoming)
        }
        guard let bytes = buffer else { return }
        let offersPSK: Bool
        switch Self.clientHelloOffersPSK(bytes) {
        case .needMoreData where bytes.readableBytes < Self.maxBuffered: return
        case .needMoreData: offersPSK = false
        case .decided(let decision): offersPSK = decision
        }
        buffer = nil
        do {
            let sync = context.pipeline.syncOperations
            if offersPSK {
                try sync.addHandlers([PSKIdentityCapture(box: box), NIOSSLServerHandler(context: contexts.psk)], position: .after(self))
            } else {
                try sync.addHandler(NIOSSLServerHandler(context: contexts.standard), position: .after(self))
            }
        } catch {
            context.fireErrorCaught(error)
            return
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    enum Decision: Equatable {
        case needMoreData
        case decided(Bool)
    }

    /// Whether a TLS ClientHello offers one of the PSK suites (`TLSPreSharedKeys.routedSuites`). Anything
    /// that is not a well-formed ClientHello in its first record is decided `false`: the standard
    /// context's handshake then rejects it.
    static func clientHelloOffersPSK(_ bytes: ByteBuffer) -> Decision {
        let start = bytes.readerIndex
        func byte(_ offset: Int) -> Int? { bytes.getInteger(at: start + offset, as: UInt8.self).map(Int.init) }
        func u16(_ offset: Int) -> Int? { bytes.getInteger(at: start + offset, as: UInt16.self).map(Int.init) }
        // Record header: type 22 (handshake), version, length.
        guard let contentType = byte(0), let recordLength = u16(3) else { return .needMoreData }
        guard contentType == 22 else { return .decided(false) }
        let recordEnd = 5 + recordLength
        // Handshake header: type 1 (ClientHello), 3-byte length; then version (2) and random (32).
        guard let handshakeType = byte(5) else { return .needMoreData }
        guard handshakeType == 1 else { return .decided(false) }
        let sessionIdOffset = 5 + 4 + 2 + 32
        guard let sessionIdLength = byte(sessionIdOffset) else { return .needMoreData }
        let suitesOffset = sessionIdOffset + 1 + sessionIdLength
        guard suitesOffset + 2 <= recordEnd else { return .decided(false) }
        guard let suitesLength = u16(suitesOffset) else { return .needMoreData }
        let suitesEnd = suitesOffset + 2 + suitesLength
        guard suitesEnd <= recordEnd, suitesLength % 2 == 0 else { return .decided(false) }
        guard bytes.readableBytes >= suitesEnd else { return .needMoreData }
        var offset = suitesOffset + 2
        while offset < suitesEnd {
            if let suite = u16(offset), TLSPreSharedKeys.routedSuites.contains(UInt16(suite)) { return .decided(true) }
            offset += 2
        }
        return .decided(false)
    }
}
