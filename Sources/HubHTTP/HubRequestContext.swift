import Logging
public import Hummingbird
public import NIOCore

/// The request context of both HTTP surfaces: it carries the peer address, which the audit records.
public struct HubRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = CoreRequestContextStorage(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// `ip:port` of the peer, or "unknown".
    public var sourceDescription: String {
        guard let remoteAddress else { return "unknown" }
        switch remoteAddress {
        case .v4, .v6:
            let ip = remoteAddress.ipAddress ?? "?"
            let port = remoteAddress.port.map(String.init) ?? "?"
            return remoteAddress.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        case .unixDomainSocket:
            return "unix"
        }
    }
}
