import Logging
public import DeviceAuth
public import HubStatistics

/// A parsed dynamic-registration request, handed to the registry by the device gateway.
public struct RegistrationRequest: Sendable {
    public var productId: String
    public var deviceName: String
    public var endpoint: RegistrationEndpoint
    public var sourceAddress: String
    public var nonce: String
    public var timestamp: String
    /// Checks the request's signature against a ProductSecret (constant time).
    public var verifySignature: @Sendable (_ productSecret: String) -> Bool

    public init(
        productId: String,
        deviceName: String,
        endpoint: RegistrationEndpoint,
        sourceAddress: String,
        nonce: String,
        timestamp: String,
        verifySignature: @escaping @Sendable (_ productSecret: String) -> Bool
    ) {
        self.productId = productId
        self.deviceName = deviceName
        self.endpoint = endpoint
        self.sourceAddress = sourceAddress
        self.nonce = nonce
        self.timestamp = timestamp
        self.verifySignature = verifySignature
    }
}

/// What an accepted registration hands out.
public struct RegistrationGrant: Sendable, Equatable {
    /// The key the payload is encrypted with.
    public var productSecret: String
    public var credential: DeviceCredential
    /// The device was created by this request.
    public var created: Bool
}

extension RegistryEngine {
    /// Decides and records one dynamic registration. Every call is audited.
    ///
    /// An accepted registration returns only once the device and its credential are durable. The decision is
    /// taken in one turn of the actor; the wait for durability happens outside it (see ``GroupCommitter``).
    public nonisolated func register(_ request: RegistrationRequest) async -> Result<RegistrationGrant, RegistrationRefusal> {
        // On a shared store the product and device are read from it first: another node may have changed them a
        // moment ago (RegistryEngine+Shared).
        var replayedElsewhere = false
        var storeReadable = true
        if let shared {
            storeReadable = await refreshFromSharedStore(productId: request.productId, deviceName: request.deviceName)
            // Replay protection across nodes: a validly signed request's nonce is claimed in the store, so a copy sent
            // to another node is refused there too.
            if storeReadable, let nonceKey = await sharedNonceKey(request) {
                do {
                    replayedElsewhere = try await !shared.claimNonce(nonceKey, at: now(), windowMillis: ReplayWindow.windowMillis)
                } catch {
                    logger.error("registration nonce not claimed in the shared store", metadata: ["hub.product_id": "\(request.productId)", "error": "\(error)"])
                    return .failure(.internalError)
                }
            }
        }
        var checkReplay = true
        // A shared store's answer that the device exists already (created by a racing node) is taken into memory
        // and the request decided again, as a reissue; twice at most (the second answer cannot be a creation
        // unless the device was deleted meanwhile).
        for _ in 0..<2 {
            switch await decideRegistration(request, checkReplay: checkReplay, replayedElsewhere: replayedElsewhere) {
            case .finished(let outcome):
                return outcome
            case .committing(let ticket, let grant):
                do {
                    try await ticket.wait()
                } catch {
                    return .failure(.internalError)
                }
                return .success(accepted(request, grant))
            case .creatingShared(let device, let attempt, let grant):
                switch await createShared(device, attempt: attempt, storeReadable: storeReadable) {
                case .created:
                    return .success(accepted(request, grant))
                case .refused(let refusal):
                    return .failure(refusal)
                case .existing:
                    checkReplay = false
                }
            }
        }
        return .failure(.internalError)
    }

    private nonisolated func accepted(_ request: RegistrationRequest, _ grant: RegistrationGrant) -> RegistrationGrant {
        registrationStatistics.accepted(reason: grant.created ? RegistrationAttempt.reasonRegistered : RegistrationAttempt.reasonReissued, at: now())
        // Debug, not info: at thousands of registrations per second a line each is a cost of its own,
        // and the audit log already records every accepted registration.
        logger.debug(
            grant.created ? "registration accepted (device created)" : "registration accepted (existing device)",
            metadata: ["hub.product_id": "\(request.productId)", "hub.device_name": "\(request.deviceName)"]
        )
        return grant
    }

