import DeviceAuth
import Foundation
import Registry
import RegistryPostgres
import Testing

/// Two or more registries ("nodes"), each with its own connection pool, on one PostgreSQL database: what must be
/// exact across nodes is decided by the store (``SharedRegistryStore``), and a node decides logins on what the
/// store holds now, not on its copy.
@Suite struct SharedRegistryTests {
    static let issuer = CredentialIssuer(issueCertificate: { device in
        .certificate(certificatePEM: "CERT-\(device.name)", privateKeyPEM: "KEY-\(device.name)", serialNumber: UUID().uuidString)
    })

    static func request(_ product: Product, _ name: String, nonce: String = "1", secret: String? = nil) -> RegistrationRequest {
        let expected = secret ?? product.productSecret
        return RegistrationRequest(
            productId: product.id, deviceName: name, endpoint: .v2, sourceAddress: "127.0.0.1:1", nonce: nonce, timestamp: "1609430400",
            verifySignature: { ConstantTime.equals(Array($0.utf8), Array(expected.utf8)) }
        )
    }

    /// Runs `body` with `count` registries on one fresh PostgreSQL database.
    func withNodes(_ count: Int, _ body: ([RegistryEngine], StoreLocation) async throws -> Void) async throws {
        try await withLocation(.postgres) { location in
            var nodes: [RegistryEngine] = []
            do {
                for _ in 0..<count {
                    nodes.append(try await RegistryEngine.open(store: try await location.open(), issuer: Self.issuer, logger: testLogger))
                }
                try await body(nodes, location)
            } catch {
                for node in nodes { await node.shutdown() }
                throw error
            }
            for node in nodes { await node.shutdown() }
        }
    }

    func autoCreateProduct(_ node: RegistryEngine, limit: Int) async throws -> Product {
        var spec = NewProduct(name: "p\(UUID().uuidString.prefix(8))")
        spec.encryptionType = .psk
        let product = try await node.createProduct(spec)
        return try await node.updateDynamicRegistration(productId: product.id, registerType: .autoCreate, registerLimit: limit)
    }

    func storedDevices(_ location: StoreLocation, productId: String) async throws -> [Device] {
        let store = try await location.open()
        defer { Task { try? await store.close() } }
        return try await store.load(auditSince: 0).devices.filter { $0.productId == productId }
    }

    // MARK: the store alone

    /// `count` creations at once, creation i through `stores[i % stores.count]` with the name and PSK `made(i)` gives;
    /// their outcomes (nil for an error).
    func race(
        _ count: Int, over stores: [PostgresRegistryStore], _ product: Product, _ made: @escaping @Sendable (Int) -> (name: String, psk: String)
    ) async -> [SharedRegistration?] {
        await withTaskGroup(of: SharedRegistration?.self) { group in
            for i in 0..<count {
                let store = stores[i % stores.count]
                let (name, psk) = made(i)
                let device = Device(productId: product.id, name: name, credential: .psk(psk), createdByRegistration: true, createdAt: 1)
                let attempt = RegistrationAttempt(
                    time: 1, productId: product.id, deviceName: name, sourceAddress: "127.0.0.1:1", endpoint: .v2, accepted: true,
                    reason: RegistrationAttempt.reasonRegistered
                )
                group.addTask { try? await store.createRegisteredDevice(device, audit: attempt) }
            }
            var all: [SharedRegistration?] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
    }

    @Test func racingCreationsInTheStoreCreateExactlyTheSlotsLeft() async throws {
        try await withLocation(.postgres) { location in
            let stores = [try await location.open(), try await location.open(), try await location.open()].compactMap { $0 as? PostgresRegistryStore }
            #expect(stores.count == 3)
            let product = Product(id: "RACE000001", name: "race", registerType: .autoCreate, registerLimit: 10, productSecret: "secret", createdAt: 1)
            try await stores[0].apply([.upsertProduct(product)])
            let outcomes = await race(40, over: stores, product) { i in (name: "d\(i)", psk: "k\(i)") }
            let created = outcomes.filter { if case .created = $0 { true } else { false } }.count
            let refused = outcomes.filter { if case .limitReached(_, 10) = $0 { true } else { false } }.count
            #expect(created == 10)
            #expect(refused == 30)
            #expect(try await storedDevices(location, productId: product.id).count == 10)
            // Each created device has its audit row, written in the same transaction.
            #expect(try await stores[1].queryAudit(AuditQuery(productId: product.id)).total == 10)
            for store in stores { try await store.close() }
        }
    }

    /// A nonce is claimed once within the window, whichever store asks and however many ask at once; past the
    /// window it may be claimed again.
    @Test func aNonceIsClaimedOnceAcrossStoresWithinTheWindow() async throws {
        try await withLocation(.postgres) { location in
            let stores = [try await location.open(), try await location.open()].compactMap { $0 as? PostgresRegistryStore }
            #expect(stores.count == 2)
            let window: Int64 = 24 * 3600 * 1000
            // Wall-clock times: every store's heartbeat purges rows older than the window from now.
            let base = Int64(Date().timeIntervalSince1970 * 1000)
            let claims = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<20 { group.addTask { (try? await stores[i % 2].claimNonce("P\u{0}d\u{0}7\u{0}100", at: base, windowMillis: window)) ?? false } }
                var all: [Bool] = []
                for await claim in group { all.append(claim) }
                return all
            }
            #expect(claims.filter { $0 }.count == 1)
            #expect(try await stores[1].claimNonce("P\u{0}d\u{0}8\u{0}100", at: base + 1, windowMillis: window), "another nonce")
            #expect(try await !stores[0].claimNonce("P\u{0}d\u{0}7\u{0}100", at: base + window - 1, windowMillis: window), "still within the window")
            #expect(try await stores[0].claimNonce("P\u{0}d\u{0}7\u{0}100", at: base + window, windowMillis: window), "past the window")
            #expect(try await !stores[1].claimNonce("P\u{0}d\u{0}7\u{0}100", at: base + window + 5, windowMillis: window), "claimed again just now")
            for store in stores { try await store.close() }
        }
    }

