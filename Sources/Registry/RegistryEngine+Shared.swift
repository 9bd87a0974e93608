import DeviceAuth
import Logging

/// The registry on a store other hub processes share (PostgreSQL, ``SharedRegistryStore``).
///
/// Memory stays the read path for listings and the management API, but what must not be decided on another node's
/// stale copy is read from the store first: the product and device of each registration and of each MQTT login. Creations by registration are decided by the store in one transaction under a lock on the product,
/// so the RegisterLimit and one-device-per-name hold across nodes.
extension RegistryEngine {
    /// Outcome of ``createShared(_:attempt:)``.
    enum SharedCreateStep: Sendable {
        case created
        case refused(RegistrationRefusal)
        /// The name exists in the store (now in memory too): decide again.
        case existing
    }

    /// Reads the product and device from the shared store into memory (before a registration, and for DescribeDevice:
    /// another node may have changed them a moment ago). A store that cannot be read leaves memory as it is; false
    /// then.
    @discardableResult
    public nonisolated func refreshFromSharedStore(productId: String, deviceName: String) async -> Bool {
        guard let shared else { return true }
        let key = DeviceKey(productId: productId, name: deviceName)
        do {
            async let products = shared.loadProducts(ids: [productId])
            async let devices = shared.loadDevices([key])
            let (stored, storedDevices) = try await (products, devices)
            await takeFromSharedStore(askedProducts: [productId], products: stored, askedDevices: [key], devices: storedDevices)
            return true
        } catch {
            logger.error("shared store read failed", metadata: ["hub.product_id": "\(productId)", "hub.device_name": "\(deviceName)", "error": "\(error)"])
            return false
        }
    }

    /// Puts what the store answered for the products and devices asked into memory: the records it holds replace
    /// memory's, and those asked that it no longer holds are dropped. Presence is this node's own: a device's
    /// `online` stays what this node's connections made it (the store's goes to `clusterPresence`).
    func takeFromSharedStore(askedProducts: Set<String>, products stored: [Product], askedDevices: Set<DeviceKey>, devices storedDevices: [Device]) {
        for product in stored { insert(product) }
        for id in askedProducts.subtracting(stored.map(\.id)) where products[id] != nil {
            for name in Array(deviceOrder[id] ?? []) { removeDevice(DeviceKey(productId: id, name: name)) }
            removeProduct(id)
        }
        for var device in storedDevices where products[device.productId] != nil {
            clusterPresence.set(device.key, online: device.online)
            device.online = devices[device.key]?.online ?? false
            insert(device)
        }
        for key in askedDevices.subtracting(storedDevices.map(\.key)) {
            clusterPresence.set(key, online: false)
            removeDevice(key)
        }
    }

    /// The device as shown to operators: online when it is online on any node of a cluster (on one node, as it is).
    /// Only for display: a node writes `online` for the connections it holds (the store keeps the others').
    public nonisolated func shownWithClusterPresence(_ device: Device) -> Device {
        guard shared != nil, !device.online, clusterPresence.contains(device.key) else { return device }
        var shown = device
        shown.online = true
        return shown
    }

    /// Has the shared store create the device; audits a refusal it decides. `storeReadable` false: the read before the
    /// decision failed (the store is unreachable), so the creation is refused at once instead of waiting for a second
    /// deadline.
    nonisolated func createShared(_ device: Device, attempt: RegistrationAttempt, storeReadable: Bool = true) async -> SharedCreateStep {
        guard let shared else { return .refused(.internalError) }
        var refused = attempt
        refused.accepted = false
        guard storeReadable else {
            refused.reason = RegistrationRefusal.internalError.reasonCode
            refused.detail = "store unavailable"
            await recordRefusedAttempt(refused)
            return .refused(.internalError)
        }
        do {
            switch try await shared.createRegisteredDevice(device, audit: attempt) {
            case .created:
                await takeCreated(device)
                return .created
            case .existing(let stored):
                await takeFromSharedStore(askedProducts: [], products: [], askedDevices: [], devices: [stored])
                return .existing
            case .limitReached(let count, let limit):
                refused.reason = RegistrationRefusal.registerLimitReached.reasonCode
                refused.detail = "\(count) of \(limit) devices created by registration"
                logger.info(
                    "registration refused",
                    metadata: [
                        "hub.product_id": "\(device.productId)", "hub.device_name": "\(device.name)", "hub.reason": "\(refused.reason)",
                        "hub.source": "\(attempt.sourceAddress)",
                    ]
                )
                await recordRefusedAttempt(refused)
                return .refused(.registerLimitReached)
            case .productNotFound:
                refused.reason = RegistrationRefusal.productNotFound.reasonCode
                await recordRefusedAttempt(refused)
                return .refused(.productNotFound)
            }
        } catch {
            logger.error("registration in the shared store failed", metadata: ["hub.product_id": "\(device.productId)", "hub.device_name": "\(device.name)", "error": "\(error)"])
            refused.reason = RegistrationRefusal.internalError.reasonCode
            refused.detail = "store unavailable"
            await recordRefusedAttempt(refused)
            return .refused(.internalError)
        }
    }

    /// A device the store created for a registration on this node.
    private func takeCreated(_ device: Device) {
        if devices[device.key] == nil { insert(device) }
    }

    /// Reads the products and devices of a batch of logins from the shared store, then decides the batch. The
    /// presence drain awaits this before it takes the next batch, so batches are decided in the order they arrived
    /// (a logout never overtakes its login) and logins that arrive meanwhile are read together.
    func applyPresenceShared(_ batch: [PresenceEntry]) async {
        guard let shared else { return }
        var keys: Set<DeviceKey> = []
        for case .login(let login) in batch { keys.insert(login.key) }
        let productIds = Set(keys.map(\.productId))
        do {
            let products = try await shared.loadProducts(ids: Array(productIds))
            let devices = try await shared.loadDevices(Array(keys))
            takeFromSharedStore(askedProducts: productIds, products: products, askedDevices: keys, devices: devices)
            applyPresence(batch)
        } catch {
            logger.error("shared store read for logins failed", metadata: ["hub.logins": "\(keys.count)", "error": "\(error)"])
            // A login is not decided on a copy that may be stale.
            for case .login(let login) in batch { login.completion(.unavailable) }
            applyPresence(batch.filter { if case .logout = $0 { true } else { false } })
        }
    }
}
