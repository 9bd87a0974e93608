/// The per-device topics of device-protocol.md §6.1, for one device.
public struct DeviceTopics: Sendable, Hashable {
    public let productId: String
    public let deviceName: String

    public init(productId: String, deviceName: String) {
        self.productId = productId
        self.deviceName = deviceName
    }

    private var path: String { "\(productId)/\(deviceName)" }

    /// `{pid}/{dn}/control`: commands from the cloud (subscribe).
    public var control: String { "\(path)/control" }
    /// `{pid}/{dn}/event`: application events (publish).
    public var event: String { "\(path)/event" }
    /// `{pid}/{dn}/data`: data both ways.
    public var data: String { "\(path)/data" }
    /// `{pid}/{dn}/{name}`: a product-defined topic.
    public func custom(_ name: String) -> String { "\(path)/\(name)" }

    public var shadowOperation: String { "$shadow/operation/\(path)" }
    public var shadowResult: String { "$shadow/operation/result/\(path)" }
    public var otaReport: String { "$ota/report/\(path)" }
    public var otaUpdate: String { "$ota/update/\(path)" }
    public var sysOperation: String { "$sys/operation/\(path)" }
    public var sysResult: String { "$sys/operation/result/\(path)" }
    public var broadcast: String { "$broadcast/rxd/\(path)" }
    /// `$rrpc/rxd/{pid}/{dn}/+`: RRPC requests, the last level is the process id.
    public var rrpcRequests: String { "$rrpc/rxd/\(path)/+" }
    public func rrpcReply(processId: String) -> String { "$rrpc/txd/\(path)/\(processId)" }
    public var configOperation: String { "$config/operation/\(path)" }
    public var configResult: String { "$config/operation/result/\(path)" }
    public var logOperation: String { "$log/operation/\(path)" }
    public var logResult: String { "$log/operation/result/\(path)" }
    /// `$gateway/operation/{pid}/{dn}`: a gateway's requests about its sub-devices (publish).
    public var gatewayOperation: String { "$gateway/operation/\(path)" }
    /// `$gateway/operation/result/{pid}/{dn}`: replies and the hub's pushes (subscribe).
    public var gatewayResult: String { "$gateway/operation/result/\(path)" }

    /// The process id of an RRPC request topic, or nil if `topic` is not one of this device's.
    public func rrpcProcessId(of topic: String) -> String? {
        let prefix = "$rrpc/rxd/\(path)/"
        guard topic.hasPrefix(prefix) else { return nil }
        let id = topic.dropFirst(prefix.count)
        return id.isEmpty || id.contains("/") ? nil : String(id)
    }
}