    /// What ``decideRegistration(_:checkReplay:)`` leaves to do.
    enum RegistrationStep: Sendable {
        case finished(Result<RegistrationGrant, RegistrationRefusal>)
        /// Accepted: answer with the grant once the ticket completes.
        case committing(CommitTicket, RegistrationGrant)
        /// On a shared store: the store creates the device if its name is free and the limit allows.
        case creatingShared(Device, RegistrationAttempt, RegistrationGrant)
    }

    /// The key of the request's nonce if its product has replay protection and the request is validly signed: what a
    /// shared store is asked to claim.
    func sharedNonceKey(_ request: RegistrationRequest) -> String? {
        guard let product = products[request.productId], product.replayProtection, request.verifySignature(product.productSecret) else { return nil }
        return ReplayWindow.key(productId: request.productId, deviceName: request.deviceName, nonce: request.nonce, timestamp: request.timestamp)
    }

    /// `replayedElsewhere`: the shared store says another request (on any node) used the nonce within the window.
    func decideRegistration(_ request: RegistrationRequest, checkReplay: Bool = true, replayedElsewhere: Bool = false) -> RegistrationStep {
        let time = now()
        // While the registry is unavailable (reloading after a failed write), a request is still decided
        // from memory: a refusal (wrong signature, unknown product, limit reached) is answered with its own
        // code; only what needs a write is answered with an internal error.
        let key = DeviceKey(productId: request.productId, name: request.deviceName)
        let product = products[request.productId]
        // Nonces are remembered only for products with replay protection (switching it on loads the last
        // 24 hours from the audit log, see updateDynamicRegistration).
        let replayKey =
            product?.replayProtection == true
            ? ReplayWindow.key(productId: request.productId, deviceName: request.deviceName, nonce: request.nonce, timestamp: request.timestamp)
            : nil
        var signatureChecked = false
        let facts = RegistrationFacts(
            product: product,
            device: devices[key],
            // On a shared store the count in memory may be behind the other nodes': the store counts (createShared).
            autoCreatedCount: shared == nil ? autoCreatedCount[request.productId, default: 0] : 0,
            replayed: checkReplay && (replayedElsewhere || (replayKey.map { replayWindow.contains($0, now: time) } ?? false))
        )
        let decision = RegistrationPolicy.decide(facts) { secret in
            signatureChecked = true
            return request.verifySignature(secret)
        }
        func attempt(accepted: Bool, reason: String, detail: String = "") -> RegistrationAttempt {
            RegistrationAttempt(
                time: time,
                productId: request.productId,
                deviceName: request.deviceName,
                sourceAddress: request.sourceAddress,
                endpoint: request.endpoint,
                accepted: accepted,
                reason: reason,
                detail: detail,
                nonce: request.nonce,
                timestamp: request.timestamp
            )
        }
        // A validly signed request's nonce is remembered whatever the outcome.
        if checkReplay, let replayKey, signatureChecked, decision != .refuse(.signatureMismatch), decision != .refuse(.nonceReplayed) {
            replayWindow.record(replayKey, at: time)
        }

        switch decision {
        case .refuse(let refusal):
            logger.info(
                "registration refused",
                metadata: [
                    "hub.product_id": "\(request.productId)", "hub.device_name": "\(request.deviceName)",
                    "hub.reason": "\(refusal.reasonCode)", "hub.source": "\(request.sourceAddress)",
                ]
            )
            auditRefused(attempt(accepted: false, reason: refusal.reasonCode))
            return .finished(.failure(refusal))

        case .reissue:
            guard available, var device = devices[key], let product else { return .finished(.failure(.internalError)) }
            var mutations: [RegistryMutation] = []
            if !device.credentialFetched {
                device.credentialFetched = true
                device.updatedAt = time / 1000
                insert(device)
                mutations.append(.upsertDevice(device))
            }
            mutations.append(.appendAudit(attempt(accepted: true, reason: RegistrationAttempt.reasonReissued)))
            do {
                let ticket = try enqueueCommit(mutations)
                return .committing(ticket, RegistrationGrant(productSecret: product.productSecret, credential: device.credential, created: false))
            } catch {
                return .finished(.failure(.internalError))
            }

        case .create:
            guard available, let product else { return .finished(.failure(.internalError)) }
            let credential: DeviceCredential
            do {
                credential = try issuer.issue(for: key, encryption: product.encryptionType)
            } catch {
                logger.error("credential issuance failed", metadata: ["error": "\(error)"])
                registrationStatistics.refused(reason: RegistrationRefusal.internalError.reasonCode, count: 1, at: time)
                enqueue([.appendAudit(attempt(accepted: false, reason: RegistrationRefusal.internalError.reasonCode, detail: "credential issuance failed"))])
                return .finished(.failure(.internalError))
            }
            let device = Device(
                productId: key.productId,
                name: key.name,
                credential: credential,
                createdByRegistration: true,
                createdAt: time / 1000,
                credentialFetched: true
            )
            let grant = RegistrationGrant(productSecret: product.productSecret, credential: credential, created: true)
            if shared != nil {
                return .creatingShared(device, attempt(accepted: true, reason: RegistrationAttempt.reasonRegistered), grant)
            }
            insert(device)
            do {
                let ticket = try enqueueCommit([
                    .upsertDevice(device),
                    .appendAudit(attempt(accepted: true, reason: RegistrationAttempt.reasonRegistered)),
                ])
                return .committing(ticket, grant)
            } catch {
                return .finished(.failure(.internalError))
            }
        }
    }

