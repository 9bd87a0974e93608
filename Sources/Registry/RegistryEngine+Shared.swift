import DeviceAuth
import Logging

/// The registry on a store other hub processes share (PostgreSQL, ``SharedRegistryStore``).
///
/// Memory stays the read path for listings and the management API, but what must not be decided on another node's
/// stale copy is read from the store first: the product and device of each validly signed registration and of each
/// MQTT login. Creations by registration are decided by the store in one transaction under a lock on the product,
/// so the RegisterLimit and one-device-per-name hold across nodes.
extension RegistryEngine {
    /// Outcome of ``createShared(_:attempt:)``.
    enum SharedCreateStep: Sendable {
        case created
        case refused(RegistrationRefusal)
        /// The name exists in the store (now in memory too): decide again.
        case existing
    }

    /// Reads the product and device from the shared store into memory. A store that cannot be read leaves memory
    /// as it is (the decision then follows memory, and a creation fails in the store).
    nonisolated func refreshFromSharedStore(productId: String, deviceName: String) async {
        guard let shared else { return }
        let key = DeviceKey(productId: productId, name: deviceName)
        do {
            async let products = shared.loadProducts(ids: [productId])
            async let devices = shared.loadDevices([key])
            let (product, device) = try await (products.first, devices.first)
            await takeFromSharedStore(products: product.map { [$0] } ?? [], missingProducts: product == nil ? [productId] : [], devices: device.map { [$0] } ?? [], missingDevices: device == nil ? [key] : [])
        } catch {
            logger.error("shared store read failed", metadata: ["hub.product_id": "\(productId)", "hub.device_name": "\(deviceName)", "error": "\(error)"])
        }
    }

    /// Puts what the store holds into memory and drops what it no longer holds. Presence is this node's own: a
    /// device's `online` stays what this node's connections made it.
    func takeFromSharedStore(products stored: [Product], missingProducts: [String], devices storedDevices: [Device], missingDevices: [DeviceKey]) {
        for product in stored { insert(product) }
        for id in missingProducts where products[id] != nil {
            for name in Array(deviceOrder[id] ?? []) { removeDevice(DeviceKey(productId: id, name: name)) }
            removeProduct(id)
        }
        for var device in storedDevices where products[device.productId] != nil {
            clusterPresence.set(device.key, online: device.online)
            device.online = devices[device.key]?.online ?? false
            insert(device)
        }
        for key in missingDevices {
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

    /// Has the shared store create the device; audits a refusal it decides.
    nonisolated func createShared(_ device: Device, attempt: RegistrationAttempt) async -> SharedCreateStep {
        guard let shared else { return .refused(.internalError) }
        var refused = attempt
        refused.accepted = false
        do {
            switch try await shared.createRegisteredDevice(device, audit: attempt) {
            case .created:
                await takeCreated(device)
                return .created
            case .existing(let stored):
                await takeFromSharedStore(products: [], missingProducts: [], devices: [stored], missingDevices: [])
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

    /// Reads the products and devices of a batch of logins from the shared store, then decides the batch. Batches
    /// are decided in the order they arrived (`presenceChain`), so a logout never overtakes its login.
    func applyPresenceShared(_ batch: [PresenceEntry]) {
        guard let shared else { return }
        let previous = presenceChain
        presenceChain = Task {
            await previous?.value
            var keys: [DeviceKey] = []
            var productIds: Set<String> = []
            for case .login(let login) in batch {
                keys.append(login.key)
                productIds.insert(login.key.productId)
            }
            var loaded: (products: [Product], devices: [Device])?
            do {
                loaded = (try await shared.loadProducts(ids: Array(productIds)), try await shared.loadDevices(keys))
            } catch {
                logger.error("shared store read for logins failed", metadata: ["hub.logins": "\(keys.count)", "error": "\(error)"])
            }
            self.finishPresenceShared(batch, loaded: loaded)
        }
    }

    private func finishPresenceShared(_ batch: [PresenceEntry], loaded: (products: [Product], devices: [Device])?) {
        guard let loaded else {
            // The store cannot be read: a login is not decided on a copy that may be stale.
            for case .login(let login) in batch { login.completion(.unavailable) }
            applyPresence(batch.filter { if case .logout = $0 { return true } else { return false } }, shared: false)
            return
        }
        var missingProducts = Set(batch.compactMap { if case .login(let login) = $0 { return login.key.productId } else { return nil } })
        for product in loaded.products { missingProducts.remove(product.id) }
        var missingDevices = Set(batch.compactMap { if case .login(let login) = $0 { return login.key } else { return nil } })
        for device in loaded.devices { missingDevices.remove(device.key) }
        takeFromSharedStore(products: loaded.products, missingProducts: Array(missingProducts), devices: loaded.devices, missingDevices: Array(missingDevices))
        applyPresence(batch, shared: false)
    }
}
