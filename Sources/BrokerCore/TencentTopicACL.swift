import MQTTCore

/// The topic rules of a Tencent-compatible hub (device-protocol.md §6.1).
///
/// * A device may use only its own `{pid}/{dn}/…` topics and its service topics, each in the direction
///   the table allows; wildcard filters only inside its own namespace; it receives only from topics it may
///   subscribe to.
/// * An application may publish into, and receive from, the namespaces of its products; it may subscribe
///   with any valid filter (`+/+/event`), deliveries are limited to its products.
/// * An anonymous client (only when the hub allows them) has unrestricted access outside the device
///   namespaces.
/// * A gateway may use the topics of a sub-device attached to it as the sub-device could (except
///   `$gateway/…`), decided by `proxies` at each packet, so that a detach takes effect at once.
public struct TencentTopicACL: BrokerAuthorizer {
    let proxies: (any GatewayProxies)?

    public init(proxies: (any GatewayProxies)? = nil) {
        self.proxies = proxies
    }

    /// Service topic prefixes whose 3rd and 4th levels are `{pid}/{dn}`.
    static let servicePrefixes: Set<Substring> = ["$shadow", "$ota", "$sys", "$broadcast", "$rrpc", "$config", "$log", "$gateway", "$thing", "$resource"]

    enum Direction { case publish, subscribe }

    public func maySubscribe(_ identity: ClientIdentity, filter: String) -> Bool {
        switch identity {
        case .hub: return true
        case .device(let productId, let deviceName):
            return Self.deviceMay(.subscribe, productId, deviceName, filter) || proxyMay(.subscribe, productId, deviceName, filter)
        case .application: return true
        case .anonymous: return !Self.isDeviceNamespaceFilter(filter)
        }
    }

    public func mayPublish(_ identity: ClientIdentity, topic: String) -> Bool {
        switch identity {
        case .hub: return true
        case .device(let productId, let deviceName):
            return Self.deviceMay(.publish, productId, deviceName, topic) || proxyMay(.publish, productId, deviceName, topic)
        case .application(_, let products):
            guard let owner = Self.productOwning(topic) else { return false }
            return products.contains(owner)
        case .anonymous: return Self.productOwning(topic) == nil
        }
    }

    public func mayReceive(_ identity: ClientIdentity, topic: String) -> Bool {
        switch identity {
        case .hub: return true
        case .device(let productId, let deviceName):
            return Self.deviceMay(.subscribe, productId, deviceName, topic) || proxyMay(.subscribe, productId, deviceName, topic)
        case .application(_, let products):
            guard let owner = Self.productOwning(topic) else { return false }
            return products.contains(owner)
        case .anonymous: return Self.productOwning(topic) == nil
        }
    }

    /// Whether the gateway `productId`/`deviceName` may use the topic for a sub-device attached to it.
    func proxyMay(_ direction: Direction, _ productId: String, _ deviceName: String, _ topic: String) -> Bool {
        guard let proxies, let (subProductId, subDeviceName) = Self.deviceNamespace(topic), subProductId != productId || subDeviceName != deviceName,
            proxies.isAttached(subProductId: subProductId, subDeviceName: subDeviceName, gatewayProductId: productId, gatewayName: deviceName)
        else { return false }
        return Self.deviceMay(direction, String(subProductId), String(subDeviceName), topic)
    }

    /// The device whose namespace a topic or filter names: `{pid}/{dn}/…`, or a service topic
    /// `$x/…/{pid}/{dn}[/…]` (not `$gateway`: a gateway never acts as the gateway of its sub-devices).
    public static func deviceNamespace(_ topic: String) -> (Substring, Substring)? {
        let levels = topic.split(separator: "/", maxSplits: 5, omittingEmptySubsequences: false)
        guard levels.count >= 3 else { return nil }
        if isProductIdShaped(levels[0]) { return (levels[0], levels[1]) }
        guard levels[0] != "$gateway", servicePrefixes.contains(levels[0]) else { return nil }
        // $x/operation/{pid}/{dn}, $x/operation/result/{pid}/{dn}, $thing/up/property/{pid}/{dn} …
        for index in 1..<(levels.count - 1) where isProductIdShaped(levels[index]) {
            return (levels[index], levels[index + 1])
        }
        return nil
    }

