/// Who an authenticated MQTT client is. Decided by the server layer at CONNECT; the broker core only
/// hands it to the authorizer.
public enum ClientIdentity: Sendable, Hashable, CustomStringConvertible {
    /// A Tencent-style device (`ClientId` = `{productId}{deviceName}`).
    case device(productId: String, deviceName: String)
    /// A business application created by the operator, scoped to products.
    case application(id: String, products: Set<String>)
    /// A client without credentials, admitted only when the hub allows anonymous clients.
    case anonymous
    /// The hub itself (messages published by services through the in-process link).
    case hub

    /// Whether both identities are the same client principal: the same device, the same application
    /// (whatever its product scope at the time), anonymous, or the hub.
    public func isSamePrincipal(as other: ClientIdentity) -> Bool {
        switch (self, other) {
        case (.device(let p1, let d1), .device(let p2, let d2)): p1 == p2 && d1 == d2
        case (.application(let a, _), .application(let b, _)): a == b
        case (.anonymous, .anonymous), (.hub, .hub): true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .device(let productId, let deviceName): "device \(productId)/\(deviceName)"
        case .application(let id, _): "application \(id)"
        case .anonymous: "anonymous"
        case .hub: "hub"
        }
    }
}

/// Identifies one network connection of the server layer.
public struct ConnectionID: Sendable, Hashable, CustomStringConvertible {
    public let raw: UInt64
    public init(_ raw: UInt64) { self.raw = raw }
    public var description: String { "c\(raw)" }
}
