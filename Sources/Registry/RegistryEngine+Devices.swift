import Logging
import DeviceAuth
import Foundation

/// Per-device result of ResetDeviceState.
public struct DeviceResetResult: Sendable, Hashable {
    public var deviceName: String
    public var success: Bool
    public var reason: String?
}

extension RegistryEngine {
    public func createDevice(
        productId: String,
        name: String,
        definedPSK: String? = nil,
        tags: [DeviceTag] = []
    ) async throws -> Device {
        try requireAvailable()
        let product = try product(productId)
        guard !product.forbidden else { throw RegistryError(.productForbidden, "product is forbidden") }
        if let refusal = newDeviceRefusal(productId: productId, name: name) { throw refusal }
        let key = DeviceKey(productId: productId, name: name)
        let credential: DeviceCredential
        if let definedPSK {
            guard product.encryptionType == .psk else {
                throw RegistryError(.productNotSupportPSK, "product does not use PSK authentication")
            }
            guard DeviceIdentifiers.isValidPSK(definedPSK) else {
                throw RegistryError(.pskNotBase64, "DefinedPsk must be Base64 of 1 to 48 bytes")
            }
            credential = .psk(definedPSK)
        } else {
            do {
                credential = try issuer.issue(for: key, encryption: product.encryptionType)
            } catch {
                logger.error("credential issuance failed", metadata: ["error": "\(error)"])
                throw RegistryError(.storageFailure, "credential issuance failed")
            }
        }
        let device = Device(productId: productId, name: name, credential: credential, createdAt: nowSeconds, tags: tags)
        insert(device)
        try await commit([.upsertDevice(device)])
        logger.info("device created", metadata: ["hub.product_id": "\(productId)", "hub.device_name": "\(name)"])
        return device
    }

    public func device(productId: String, name: String) throws -> Device {
        _ = try product(productId)
        guard let device = devices[DeviceKey(productId: productId, name: name)] else {
            throw RegistryError(.deviceNotFound, "device not exist")
        }
        return device
    }

    /// Devices of a product in creation order, filtered. Presence and enabled are read from the product's
    /// list of state bytes, names from the list too; only a firmware filter and the page itself look at device
    /// records. Without a filter only the page is looked up.
    public func devices(productId: String, filter: DeviceFilter = DeviceFilter(), offset: Int, limit: Int) throws -> (total: Int, devices: [Device]) {
        _ = try product(productId)
        let list = deviceOrder[productId] ?? []
        let offset = max(offset, 0)
        let limit = max(limit, 0)
        let lookUp = { (name: String) in self.devices[DeviceKey(productId: productId, name: name)] }
        if filter.isEmpty {
            return (list.count, list.window(offset: offset, limit: limit).compactMap(lookUp))
        }
        let (mask, value) = ProductDeviceList.selector(filter)
        let part = filter.deviceName.map { Array($0.utf8) } ?? []
        var total = 0
        var page: [Device] = []
        list.states.withUnsafeBufferPointer { states in
            for position in states.indices where states[position] & mask == value {
                if !part.isEmpty, !Self.contains(list.names[position], part) { continue }
                if filter.firmwareVersion != nil {
                    guard let device = lookUp(list.names[position]), filter.matches(device) else { continue }
                }
                if total >= offset, page.count < limit, let device = lookUp(list.names[position]) { page.append(device) }
                total += 1
            }
        }
        return (total, page)
    }