    @Test func racingCreationsOfOneNameInTheStoreCreateOneDevice() async throws {
        try await withLocation(.postgres) { location in
            let stores = [try await location.open(), try await location.open()].compactMap { $0 as? PostgresRegistryStore }
            let product = Product(id: "RACE000002", name: "race2", registerType: .autoCreate, registerLimit: 100, productSecret: "secret", createdAt: 1)
            try await stores[0].apply([.upsertProduct(product)])
            let outcomes = await race(20, over: stores, product) { i in (name: "same", psk: "key-\(i)") }
            #expect(outcomes.filter { if case .created = $0 { true } else { false } }.count == 1)
            let existing = outcomes.compactMap { if case .existing(let device) = $0 { device.psk } else { nil } }
            #expect(existing.count == 19)
            let stored = try await storedDevices(location, productId: product.id)
            #expect(stored.count == 1)
            // Every loser was shown the winner's credential.
            #expect(Set(existing) == [stored[0].psk])
            for store in stores { try await store.close() }
        }
    }

    // MARK: registries on the store

    @Test func racingRegistrationsSpreadOverThreeNodesCreateExactlyTheSlotsLeft() async throws {
        try await withNodes(3) { nodes, location in
            let product = try await autoCreateProduct(nodes[0], limit: 25)
            // 7 slots used through node 1 first.
            for i in 0..<7 { _ = try await nodes[1].register(Self.request(product, "pre-\(i)")).get() }
            let outcomes = await withTaskGroup(of: Result<RegistrationGrant, RegistrationRefusal>.self) { group in
                for i in 0..<60 {
                    let node = nodes[i % 3]
                    group.addTask { await node.register(Self.request(product, "new-\(i)")) }
                }
                var all: [Result<RegistrationGrant, RegistrationRefusal>] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            let accepted = outcomes.filter { if case .success = $0 { true } else { false } }.count
            #expect(accepted == 18)
            #expect(outcomes.filter { $0 == .failure(.registerLimitReached) }.count == 42)
            #expect(try await storedDevices(location, productId: product.id).count == 25)
            // The refusals are audited with the count that decided them.
            // (A flood of refusals from one source is counted into rows per node, written when the node's window
            // closes or its audit is read: each node's is read first; then the counts add up.)
            for node in nodes { _ = try await node.auditLog(AuditQuery(productId: product.id, limit: 1)) }
            let refusals = try await nodes[2].auditLog(AuditQuery(productId: product.id, accepted: false, limit: 100))
            #expect(refusals.attempts.reduce(0) { $0 + $1.count } == 42)
            #expect(refusals.attempts.allSatisfy { $0.reason == RegistrationRefusal.registerLimitReached.reasonCode })
            #expect(refusals.attempts.contains { $0.detail == "25 of 25 devices created by registration" })
        }
    }

    @Test func racingRegistrationsOfOneNameOnTwoNodesGetOneDeviceAndOneCredential() async throws {
        try await withNodes(2) { nodes, location in
            let product = try await autoCreateProduct(nodes[0], limit: 10)
            let grants = await withTaskGroup(of: Result<RegistrationGrant, RegistrationRefusal>.self) { group in
                for i in 0..<30 {
                    let node = nodes[i % 2]
                    group.addTask { await node.register(Self.request(product, "same", nonce: "\(i)")) }
                }
                var all: [RegistrationGrant] = []
                for await outcome in group {
                    switch outcome {
                    case .success(let grant): all.append(grant)
                    case .failure(let refusal): Issue.record("refused: \(refusal)")
                    }
                }
                return all
            }
            #expect(grants.count == 30)
            #expect(Set(grants.map(\.credential)).count == 1)
            #expect(grants.filter(\.created).count == 1)
            let stored = try await storedDevices(location, productId: product.id)
            #expect(stored.count == 1)
            #expect(stored.first?.credential == grants.first?.credential)
        }
    }

    /// Firmware tasks created on two nodes at once get distinct ids (the store's sequence), and every task is stored.
    @Test func firmwareTasksCreatedOnTwoNodesAtOnceNeverShareAnId() async throws {
        try await withNodes(2) { nodes, location in
            var spec = NewProduct(name: "ota\(UUID().uuidString.prefix(6))")
            spec.encryptionType = .psk
            let product = try await nodes[0].createProduct(spec)
            for i in 0..<10 { _ = try await nodes[0].createDevice(productId: product.id, name: "d\(i)") }
            _ = try await nodes[0].addFirmware(NewFirmware(productId: product.id, version: "2.0", md5: "ABCDEF0123456789ABCDEF0123456789", size: 100, fileToken: "tok"))
            // Node 1 learns of the devices and the firmware through the change feed.
            for _ in 0..<100 {
                if (try? await nodes[1].firmware(productId: product.id, version: "2.0")) != nil,
                    (try? await nodes[1].device(productId: product.id, name: "d9")) != nil
                { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
                for i in 0..<10 {
                    group.addTask {
                        let task = NewFirmwareTask(
                            productId: product.id, version: "2.0", deviceNames: ["d\(i)"], originalVersion: nil, timeoutInterval: 60, url: "http://h/tok.bin"
                        )
                        return try await nodes[i % 2].createFirmwareTask(task, reachable: { _ in false }).0.task.id
                    }
                }
                var all: [Int64] = []
                for try await id in group { all.append(id) }
                return all
            }
            #expect(Set(ids).count == 10)
            let stored = try await location.open()
            #expect(try await stored.load(auditSince: 0).firmwareTasks.filter { $0.productId == product.id }.count == 10)
            try await stored.close()
        }
    }

    @Test func aDeviceRegisteredOnOneNodeLogsInOnAnotherAndIsActivatedInTheStore() async throws {
        try await withNodes(2) { nodes, location in
            let product = try await autoCreateProduct(nodes[0], limit: 10)
            let grant = try await nodes[0].register(Self.request(product, "unit-1")).get()
            guard case .accepted(activated: true) = await nodes[1].login(DeviceKey(productId: product.id, name: "unit-1")) else {
                Issue.record("the other node does not know the device")
                return
            }
            let stored = try await storedDevices(location, productId: product.id)
            #expect(stored.first?.firstOnlineTime != nil)
            #expect(stored.first?.credential == grant.credential)
            // Node 1 still holds the device as never logged in; a second registration there must see the activation.
            #expect(await nodes[0].register(Self.request(product, "unit-1", nonce: "2")) == .failure(.deviceAlreadyActivated))
            // An unknown device is refused on every node.
            guard case .refused = await nodes[1].login(DeviceKey(productId: product.id, name: "nobody")) else {
                Issue.record("an unknown device logged in")
                return
            }
        }
    }

    @Test func aDeviceDisabledOnOneNodeCannotLogInOnAnother() async throws {
        try await withNodes(2) { nodes, _ in
            let product = try await autoCreateProduct(nodes[0], limit: 10)
            _ = try await nodes[0].register(Self.request(product, "unit-2")).get()
            guard case .accepted = await nodes[1].login(DeviceKey(productId: product.id, name: "unit-2")) else {
                Issue.record("login refused")
                return
            }
            try await nodes[0].setDevicesEnabled(productId: product.id, names: ["unit-2"], enabled: false)
            let outcome = await nodes[1].login(DeviceKey(productId: product.id, name: "unit-2")) { _, device in
                device.enabled ? nil : DeviceLoginRefusal(returnCode: 5, reason: "device disabled")
            }
            guard case .refused(let refusal) = outcome else {
                Issue.record("a disabled device logged in on the other node: \(outcome)")
                return
            }
            #expect(refusal.returnCode == 5)
        }
    }

    @Test func aProductCreatedOnOneNodeTakesRegistrationsOnAnother() async throws {
        try await withNodes(2) { nodes, _ in
            // Node 2 opened before the product existed.
            let product = try await autoCreateProduct(nodes[0], limit: 10)
            let grant = try await nodes[1].register(Self.request(product, "unit-3")).get()
            #expect(grant.created)
            // A wrong signature is still refused as such.
            #expect(await nodes[1].register(Self.request(product, "unit-4", secret: "wrong")) == .failure(.signatureMismatch))
        }
    }
}
