import Logging
import Registry

/// The two served API versions.
enum APIVersionTag: Sendable, Equatable {
    case v20210408
    case v20180614
}

/// Registry records as Tencent response structures, per API version.
enum ActionEncoding {
    static func productProperties(_ p: Product, _ version: APIVersionTag) -> ActionValue {
        var fields: [(String, ActionValue)] = [
            ("ProductDescription", .string(p.description)),
            ("EncryptionType", .string(p.encryptionType.rawValue)),
            ("Region", .string("gz")),
            ("ProductType", .int(p.productType)),
            ("Format", .string(p.format)),
            ("Platform", .string("0")),
            ("Appeui", .string("")),
            ("ModelId", .string("-1")),
            ("ModelName", .string("")),
            ("ProductKey", .string("")),
            ("RegisterType", .int(p.registerType.rawValue)),
            ("ProductSecret", .string(p.productSecret)),
            ("RegisterLimit", .int(p.registerLimit)),
        ]
        if version == .v20210408 {
            fields += [
                ("OriginProductId", .string("")),
                ("PrivateCAName", .string("")),
                ("OriginUserId", .int(0)),
                ("DeviceLimit", .int(0)),
                ("ForbiddenStatus", .int(p.forbidden ? 1 : 0)),
                ("AppEUI", .string("")),
            ]
        }
        return .object(fields)
    }

    static func productMetadata(_ p: Product, _ version: APIVersionTag) -> ActionValue {
        var fields: [(String, ActionValue)] = [("CreationDate", .int(p.createdAt))]
        if version == .v20210408 { fields += [("CreateUserId", .int(0)), ("UserId", .int(0))] }
        return .object(fields)
    }

    static func productInfo(_ p: Product, _ version: APIVersionTag) -> ActionValue {
        .object([
            ("ProductId", .string(p.id)),
            ("ProductName", .string(p.name)),
            ("ProductMetadata", productMetadata(p, version)),
            ("ProductProperties", productProperties(p, version)),
        ])
    }

    /// IPv4 text as the integer `ConnIP` (0 if not IPv4).
    static func ipv4Number(_ address: String?) -> Int64 {
        guard let address else { return 0 }
        let parts = address.split(separator: ".").compactMap { UInt8($0) }
        guard parts.count == 4 else { return 0 }
        return parts.reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }

    /// DeviceInfo fields. `withSecret`: DescribeDevice shows the real PSK, DescribeDevices "".
    static func deviceInfoFields(_ d: Device, _ version: APIVersionTag, withSecret: Bool) -> [(String, ActionValue)] {
        let online = d.presence.rawValue
        var cert = ""
        if case .certificate(let pem, _, _) = d.credential { cert = pem }
        var fields: [(String, ActionValue)] = [
            ("DeviceName", .string(d.name)),
            ("Online", .int(online)),
            ("LoginTime", .int(d.loginTime)),
            ("Version", .string(d.firmwareVersion)),
            ("DeviceCert", .string(cert)),
            ("DevicePsk", .string(withSecret ? (d.psk ?? "") : "")),
            ("Tags", .array(d.tags.map(tag))),
            ("DeviceType", .int(0)),
            ("Imei", .string("")),
            ("Isp", .int(0)),
            ("NbiotDeviceID", .string("")),
            ("ConnIP", .int(ipv4Number(d.clientIP))),
            ("LastUpdateTime", .int(d.updatedAt)),
            ("LoraDevEui", .string("")),
            ("LoraMoteType", .int(0)),
            ("FirstOnlineTime", .int(d.firstOnlineTime ?? 0)),
            ("LastOfflineTime", .int(d.lastOfflineTime ?? 0)),
            ("CreateTime", .int(d.createdAt)),
            ("LogLevel", .int(d.logLevel)),
            ("CertState", .int(d.credentialFetched ? 1 : 0)),
            ("EnableState", .int(d.enabled ? 1 : 0)),
            ("Labels", .array([])),
            ("ClientIP", .string(d.clientIP ?? "")),
            ("FirmwareUpdateTime", .int(0)),
        ]
        if version == .v20210408 {
            fields += [("CreateUserId", .int(0)), ("NBIoTDeviceID", .string(""))]
        }
        return fields
    }

    static func tag(_ t: DeviceTag) -> ActionValue {
        // `Name` is a documented output field (nullable): always present, `null` when not set.
        .object([("Tag", .string(t.tag)), ("Type", .int(t.type)), ("Value", .string(t.value)), ("Name", t.name.map(ActionValue.string) ?? .null)])
    }

    static func attempt(_ a: RegistrationAttempt) -> ActionValue {
        .object([
            ("Time", .int(a.time)),
            ("ProductId", .string(a.productId)),
            ("DeviceName", .string(a.deviceName)),
            ("SourceAddress", .string(a.sourceAddress)),
            ("Endpoint", .string(a.endpoint.rawValue)),
            ("Result", .string(a.accepted ? "success" : "failure")),
            ("Reason", .string(a.reason)),
            ("Detail", .string(a.detail)),
            // Attempts the row stands for: more than 1 for a flood of refusals counted into one row.
            ("Count", .int(a.count)),
        ])
    }
}
