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

    private static let separator: Character = "\u{1F}"

    /// The identity as one line of text (kind, then its fields, separated by U+001F), as storage and the
    /// session handover between nodes keep it.
    public var storageText: String {
        let s = String(Self.separator)
        switch self {
        case .device(let productId, let deviceName): return "device" + s + productId + s + deviceName
        case .application(let id, let products): return "application" + s + id + s + products.sorted().joined(separator: ",")
        case .anonymous: return "anonymous"
        case .hub: return "hub"
        }
    }

    /// Reads `storageText`; nil for anything else.
    public init?(storageText text: String) {
        let parts = text.split(separator: Self.separator, omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "device" where parts.count == 3: self = .device(productId: parts[1], deviceName: parts[2])
        case "application" where parts.count == 3:
            self = .application(id: parts[1], products: Set(parts[2].split(separator: ",").map(String.init)))
        case "anonymous": self = .anonymous
        case "hub": self = .hub
        default: return nil
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
