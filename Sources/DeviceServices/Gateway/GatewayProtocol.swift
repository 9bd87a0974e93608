public import DeviceAuth
public import JSONCore

/// The `$gateway/operation` exchange (device-protocol.md §6.10): parses what a gateway publishes on
/// `$gateway/operation/{gwpid}/{gwdn}` and builds the exact texts the hub publishes on
/// `$gateway/operation/result/{gwpid}/{gwdn}`. Shared by the hub and the device SDK.
public enum GatewayProtocol {
    /// A sub-device named in a request.
    public struct SubDevice: Sendable, Hashable {
        public var productId: String
        public var deviceName: String

        public init(productId: String, deviceName: String) {
            self.productId = productId
            self.deviceName = deviceName
        }
    }

    /// One entry of a request's `payload.devices`: the sub-device, or `nil` when `product_id` or
    /// `device_name` is missing (answered 801); for `bind` the proof, `nil` when a field is missing or of the
    /// wrong type (answered 801).
    public struct Entry: Sendable, Hashable {
        public var device: SubDevice?
        public var proof: GatewayBindProof?
        /// The names as sent, echoed in the reply even when the entry is incomplete.
        public var productId: String
        public var deviceName: String

        public init(device: SubDevice?, proof: GatewayBindProof?, productId: String, deviceName: String) {
            self.device = device
            self.proof = proof
            self.productId = productId
            self.deviceName = deviceName
        }
    }

    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case online, offline, bind, unbind
    }

    public enum Request: Sendable, Hashable {
        /// `online`, `offline`, `bind`, `unbind` with their entries (at least one).
        case devices(Operation, [Entry])
        case describeSubDevices
        /// A C33 acknowledgement of a hub push (`change`, `search_devices`, `unbind_all`): logged, never answered.
        case acknowledgement(String)
    }

    /// C gateways drop result-topic payloads over 1024 bytes and cut one of 1024 to 1023.
    public static let maxPushBytes = 1023

    /// `nil` for what gets no reply: not JSON, unknown `type`, a device request without devices.
    public static func parse(_ payload: [UInt8]) -> Request? {
        guard let request = try? JSONValue(parsing: payload), case .object = request, let type = request["type"]?.stringValue else { return nil }
        switch type {
        case "describe_sub_devices": return .describeSubDevices
        case "change", "search_devices", "unbind_all": return .acknowledgement(type)
        default: break
        }
        guard let operation = Operation(rawValue: type), let list = request["payload"]?["devices"]?.arrayValue, !list.isEmpty else { return nil }
        let entries = list.map { item -> Entry in
            let productId = item["product_id"]?.stringValue
            let deviceName = item["device_name"]?.stringValue
            let device = productId.flatMap { p in deviceName.map { SubDevice(productId: p, deviceName: $0) } }
            var proof: GatewayBindProof?
            if operation == .bind, let signature = item["signature"]?.stringValue, let random = integer(item["random"]),
                let timestamp = integer(item["timestamp"]), let method = item["signmethod"]?.stringValue
            {
                // C certificate builds and every PSK build send `authtype`; absent means psk.
                proof = GatewayBindProof(signature: signature, random: random, timestamp: timestamp, signMethod: method, authType: item["authtype"]?.stringValue ?? "psk")
            }
            return Entry(device: device, proof: proof, productId: productId ?? "", deviceName: deviceName ?? "")
        }
        return .devices(operation, entries)
    }

    /// An integer, or a decimal string (accepted for `random` and `timestamp`).
    static func integer(_ value: JSONValue?) -> Int64? {
        switch value {
        case .int(let number)?: return number
        case .string(let text)?: return Int64(text)
        default: return nil
        }
    }

    /// `{"type":"online","payload":{"devices":[{"product_id":…,"device_name":…,"result":0}]}}`: one entry per
    /// requested device, in request order.
    public static func reply(_ operation: Operation, results: [(productId: String, deviceName: String, result: Int64)]) -> JSONValue {
        let devices = results.map { entry in
            JSONValue.object(JSONObject([("product_id", .string(entry.productId)), ("device_name", .string(entry.deviceName)), ("result", .int(entry.result))]))
        }
        return .object(JSONObject([("type", .string(operation.rawValue)), ("payload", .object(JSONObject([("devices", .array(devices))])))]))
    }

    /// `{"type":"describe_sub_devices","payload":{"devices":[{"product_id":…,"device_name":…},…]}}`, `devices`
    /// present even when empty.
    public static func describeReply(_ devices: [SubDevice]) -> JSONValue {
        let list = devices.map { JSONValue.object(JSONObject([("product_id", .string($0.productId)), ("device_name", .string($0.deviceName))])) }
        return .object(JSONObject([("type", .string("describe_sub_devices")), ("payload", .object(JSONObject([("devices", .array(list))])))]))
    }

    /// `change` pushes (`status` 1 bound, 0 unbound) for the devices, split so that no payload exceeds
    /// ``maxPushBytes``.
    public static func changePushes(bound: Bool, _ devices: [SubDevice]) -> [[UInt8]] {
        func text(_ slice: ArraySlice<SubDevice>) -> [UInt8] {
            let list = slice.map { JSONValue.object(JSONObject([("product_id", .string($0.productId)), ("device_name", .string($0.deviceName))])) }
            return JSONValue.object(JSONObject([
                ("type", .string("change")), ("payload", .object(JSONObject([("status", .int(bound ? 1 : 0)), ("devices", .array(list))]))),
            ])).serialized()
        }
        var pushes: [[UInt8]] = []
        var start = 0
        while start < devices.count {
            var end = start + 1
            // Grow the message while it fits (names are at most 48 characters: one always fits).
            while end < devices.count, text(devices[start..<(end + 1)]).count <= maxPushBytes { end += 1 }
            pushes.append(text(devices[start..<end]))
            start = end
        }
        return pushes
    }

    /// `{"type":"unbind_all"}`.
    public static let unbindAllPush: [UInt8] = Array(#"{"type":"unbind_all"}"#.utf8)

    // MARK: device side (the SDK)

    /// The request a gateway publishes for one sub-device.
    public static func request(_ operation: Operation, _ device: SubDevice, proof: GatewayBindProof? = nil) -> [UInt8] {
        var entry: [(String, JSONValue)] = [("product_id", .string(device.productId)), ("device_name", .string(device.deviceName))]
        if let proof {
            entry += [
                ("signature", .string(proof.signature)), ("random", .int(proof.random)), ("timestamp", .int(proof.timestamp)),
                ("signmethod", .string(proof.signMethod)), ("authtype", .string(proof.authType)),
            ]
        }
        return JSONValue.object(JSONObject([
            ("type", .string(operation.rawValue)), ("payload", .object(JSONObject([("devices", .array([.object(JSONObject(entry))]))]))),
        ])).serialized()
    }

    public static let describeRequest: [UInt8] = Array(#"{"type":"describe_sub_devices"}"#.utf8)

    /// What arrives on the result topic, for the SDK.
    public enum Reply: Sendable, Hashable {
        case result(Operation, [(SubDevice, Int64)])
        case subDevices([SubDevice])
        case change(bound: Bool, [SubDevice])
        case unbindAll
        case other(String)

        public static func == (lhs: Reply, rhs: Reply) -> Bool {
            switch (lhs, rhs) {
            case (.result(let a, let x), .result(let b, let y)):
                a == b && x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            case (.subDevices(let x), .subDevices(let y)): x == y
            case (.change(let a, let x), .change(let b, let y)): a == b && x == y
            case (.unbindAll, .unbindAll): true
            case (.other(let a), .other(let b)): a == b
            default: false
            }
        }

        public func hash(into hasher: inout Hasher) {
            switch self {
            case .result(let operation, let list):
                hasher.combine(operation)
                for (device, code) in list { hasher.combine(device); hasher.combine(code) }
            case .subDevices(let list): hasher.combine(list)
            case .change(let bound, let list): hasher.combine(bound); hasher.combine(list)
            case .unbindAll: hasher.combine(0)
            case .other(let type): hasher.combine(type)
            }
        }
    }

    public static func parseReply(_ payload: [UInt8]) -> Reply? {
        guard let message = try? JSONValue(parsing: payload), let type = message["type"]?.stringValue else { return nil }
        let list = message["payload"]?["devices"]?.arrayValue ?? []
        func device(_ item: JSONValue) -> SubDevice? {
            guard let p = item["product_id"]?.stringValue, let d = item["device_name"]?.stringValue else { return nil }
            return SubDevice(productId: p, deviceName: d)
        }
        switch type {
        case "describe_sub_devices": return .subDevices(list.compactMap(device))
        case "change": return .change(bound: message["payload"]?["status"]?.int64Value == 1, list.compactMap(device))
        case "unbind_all": return .unbindAll
        default:
            guard let operation = Operation(rawValue: type) else { return .other(type) }
            return .result(operation, list.compactMap { item in device(item).map { ($0, integer(item["result"]) ?? GatewayResultCode.systemError) } })
        }
    }
}
