import Logging
import Synchronization

/// True the first time `set` is called only.
final class OnceFlag: Sendable {
    private let flag = Mutex(false)

    func set() -> Bool {
        flag.withLock { done in
            defer { done = true }
            return !done
        }
    }
}

/// Keeps memory equal to a shared store (``SharedRegistryStore``) while other nodes change it: each change they
/// commit is read again, and what it revokes (a disabled, deleted or re-keyed device, a disabled product, a deleted
/// application) is posted to ``RegistryEngine/events`` as if it had happened here, so this node's broker closes the
/// sessions it holds.
extension RegistryEngine {
    /// Follows the store's change feed until it ends (the store closed). `listening` is called once the feed is
    /// listening for the first time, after memory was read again.
    nonisolated func followSharedChanges(listening: @escaping @Sendable () -> Void) async {
        guard let shared else { return }
        // Changes that arrive while a batch is being read are read together, in one query per kind: a burst of
        // logins on another node costs this node one read, not one per device. At most `maxPendingChanges` wait;
        // beyond, they are replaced by one `.resync`.
        let pending = Mutex<[RegistryChange]>([])
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let reader = Task {
            for await change in shared.changes() {
                pending.withLock { changes in
                    if changes.count >= Self.maxPendingChanges { changes = [.resync] } else { changes.append(change) }
                }
                wake.yield()
            }
            wake.finish()
        }
        var first = true
        for await _ in wakeups {
            let batch = pending.withLock { changes in
                defer { changes.removeAll() }
                return changes
            }
            guard !batch.isEmpty else { continue }
            await takeSharedChanges(batch)
            if first, batch.contains(.resync) {
                first = false
                listening()
            }
        }
        reader.cancel()
        // The feed ended (the store closed) before it ever listened: whoever waits is not left waiting.
        listening()
    }

    /// Changes from other nodes waiting to be read at most (RegistryEngine+SharedChanges).
    static let maxPendingChanges = 10_000

    func takeSharedChanges(_ changes: [RegistryChange]) async {
        guard let shared else { return }
        if changes.contains(.resync) {
            let before = devices
            let productsBefore = products
            let applicationsBefore = applications
            do {
                try await reload(keepingPresence: true)
            } catch {
                logger.error("registry reload from the shared store failed", metadata: ["error": "\(error)"])
                return
            }
            for old in before.values { postRevocations(old: old, new: devices[old.key]) }
            for (id, old) in productsBefore where !old.forbidden && products[id]?.forbidden != false {
                events.post(.productDisabled(productId: id))
            }
            for id in applicationsBefore.keys where applications[id] == nil { events.post(.applicationDeleted(id: id)) }
            events.post(.sourceBansChanged)
            return
        }
        var deviceKeys: Set<DeviceKey> = []
        var productIds: Set<String> = []
        var applicationIds: [String] = []
        var otaProducts = false
        for change in changes {
            switch change {
            case .device(let key): deviceKeys.insert(key)
            case .product(let id): productIds.insert(id)
            case .application(let id): applicationIds.append(id)
            case .ota: otaProducts = true
            case .sourceBans: events.post(.sourceBansChanged)
            case .resync: break
            }
        }
        do {
            let storedProducts = try await shared.loadProducts(ids: Array(productIds))
            let storedDevices = try await shared.loadDevices(Array(deviceKeys))
            for product in storedProducts where products[product.id]?.forbidden == false && product.forbidden {
                events.post(.productDisabled(productId: product.id))
            }
            let storedByKey = Dictionary(storedDevices.map { ($0.key, $0) }, uniquingKeysWith: { $1 })
            for key in deviceKeys { postRevocations(old: devices[key], new: storedByKey[key]) }
            takeFromSharedStore(askedProducts: productIds, products: storedProducts, askedDevices: deviceKeys, devices: storedDevices)
            if !applicationIds.isEmpty || otaProducts {
                // Applications and OTA records are few: read again as a whole.
                let snapshot = try await shared.loadApplicationsAndOTA()
                for id in applicationIds {
                    if let application = snapshot.applications.first(where: { $0.id == id }) {
                        applications[id] = application
                    } else if applications.removeValue(forKey: id) != nil {
                        events.post(.applicationDeleted(id: id))
                    }
                }
                if otaProducts { ota = OTAState(snapshot) }
            }
        } catch {
            logger.error("reading changes from the shared store failed", metadata: ["error": "\(error)"])
        }
    }

    /// The revocations a change of one device from `old` to `new` (nil = deleted) makes.
    private func postRevocations(old: Device?, new: Device?) {
        guard let old else { return }
        guard let new else {
            events.post(.deviceDeleted(old.key))
            return
        }
        if old.enabled && !new.enabled { events.post(.deviceDisabled(old.key)) }
        if old.credential != new.credential { events.post(.credentialRevoked(old.key)) }
    }
}