    /// The ProductId whose namespace a topic belongs to, if any: `{pid}/…` with a ProductId-shaped first
    /// level, or a service topic `$x/…/{pid}/{dn}`.
    static func productOwning(_ topic: String) -> String? {
        // The first level decides for everything but service topics; found without splitting the topic
        // (this runs once per delivery to an application).
        let firstEnd = topic.utf8.firstIndex(of: UInt8(ascii: "/")) ?? topic.endIndex
        let firstLevel = topic[..<firstEnd]
        if isProductIdShaped(firstLevel) { return String(firstLevel) }
        guard servicePrefixes.contains(firstLevel) else { return nil }
        // $shadow/operation/{pid}/{dn}, $shadow/operation/result/{pid}/{dn}, $thing/up/property/{pid}/{dn} …
        return topic.split(separator: "/", omittingEmptySubsequences: false).dropFirst().first(where: isProductIdShaped).map(String.init)
    }

    static func isProductIdShaped(_ level: Substring) -> Bool {
        level.utf8.count == 10 && level.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) }
    }

    /// A filter that could match topics of some device namespace.
    static func isDeviceNamespaceFilter(_ filter: String) -> Bool {
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        guard let first = levels.first else { return false }
        return isProductIdShaped(first) || servicePrefixes.contains(first)
    }

    /// The §6.1 table for one device.
    static func deviceMay(_ direction: Direction, _ productId: String, _ deviceName: String, _ topic: String) -> Bool {
        // {pid}/{dn}/... of the device itself, decided without splitting the topic (once per publish).
        let slash = UInt8(ascii: "/")
        let utf8 = topic.utf8
        if let firstSlash = utf8.firstIndex(of: slash), topic[..<firstSlash] == productId {
            let second = utf8.index(after: firstSlash)
            guard let secondSlash = utf8[second...].firstIndex(of: slash), topic[second..<secondSlash] == deviceName else { return false }
            let last = topic[utf8.index(after: secondSlash)...]
            guard !last.utf8.contains(slash) else { return false }
            switch last {
            case "control": return direction == .subscribe
            case "event": return direction == .publish
            case "data": return true
            case "+", "#": return direction == .subscribe
            // Custom topics {pid}/{dn}/{name}: both directions until topic policies exist.
            default: return isTopicName(last)
            }
        }
        // Everything else is a service topic ($x/…/{pid}/{dn}/…).
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count >= 2 else { return false }
        func own(_ p: Substring, _ d: Substring) -> Bool { p == productId && d == deviceName }
        switch (levels[0], levels.count) {
        case ("$shadow", 4), ("$ota", 4), ("$sys", 4), ("$config", 4), ("$log", 4), ("$gateway", 4):
            // $x/operation/{pid}/{dn} (publish) and $ota/report|update/{pid}/{dn}
            guard own(levels[2], levels[3]) else { return false }
            switch (levels[0], levels[1]) {
            case ("$ota", "report"): return direction == .publish
            case ("$ota", "update"): return direction == .subscribe
            case (_, "operation"): return direction == .publish
            default: return false
            }
        case ("$shadow", 5), ("$sys", 5), ("$config", 5), ("$log", 5), ("$gateway", 5):
            // $x/operation/result/{pid}/{dn}
            return levels[1] == "operation" && levels[2] == "result" && own(levels[3], levels[4]) && direction == .subscribe
        case ("$broadcast", 4):
            return levels[1] == "rxd" && own(levels[2], levels[3]) && direction == .subscribe
        case ("$rrpc", 5):
            guard own(levels[2], levels[3]) else { return false }
            if levels[1] == "rxd" { return direction == .subscribe && (levels[4] == "+" || isTopicName(levels[4])) }
            if levels[1] == "txd" { return direction == .publish && isTopicName(levels[4]) }
            return false
        case ("$resource", 5):
            // $resource/up/service/{pid}/{dn} (publish), $resource/down/service/{pid}/{dn} (subscribe), §6.12.1
            guard levels[2] == "service", own(levels[3], levels[4]) else { return false }
            if levels[1] == "up" { return direction == .publish }
            if levels[1] == "down" { return direction == .subscribe }
            return false
        case ("$thing", 5):
            let kinds: Set<Substring> = ["property", "event", "action", "raw", "service"]
            guard kinds.contains(levels[2]), own(levels[3], levels[4]) else { return false }
            if levels[1] == "up" { return direction == .publish }
            if levels[1] == "down" { return direction == .subscribe }
            return false
        default:
            return false
        }
    }

    /// `[a-zA-Z0-9:_-]{1,128}`.
    static func isTopicName(_ level: Substring) -> Bool {
        !level.isEmpty && level.utf8.count <= 128
            && level.utf8.allSatisfy { ($0 >= 48 && $0 <= 58) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 45 }
    }
}
