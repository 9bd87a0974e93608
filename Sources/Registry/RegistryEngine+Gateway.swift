import DeviceAuth
import Logging

/// Gateways and their sub-devices (device-protocol.md §6.10, cloud-api.md §7.10): bindings made by the
/// operator or by the gateway, and attachments (the gateway made the sub-device online).
extension RegistryEngine {
    /// Most sub-devices bound to one gateway.
    public static let maxSubDevicesPerGateway = 1000
    /// Most device names one BindDevices call may carry.
    public static let maxBindPerCall = 100

    static func isGatewayProduct(_ product: Product) -> Bool { product.productType == 5 || product.productType == 3 }

    /// The gateway device: it exists and belongs to a gateway product.
    func requireGateway(_ key: DeviceKey) throws -> Device {
        let product = try product(key.productId)
        guard let device = devices[key] else { throw RegistryError(.deviceNotFound, "gateway device not exist") }
        guard Self.isGatewayProduct(product) else { throw RegistryError(.deviceIsNotGateway, "\(key) is not a gateway device") }
        return device
    }

    // MARK: management (BindDevices, UnbindDevices, DescribeGatewayBindDevices)

    /// Binds devices of one product to a gateway, all or nothing; returns the newly bound ones (a device bound
    /// to this gateway already is accepted silently).
    public func bindDevices(gateway: DeviceKey, productId: String, names: [String]) async throws -> [DeviceKey] {
        try requireAvailable()
        _ = try requireGateway(gateway)
        guard !names.isEmpty else { throw RegistryError(.invalidParameter, "DeviceNames is empty") }
        guard names.count <= Self.maxBindPerCall else {
            throw RegistryError(.bindPerOnceOverLimit, "at most \(Self.maxBindPerCall) devices per call")
        }
        let product = try product(productId)
        guard product.productType == 0 else { throw RegistryError(.invalidParameter, "only devices of normal products (ProductType 0) can be sub-devices") }
        var targets: [Device] = []
        for name in names {
            let key = DeviceKey(productId: productId, name: name)
            guard key != gateway else { throw RegistryError(.invalidParameter, "a gateway cannot be bound to itself") }
            guard let device = devices[key] else { throw RegistryError(.deviceNotFound, "device \(name) not exist") }
            guard device.enabled else { throw RegistryError(.deviceNotEnabled, "device \(name) is disabled") }
            if let binding = device.binding, binding.gateway != gateway {
                throw RegistryError(.deviceBoundToGateway, "device \(name) is bound to gateway \(binding.gateway)")
            }
            if device.binding == nil, !targets.contains(where: { $0.key == key }) { targets.append(device) }
        }
        guard subDevicesByGateway[gateway, default: []].count + targets.count <= Self.maxSubDevicesPerGateway else {
            throw RegistryError(.bindLimitExceeded, "a gateway has at most \(Self.maxSubDevicesPerGateway) sub-devices")
        }
        let time = now()
        var mutations: [RegistryMutation] = []
        for (index, var device) in targets.enumerated() {
            // Bind order within one call is the order of the names.
            device.binding = GatewayBinding(gateway: gateway, boundAt: time + Int64(index))
            device.updatedAt = time / 1000
            insert(device)
            mutations.append(.upsertDevice(device))
        }
        try await commit(mutations)
        if !targets.isEmpty {
            logger.info("sub-devices bound", metadata: ["hub.gateway": "\(gateway)", "hub.devices": "\(targets.map(\.name))"])
        }
        return targets.map(\.key)
    }

    /// Unbinds devices of one product from a gateway (detaching them), all or nothing; names not bound to it
    /// are ignored. Returns the unbound ones.
    public func unbindDevices(gateway: DeviceKey, productId: String, names: [String]) async throws -> [DeviceKey] {
        try requireAvailable()
        _ = try requireGateway(gateway)
        _ = try product(productId)
        let targets = try names.map { name -> Device in
            guard let device = devices[DeviceKey(productId: productId, name: name)] else { throw RegistryError(.deviceNotFound, "device \(name) not exist") }
            return device
        }.filter { $0.binding?.gateway == gateway }
        return try await unbind(targets, from: gateway)
    }

