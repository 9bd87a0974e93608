extension RegistryEngine {
    /// Decides and records an MQTT login (device-protocol.md §5.8); the outcome arrives through
    /// `login.completion`. The first accepted login activates the device and is reported once durable; a
    /// later one once it is applied in memory (its LoginTime and online state are written in the background:
    /// a crash may lose the last few milliseconds of them, never an activation).
    ///
    /// `schedule` starts the drain when this login is the first of a burst: at once by default. An MQTT event
    /// loop passes its own `execute`, so that the drain starts after the loop's current pass over its ready
    /// sockets, and the logins of that pass (and of the other loops meanwhile) are decided as one batch
    /// instead of one task each.
    public nonisolated func submitLogin(_ login: DeviceLogin, schedule: (@escaping @Sendable () -> Void) -> Void = { $0() }) {
        if presence.append(.login(login)) { schedule { self.startPresenceDrain() } }
    }

    /// ``submitLogin(_:)``, waiting for the outcome.
    public nonisolated func login(
        _ key: DeviceKey,
        clientIP: String? = nil,
        check: @escaping @Sendable (Product, Device) -> DeviceLoginRefusal? = { _, _ in nil }
    ) async -> DeviceLoginOutcome {
        await withCheckedContinuation { continuation in
            submitLogin(DeviceLogin(key: key, clientIP: clientIP, check: check, completion: { continuation.resume(returning: $0) }))
        }
    }

    /// Records the end of a device's MQTT session (in the background); `schedule` as for ``submitLogin(_:schedule:)``.
    public nonisolated func submitLogout(_ key: DeviceKey, schedule: (@escaping @Sendable () -> Void) -> Void = { $0() }) {
        if presence.append(.logout(key)) { schedule { self.startPresenceDrain() } }
    }

    private nonisolated func startPresenceDrain() {
        Task { await self.drainPresence() }
    }

    /// Applies queued logins and logouts until none are left, a batch per turn of the loop. On a shared store each
    /// batch's products and devices are read from it first (RegistryEngine+Shared).
    private func drainPresence() async {
        while true {
            let batch = presence.take()
            if batch.isEmpty { return }
            if shared != nil { await applyPresenceShared(batch) } else { applyPresence(batch) }
        }
    }

    func applyPresence(_ batch: [PresenceEntry]) {
        guard available else {
            // Reloading after a failed write (a full or failing disk): a device that was activated before
            // logs in as usual, decided from memory (its credential is on disk already), with nothing
            // written; only a first login (activation, which must be durable) waits for the registry.
            for case .login(let login) in batch {
                guard let product = products[login.key.productId], let device = devices[login.key] else {
                    login.completion(.refused(.unknownDevice))
                    continue
                }
                if let refusal = login.check(product, device) {
                    login.completion(.refused(refusal))
                } else {
                    login.completion(device.firstOnlineTime == nil ? .unavailable : .accepted(activated: false))
                }
            }
            return
        }
        let time = nowSeconds
        var mutations: [RegistryMutation] = []
        var decided: [(DeviceLogin, DeviceLoginOutcome)] = []
        var activations: [DeviceLogin] = []
        for entry in batch {
            switch entry {
            case .login(let login):
                guard let product = products[login.key.productId], var device = devices[login.key] else {
                    decided.append((login, .refused(.unknownDevice)))
                    continue
                }
                if let refusal = login.check(product, device) {
                    decided.append((login, .refused(refusal)))
                    continue
                }
                let activating = device.firstOnlineTime == nil
                if activating {
                    device.firstOnlineTime = time
                    // The hub keeps a certificate device's private key only until its first login.
                    if case .certificate(let cert, _, let serial) = device.credential {
                        device.credential = .certificate(certificatePEM: cert, privateKeyPEM: nil, serialNumber: serial)
                    }
                }
                device.loginTime = time
                device.online = true
                device.clientIP = login.clientIP
                device.updatedAt = time
                insert(device)
                mutations.append(.upsertDevice(device))
                // A gateway's attached sub-devices are online again with it (C gateways never repeat `online`).
                mutations += followGateway(login.key, online: true, time: time)
                if activating { activations.append(login) } else { decided.append((login, .accepted(activated: false))) }
            case .logout(let key):
                guard var device = devices[key], device.online else { continue }
                device.online = false
                device.lastOfflineTime = time
                device.updatedAt = time
                insert(device)
                mutations.append(.upsertDevice(device))
                mutations += followGateway(key, online: false, time: time)
            }
        }
        if activations.isEmpty {
            enqueue(mutations)
        } else {
            // One durable commit for the batch; the activating logins are answered when it is done.
            do {
                try enqueueCommit(mutations).onComplete { [activations] error in
                    for login in activations { login.completion(error == nil ? .accepted(activated: true) : .unavailable) }
                }
            } catch {
                for login in activations { login.completion(.unavailable) }
            }
        }
        for (login, outcome) in decided { login.completion(outcome) }
    }
}