    /// Audits a request the gateway refused before it reached the policy (unparseable body, missing
    /// headers). Not awaited: the answer does not depend on it.
    public func recordRefusedAttempt(_ attempt: RegistrationAttempt) {
        auditRefused(attempt)
    }

    /// `recordRefusedAttempt` without waiting for the actor (the device gateway's refusals: a flood of them
    /// must not queue ahead of the registrations on the actor). Audit queries, retention and shutdown take
    /// what is queued first, so a refusal answered before a query is in its answer.
    public nonisolated func submitRefusedAttempt(_ attempt: RegistrationAttempt) {
        if refusals.append(attempt) { Task { await self.drainRefusals() } }
    }

    private func drainRefusals() {
        while true {
            let batch = refusals.take()
            if batch.isEmpty { return }
            for attempt in batch { auditRefused(attempt) }
        }
    }

    /// The refused attempts queued so far, audited now.
    func takeRefusals() {
        for attempt in refusals.takeAll() { auditRefused(attempt) }
    }

    /// Queues a refused attempt's audit row, or counts it into its source's row during a flood.
    func auditRefused(_ attempt: RegistrationAttempt) {
        registrationStatistics.refused(reason: attempt.reason, count: attempt.count, at: attempt.time)
        enqueue(auditAggregator.add(attempt).map { .appendAudit($0) })
    }

    /// Registrations per minute over the hour ending at `now`, accepted and refused by reason; the refusals
    /// handed over without an actor call are counted first, so a refusal answered before is in the answer.
    public func registrationActivity(now millis: Int64) -> (accepted: [RollingCounts.Bucket], refused: [RollingCounts.Bucket]) {
        takeRefusals()
        return registrationStatistics.window(now: millis)
    }

    /// The registration audit log, newest first. Writes queued entries and counted rows first so the answer
    /// is current.
    public func auditLog(_ query: AuditQuery) async throws -> (total: Int, attempts: [RegistrationAttempt]) {
        takeRefusals()
        enqueue(auditAggregator.flushCounted().map { .appendAudit($0) })
        try await flushPending()
        return try await store.queryAudit(query)
    }
}