    /// Unbinds (and detaches) every sub-device of a gateway; returns them.
    public func unbindAll(gateway: DeviceKey) async throws -> [DeviceKey] {
        try requireAvailable()
        _ = try requireGateway(gateway)
        return try await unbind(boundSubDevices(of: gateway), from: gateway)
    }

    /// Detaches and unbinds the devices (each once) in one durable commit; returns them.
    private func unbind(_ targets: [Device], from gateway: DeviceKey) async throws -> [DeviceKey] {
        var mutations: [RegistryMutation] = []
        var unbound: [DeviceKey] = []
        for var device in targets where !unbound.contains(device.key) {
            detach(&device)
            device.binding = nil
            insert(device)
            mutations.append(.upsertDevice(device))
            unbound.append(device.key)
        }
        try await commit(mutations)
        if !unbound.isEmpty {
            logger.info("sub-devices unbound", metadata: ["hub.gateway": "\(gateway)", "hub.devices": "\(unbound.map(\.name))"])
        }
        return unbound
    }

    /// The sub-devices bound to a gateway in bind order, optionally of one product.
    public func subDevices(of gateway: DeviceKey, productId: String? = nil) throws -> [Device] {
        _ = try requireGateway(gateway)
        return boundSubDevices(of: gateway).filter { productId == nil || $0.productId == productId }
    }

    func boundSubDevices(of gateway: DeviceKey) -> [Device] {
        subDevicesByGateway[gateway, default: []].compactMap { devices[$0] }
            .sorted { ($0.binding?.boundAt ?? 0, $0.productId, $0.name) < ($1.binding?.boundAt ?? 0, $1.productId, $1.name) }
    }

    /// Marks a sub-device detached and offline (in `device`; the caller inserts and writes it).
    func detach(_ device: inout Device) {
        guard device.binding?.attached == true else { return }
        device.binding?.attached = false
        if device.online {
            device.online = false
            device.lastOfflineTime = nowSeconds
        }
        device.updatedAt = nowSeconds
    }

    /// Detaches every attached sub-device of a gateway (ResetDeviceState of the gateway).
    func detachAll(of gateway: DeviceKey) -> [RegistryMutation] {
        var mutations: [RegistryMutation] = []
        for var device in boundSubDevices(of: gateway) where device.binding?.attached == true {
            detach(&device)
            insert(device)
            mutations.append(.upsertDevice(device))
        }
        return mutations
    }

    /// The attached sub-devices of a gateway that just connected (`online` true) or disconnected follow it.
    func followGateway(_ gateway: DeviceKey, online: Bool, time: Int64) -> [RegistryMutation] {
        guard let keys = subDevicesByGateway[gateway], !keys.isEmpty else { return [] }
        var mutations: [RegistryMutation] = []
        for key in keys {
            guard var device = devices[key], device.binding?.attached == true, device.online != online else { continue }
            device.online = online
            if online { device.loginTime = time } else { device.lastOfflineTime = time }
            device.updatedAt = time
            insert(device)
            mutations.append(.upsertDevice(device))
        }
        return mutations
    }

    // MARK: requests of the gateway ($gateway/operation)

    /// `online`: attaches a bound sub-device (idempotent); its first online activates it.
    public func gatewayOnline(gateway: DeviceKey, subDevice key: DeviceKey) async -> Int64 {
        guard available, let gatewayProduct = products[gateway.productId], devices[gateway] != nil else { return GatewayResultCode.systemError }
        guard Self.isGatewayProduct(gatewayProduct) else { return GatewayResultCode.systemError }
        guard var device = devices[key], device.binding?.gateway == gateway else { return GatewayResultCode.notBound }
        guard device.enabled, products[key.productId]?.forbidden == false else { return GatewayResultCode.systemError }
        if device.binding?.attached == true, device.online { return GatewayResultCode.success }
        let time = nowSeconds
        device.binding?.attached = true
        device.online = true
        device.loginTime = time
        if device.firstOnlineTime == nil { device.firstOnlineTime = time }
        device.updatedAt = time
        return await commitGatewayRequest(device, gateway: gateway, log: "sub-device online")
    }

