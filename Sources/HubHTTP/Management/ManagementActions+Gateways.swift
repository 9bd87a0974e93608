import DeviceAuth
import DeviceServices
import JSONCore
import Registry

/// Gateway topology (cloud-api.md §7.10): BindDevices, UnbindDevices, DescribeGatewayBindDevices. Binding
/// changes made here are pushed to the gateway (`change`, device-protocol.md §6.10.12).
extension ManagementActions {
    private func topology(_ p: ActionParameters) throws -> (gateway: DeviceKey, productId: String, names: [String]) {
        let gatewayProductId = try Self.require(p.string("GatewayProductId"), "GatewayProductId")
        let gatewayName = try Self.require(p.string("GatewayDeviceName"), "GatewayDeviceName")
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        guard let names = p.strings("DeviceNames") else { throw ManagementError.missing("DeviceNames") }
        guard !names.isEmpty else { throw ManagementError.invalidValue("DeviceNames must not be empty") }
        return (DeviceKey(productId: gatewayProductId, name: gatewayName), productId, names)
    }

    func bindDevices(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let (gateway, productId, names) = try topology(p)
        let bound = try await call { try await registry.bindDevices(gateway: gateway, productId: productId, names: names) }
        pushChange(gateway: gateway, bound: true, bound)
        return []
    }

    func unbindDevices(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let (gateway, productId, names) = try topology(p)
        let unbound = try await call { try await registry.unbindDevices(gateway: gateway, productId: productId, names: names) }
        pushChange(gateway: gateway, bound: false, unbound)
        return []
    }

    /// Hub action: every sub-device unbound and detached, then `{"type":"unbind_all"}` to the gateway (C33
    /// frees all its sub-device sessions on it).
    func unbindAllSubDevices(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let gateway = DeviceKey(
            productId: try Self.require(p.string("GatewayProductId"), "GatewayProductId"),
            name: try Self.require(p.string("GatewayDeviceName"), "GatewayDeviceName")
        )
        let unbound = try await call { try await registry.unbindAll(gateway: gateway) }
        let clientId = DeviceIdentifiers.clientId(productId: gateway.productId, deviceName: gateway.name)
        if messaging?.isOnline(clientId: clientId) == true {
            messaging?.publish(
                topic: "$gateway/operation/result/\(gateway.productId)/\(gateway.name)", payload: GatewayProtocol.unbindAllPush, qos: 1
            )
        }
        return [("UnboundCount", .int(unbound.count))]
    }

    func describeGatewayBindDevices(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let gateway = DeviceKey(
            productId: try Self.require(p.string("GatewayProductId"), "GatewayProductId"),
            name: try Self.require(p.string("GatewayDeviceName"), "GatewayDeviceName")
        )
        let offset = try Self.require(p.int("Offset"), "Offset")
        let limit = try Self.require(p.int("Limit"), "Limit")
        guard offset >= 0 else { throw ManagementError.invalidValue("Offset must not be negative") }
        guard (1...250).contains(limit) else { throw ManagementError.invalidValue("Limit must be between 1 and 250") }
        let filter = p.string("ProductId").flatMap { $0.isEmpty ? nil : $0 }
        if let filter { _ = try await call { try await registry.product(filter) } }
        let all = try await call { try await registry.subDevices(of: gateway, productId: filter) }
        let page = all.dropFirst(offset).prefix(limit)
        let nameSource = filter ?? all.first?.productId
        let productName = if let nameSource { (try? await registry.product(nameSource))?.name ?? "" } else { "" }
        return [
            ("TotalCount", .int(all.count)),
            (
                "Devices",
                .array(page.map { device in
                    .object([
                        ("ProductId", .string(device.productId)), ("DeviceName", .string(device.name)),
                        ("BindTime", .int((device.binding?.boundAt ?? 0) / 1000)), ("Tags", .array(device.tags.map(ActionEncoding.tag))),
                    ])
                })
            ),
            ("ProductName", .string(productName)),
        ]
    }

    /// `change` pushes to the gateway, QoS 1, each at most 1023 bytes (C gateways drop longer ones); only to a
    /// connected gateway (not queued in an offline persistent session: it asks `describe_sub_devices` when it
    /// needs the list).
    private func pushChange(gateway: DeviceKey, bound: Bool, _ devices: [DeviceKey]) {
        guard let messaging, !devices.isEmpty,
            messaging.isOnline(clientId: DeviceIdentifiers.clientId(productId: gateway.productId, deviceName: gateway.name))
        else { return }
        let topic = "$gateway/operation/result/\(gateway.productId)/\(gateway.name)"
        for push in GatewayProtocol.changePushes(bound: bound, devices.map { .init(productId: $0.productId, deviceName: $0.name) }) {
            messaging.publish(topic: topic, payload: push, qos: 1)
        }
    }
}