    /// Whether `name` contains the bytes of `part` (device names are ASCII; no `String` comparison per name).
    static func contains(_ name: String, _ part: [UInt8]) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard bytes.count >= part.count else { return false }
            let first = part[0]
            var start = 0
            while start <= bytes.count - part.count {
                if bytes[start] == first {
                    var offset = 1
                    while offset < part.count, bytes[start + offset] == part[offset] { offset += 1 }
                    if offset == part.count { return true }
                }
                start += 1
            }
            return false
        }
    }

    public func deleteDevice(productId: String, name: String) async throws {
        try requireAvailable()
        let device = try device(productId: productId, name: name)
        if let binding = device.binding {
            throw RegistryError(.deviceBoundToGateway, "the device is bound to gateway \(binding.gateway); unbind it first")
        }
        guard subDevicesByGateway[device.key, default: []].isEmpty else {
            throw RegistryError(.gatewayHasBoundDevices, "the gateway still has sub-devices bound; unbind them first")
        }
        removeDevice(device.key)
        try await commit([.deleteDevice(device.key)])
        events.post(.deviceDeleted(device.key))
        logger.info("device deleted", metadata: ["hub.product_id": "\(productId)", "hub.device_name": "\(name)"])
    }

    /// Enables or disables devices. All must exist; nothing changes otherwise.
    public func setDevicesEnabled(productId: String, names: [String], enabled: Bool) async throws {
        try requireAvailable()
        let product = try product(productId)
        guard !product.forbidden else { throw RegistryError(.productForbidden, "product is forbidden") }
        let targets = try names.map { try device(productId: productId, name: $0) }
        var mutations: [RegistryMutation] = []
        for var device in targets where device.enabled != enabled {
            device.enabled = enabled
            // A disabled sub-device is detached from its gateway at once.
            if !enabled { detach(&device) }
            device.updatedAt = nowSeconds
            insert(device)
            mutations.append(.upsertDevice(device))
        }
        try await commit(mutations)
        if !enabled {
            for device in targets { events.post(.deviceDisabled(device.key)) }
        }
    }

    /// ResetDeviceState: closes the devices' sessions and marks them offline; per-device results.
    public func resetDeviceState(productId: String, names: [String]) async throws -> [DeviceResetResult] {
        try requireAvailable()
        _ = try product(productId)
        var results: [DeviceResetResult] = []
        var mutations: [RegistryMutation] = []
        for name in names {
            guard var device = devices[DeviceKey(productId: productId, name: name)] else {
                results.append(DeviceResetResult(deviceName: name, success: false, reason: "device not exists"))
                continue
            }
            if device.online || device.binding?.attached == true {
                device.online = false
                device.lastOfflineTime = nowSeconds
                // A reset sub-device is detached; a reset gateway detaches all of its sub-devices.
                detach(&device)
                device.updatedAt = nowSeconds
                insert(device)
                mutations.append(.upsertDevice(device))
            }
            mutations += detachAll(of: device.key)
            results.append(DeviceResetResult(deviceName: name, success: true, reason: nil))
        }
        try await commit(mutations)
        for result in results where result.success {
            events.post(.connectionReset(DeviceKey(productId: productId, name: result.deviceName)))
        }
        return results
    }

    /// Replaces a PSK device's secret; takes effect on the next connection.
    public func updatePSK(productId: String, name: String, psk: String) async throws {
        try requireAvailable()
        let product = try product(productId)
        var device = try device(productId: productId, name: name)
        guard product.encryptionType == .psk else {
            throw RegistryError(.productNotSupportPSK, "product does not use PSK authentication")
        }
        guard DeviceIdentifiers.isValidPSK(psk) else {
            throw RegistryError(.pskNotBase64, "Psk must be Base64 of 1 to 48 bytes")
        }
        device.credential = .psk(psk)
        device.updatedAt = nowSeconds
        insert(device)
        try await commit([.upsertDevice(device)])
    }

    /// DescribeDeviceClientKey: the private key of a certificate device, answered once per certificate.
    public func fetchClientKey(productId: String, name: String) async throws -> String {
        try requireAvailable()
        let product = try product(productId)
        var device = try device(productId: productId, name: name)
        guard product.encryptionType == .certificate,
            case .certificate(_, let key, _) = device.credential
        else {
            throw RegistryError(.wrongProductAuthType, "product does not use certificate authentication")
        }
        guard let key, !device.clientKeyFetched else {
            throw RegistryError(.clientKeyAlreadyFetched, "client key already fetched")
        }
        device.clientKeyFetched = true
        device.credentialFetched = true
        device.updatedAt = nowSeconds
        insert(device)
        try await commit([.upsertDevice(device)])
        return key
    }

    /// Resets a device's registration: new credential, activation cleared, sessions closed. The next
    /// dynamic registration of the device returns the new credential.
    public func resetRegistration(productId: String, name: String) async throws -> Device {
        try requireAvailable()
        let product = try product(productId)
        var device = try device(productId: productId, name: name)
        do {
            device.credential = try issuer.issue(for: device.key, encryption: product.encryptionType)
        } catch {
            logger.error("credential issuance failed", metadata: ["error": "\(error)"])
            throw RegistryError(.storageFailure, "credential issuance failed")
        }
        device.firstOnlineTime = nil
        device.loginTime = 0
        device.online = false
        device.credentialFetched = false
        device.clientKeyFetched = false
        device.updatedAt = nowSeconds
        insert(device)
        try await commit([.upsertDevice(device)])
        events.post(.credentialRevoked(device.key))
        logger.info("device registration reset", metadata: ["hub.product_id": "\(productId)", "hub.device_name": "\(name)"])
        return device
    }
}