    /// `offline`: detaches a bound sub-device (idempotent).
    public func gatewayOffline(gateway: DeviceKey, subDevice key: DeviceKey) async -> Int64 {
        guard available, let gatewayProduct = products[gateway.productId], Self.isGatewayProduct(gatewayProduct) else { return GatewayResultCode.systemError }
        guard var device = devices[key], device.binding?.gateway == gateway else { return GatewayResultCode.notBound }
        guard device.binding?.attached == true else { return GatewayResultCode.success }
        detach(&device)
        return await commitGatewayRequest(device, gateway: gateway, log: "sub-device offline")
    }

    /// `bind` with the sub-device's signature.
    public func gatewayBind(gateway: DeviceKey, subDevice key: DeviceKey, proof: GatewayBindProof) async -> Int64 {
        guard available, let gatewayProduct = products[gateway.productId], devices[gateway] != nil else { return GatewayResultCode.systemError }
        guard Self.isGatewayProduct(gatewayProduct) else { return GatewayResultCode.operationNotAllowed }
        guard let product = products[key.productId], var device = devices[key] else { return GatewayResultCode.deviceNotFound }
        guard key != gateway, product.productType == 0 else { return GatewayResultCode.notBindable }
        guard let method = GatewayBindSignature.Method(wire: proof.signMethod) else { return GatewayResultCode.signMethodNotSupported }
        let keys: [String]
        switch (device.credential, proof.authType.lowercased()) {
        case (.psk(let secret), "psk"): keys = [secret]
        case (.certificate(let pem, _, _), "certificate"): keys = GatewayBindSignature.certificateKeys(certificatePEM: pem)
        default: keys = []
        }
        guard GatewayBindSignature.verify(
            proof.signature, productId: key.productId, deviceName: key.name, random: proof.random, timestamp: proof.timestamp, keys: keys, method: method
        ) else {
            logger.info("sub-device bind refused: signature", metadata: ["hub.gateway": "\(gateway)", "hub.device": "\(key)"])
            return GatewayResultCode.signatureInvalid
        }
        if let binding = device.binding {
            return binding.gateway == gateway ? GatewayResultCode.alreadyBound : GatewayResultCode.boundToAnotherGateway
        }
        guard device.enabled else { return GatewayResultCode.systemError }
        guard subDevicesByGateway[gateway, default: []].count < Self.maxSubDevicesPerGateway else { return GatewayResultCode.operationNotAllowed }
        let time = now()
        device.binding = GatewayBinding(gateway: gateway, boundAt: time)
        device.updatedAt = time / 1000
        return await commitGatewayRequest(device, gateway: gateway, log: "sub-device bound by its gateway")
    }

    /// `unbind` from the gateway.
    public func gatewayUnbind(gateway: DeviceKey, subDevice key: DeviceKey) async -> Int64 {
        guard available, let gatewayProduct = products[gateway.productId], devices[gateway] != nil else { return GatewayResultCode.systemError }
        guard Self.isGatewayProduct(gatewayProduct) else { return GatewayResultCode.operationNotAllowed }
        guard var device = devices[key] else { return GatewayResultCode.deviceNotFound }
        guard device.binding?.gateway == gateway else { return GatewayResultCode.notBound }
        detach(&device)
        device.binding = nil
        return await commitGatewayRequest(device, gateway: gateway, log: "sub-device unbound by its gateway")
    }

    /// Applies a gateway request's change to one sub-device and writes it before the reply: 0 once durable,
    /// -2 when the write failed.
    private func commitGatewayRequest(_ device: Device, gateway: DeviceKey, log message: Logger.Message) async -> Int64 {
        insert(device)
        do {
            try await commit([.upsertDevice(device)])
        } catch {
            return GatewayResultCode.systemError
        }
        logger.info(message, metadata: ["hub.gateway": "\(gateway)", "hub.device": "\(device.key)"])
        return GatewayResultCode.success
    }

    /// `describe_sub_devices`: the gateway's sub-devices in bind order (empty for a device that is no gateway).
    public func gatewaySubDevices(gateway: DeviceKey) -> [DeviceKey] {
        guard let product = products[gateway.productId], Self.isGatewayProduct(product) else { return [] }
        return boundSubDevices(of: gateway).map(\.key)
    }
}
