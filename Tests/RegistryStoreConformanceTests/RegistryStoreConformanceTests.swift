import DeviceAuth
import Foundation
import PostgresNIO
import Registry
import RegistryPostgres
import Testing

/// One suite for every registry store: each case runs against SQLite (a temporary file) and PostgreSQL (a fresh
/// database on the throwaway server of scripts/postgres-test-server).
@Suite struct RegistryStoreConformanceTests {
    // MARK: records

    @Test(arguments: Backend.allCases)
    func applyThenLoadRoundTripsEveryFieldOfEveryRecordKind(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let sample = Sample()
            try await store.apply(sample.mutations)
            let snapshot = try await store.load(auditSince: 0)
            sample.expectEqual(snapshot)
        }
    }

    @Test(arguments: Backend.allCases)
    func upsertsReplaceEveryFieldAndDeletesRemove(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            var sample = Sample()
            try await store.apply(sample.mutations)
            // Every kind changed in place: a PSK device becomes a certificate device without tags, the certificate
            // device loses its key and its binding, optionals go back to nil, the product is renamed.
            var product = sample.products[0]
            product.name = "renamed"
            product.webhookURL = nil
            product.remoteConfig = nil
            product.forbidden.toggle()
            var pskDevice = sample.devices[0]
            pskDevice.credential = .certificate(certificatePEM: "PEM2", privateKeyPEM: nil, serialNumber: "0A")
            pskDevice.tags = [DeviceTag(tag: "only", type: 1, value: "7")]
            pskDevice.shadow = nil
            pskDevice.clientIP = nil
            pskDevice.firstOnlineTime = nil
            var certificateDevice = sample.devices[1]
            certificateDevice.credential = .psk("bmV3c2VjcmV0")
            certificateDevice.binding = nil
            var application = sample.applications[0]
            application.productIds = []
            application.secretHash = SaltedSecretHash(hashing: "other")
            var firmware = sample.firmwares[0]
            firmware.size = 1
            var task = sample.tasks[0]
            task.cancelled = true
            task.command.url = "https://127.0.0.1/other.bin"
            var entry = sample.taskDevices[0]
            entry.status = .upgraded
            entry.percent = 100
            try await store.apply([
                .upsertProduct(product), .upsertDevice(pskDevice), .upsertDevice(certificateDevice), .upsertApplication(application),
                .upsertFirmware(firmware), .upsertFirmwareTask(task), .upsertFirmwareTaskDevice(entry),
            ])
            sample.products[0] = product
            sample.devices[0] = pskDevice
            sample.devices[1] = certificateDevice
            sample.applications[0] = application
            sample.firmwares[0] = firmware
            sample.tasks[0] = task
            sample.taskDevices[0] = entry
            sample.expectEqual(try await store.load(auditSince: 0))

            try await store.apply([
                .deleteProduct(id: sample.products[1].id), .deleteDevice(sample.devices[2].key), .deleteApplication(id: application.id),
            ])
            sample.products.remove(at: 1)
            sample.devices.remove(at: 2)
            sample.applications.remove(at: 0)
            sample.expectEqual(try await store.load(auditSince: 0))
        }
    }

    @Test(arguments: Backend.allCases)
    func aFailingMutationLeavesNothingOfItsBatch(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let sample = Sample()
            let kept = sample.products[0]
            let application = sample.applications[0]
            try await store.apply([.upsertProduct(kept), .upsertApplication(application)])
            // Product names are unique: the last product of the batch fails it, after a device, an audit row, a
            // deletion, a firmware and a task were written within the same transaction.
            var clash = sample.products[1]
            clash.name = kept.name
            await #expect(throws: (any Error).self) {
                try await store.apply([
                    .upsertDevice(sample.devices[0]), .appendAudit(sample.attempts[0]), .deleteApplication(id: application.id),
                    .upsertFirmware(sample.firmwares[0]), .upsertFirmwareTask(sample.tasks[0]), .upsertProduct(clash),
                ])
            }
            let snapshot = try await store.load(auditSince: 0)
            #expect(snapshot.products == [kept])
            #expect(snapshot.applications == [application])
            #expect(snapshot.devices.isEmpty)
            #expect(snapshot.firmwares.isEmpty)
            #expect(snapshot.firmwareTasks.isEmpty)
            #expect(try await store.queryAudit(AuditQuery()).total == 0)
            // The store still works after the rollback.
            try await store.apply([.upsertDevice(sample.devices[0])])
            #expect(try await store.load(auditSince: 0).devices == [sample.devices[0]])
        }
    }

    // MARK: registration audit

    @Test(arguments: Backend.allCases)
    func auditFiltersOrderAndPaging(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let attempts = Sample.auditRows()
            try await store.apply(attempts.map { .appendAudit($0) })
            let newestFirst = Array(attempts.reversed())

            let all = try await store.queryAudit(AuditQuery(limit: 100))
            #expect(all.total == attempts.count)
            #expect(all.attempts == newestFirst)

            func check(_ query: AuditQuery, _ matches: (RegistrationAttempt) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let expected = newestFirst.filter(matches)
                let result = try await store.queryAudit(query)
                #expect(result.total == expected.count, sourceLocation: sourceLocation)
                let page = Array(expected.dropFirst(query.offset).prefix(query.limit))
                #expect(result.attempts == page, sourceLocation: sourceLocation)
            }
            try await check(AuditQuery(productId: "PRODUCTAAA"), { $0.productId == "PRODUCTAAA" })
            try await check(AuditQuery(productId: "PRODUCTAAA", deviceName: "dev-1"), { $0.productId == "PRODUCTAAA" && $0.deviceName == "dev-1" })
            try await check(AuditQuery(accepted: true), { $0.accepted })
            try await check(AuditQuery(accepted: false), { !$0.accepted })
            try await check(AuditQuery(reason: "rate_limited"), { $0.reason == "rate_limited" })
            try await check(AuditQuery(since: 1_000_004), { $0.time >= 1_000_004 })
            try await check(AuditQuery(until: 1_000_004), { $0.time < 1_000_004 })
            try await check(AuditQuery(since: 1_000_002, until: 1_000_007), { $0.time >= 1_000_002 && $0.time < 1_000_007 })
            try await check(AuditQuery(productId: "PRODUCTAAA", accepted: false, since: 1_000_001), {
                $0.productId == "PRODUCTAAA" && !$0.accepted && $0.time >= 1_000_001
            })
            try await check(AuditQuery(productId: "NOSUCHPROD"), { _ in false })
            try await check(AuditQuery(offset: 3, limit: 4), { _ in true })
            try await check(AuditQuery(offset: 8, limit: 4), { _ in true })
            try await check(AuditQuery(offset: 20, limit: 4), { _ in true })
            try await check(AuditQuery(accepted: false, offset: 1, limit: 2), { !$0.accepted })

            // Load gives back the rows with a nonce since the time asked, for the replay window.
            let recent = try await store.load(auditSince: 1_000_003).recentAttempts
            #expect(Set(recent) == Set(attempts.filter { $0.time >= 1_000_003 && !$0.nonce.isEmpty }))
            #expect(!recent.isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func auditPruneByAgeThenByCount(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let attempts = Sample.auditRows()
            try await store.apply(attempts.map { .appendAudit($0) })
            #expect(try await store.pruneAudit(before: nil, maxRows: nil) == 0)
            // Older than 1_000_003: the first three rows.
            #expect(try await store.pruneAudit(before: 1_000_003, maxRows: nil) == 3)
            #expect(try await store.queryAudit(AuditQuery()).attempts == Array(attempts.dropFirst(3).reversed()))
            // Keep the newest four.
            #expect(try await store.pruneAudit(before: nil, maxRows: 4) == attempts.count - 3 - 4)
            #expect(try await store.queryAudit(AuditQuery()).attempts == Array(attempts.suffix(4).reversed()))
            #expect(try await store.pruneAudit(before: nil, maxRows: 4) == 0)
            #expect(try await store.pruneAudit(before: nil, maxRows: 0) == 4)
            #expect(try await store.queryAudit(AuditQuery()).total == 0)
        }
    }

    // MARK: operators

    @Test(arguments: Backend.allCases)
    func operatorAccountsAndTheirAudit(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let admin = ConsoleOperator(name: "zed", role: .admin, passwordHash: "$2b$12$abc", created: 1_000, passwordChanged: 2_000)
            var viewer = ConsoleOperator(name: "amy", role: .viewer, passwordHash: "$2b$12$def", created: 3_000, passwordChanged: 3_000)
            #expect(try await store.operators().isEmpty)
            #expect(try await store.operatorAccount(named: "amy") == nil)
            try await store.saveOperator(admin)
            try await store.saveOperator(viewer)
            #expect(try await store.operators() == [viewer, admin])
            viewer.role = .admin
            viewer.passwordHash = "$2b$12$ghi"
            viewer.passwordChanged = 4_000
            try await store.saveOperator(viewer)
            #expect(try await store.operatorAccount(named: "amy") == viewer)
            #expect(try await store.deleteOperator(named: "zed"))
            #expect(try await store.deleteOperator(named: "zed") == false)
            #expect(try await store.operators() == [viewer])

            var entries: [OperatorAuditEntry] = []
            for i in 0..<6 {
                let name: String = i % 2 == 0 ? "amy" : "zed"
                let result: String = i == 3 ? "InvalidParameter" : "ok"
                let time: Int64 = 10_000 + Int64(i)
                entries.append(
                    OperatorAuditEntry(
                        time: time, operatorName: name, action: "Action\(i)", target: "P/\(i)", result: result,
                        detail: "detail \(i) ünïcode", source: "127.0.0.1"
                    )
                )
            }
            for entry in entries { try await store.appendOperatorAudit(entry) }
            let page = try await store.operatorAudit(offset: 1, limit: 3)
            #expect(page.total == 6)
            func same(_ stored: [OperatorAuditEntry], _ expected: [OperatorAuditEntry]) -> Bool {
                stored.map { entry in var entry = entry; entry.id = 0; return entry } == expected
            }
            #expect(same(page.entries, Array(entries.reversed().dropFirst(1).prefix(3))))
            let all = try await store.operatorAudit(offset: 0, limit: 100).entries
            #expect(same(all, entries.reversed()))
            #expect(all.map(\.id) == all.map(\.id).sorted(by: >))
            #expect(Set(all.map(\.id)).count == 6 && !all.contains { $0.id == 0 })
            #expect(try await store.pruneOperatorAudit(before: 10_002, keepNewest: nil) == 2)
            #expect(try await store.pruneOperatorAudit(before: nil, keepNewest: 3) == 1)
            #expect(same(try await store.operatorAudit(offset: 0, limit: 100).entries, Array(entries.suffix(3).reversed())))
        }
    }

    // MARK: source bans

    @Test(arguments: Backend.allCases)
    func operatorBansSaveReplaceDeleteAndSurviveReopen(_ backend: Backend) async throws {
        try await withLocation(backend) { location in
            let store = try await location.open()
            #expect(try await store.loadBans().isEmpty)
            let forever = SourceBan(address: "2001:db8::1", until: nil, created: 1_000, reason: "operator \"quoted\"", automatic: false)
            var timed = SourceBan(address: "127.0.0.9", until: 9_000, created: 2_000, reason: "", automatic: false)
            try await store.saveBan(forever)
            try await store.saveBan(timed)
            #expect(try await store.loadBans() == [timed, forever])
            timed.until = nil
            timed.reason = "extended"
            timed.automatic = true
            try await store.saveBan(timed)
            #expect(try await store.loadBans() == [timed, forever])
            try await store.deleteBan(address: forever.address)
            try await store.deleteBan(address: "127.0.0.250")
            #expect(try await store.loadBans() == [timed])
            try await store.close()
            let reopened = try await location.open()
            #expect(try await reopened.loadBans() == [timed])
            try await reopened.close()
        }
    }

    // MARK: restarts and migrations

    /// Tags come and go with the device record, whatever batch carries it: a batch of device writes alone (the
    /// shape of a batch of logins), before and after the store is reopened, and a device deleted and created again.
    @Test(arguments: Backend.allCases)
    func tagsFollowTheirDeviceInEveryBatchShape(_ backend: Backend) async throws {
        try await withLocation(backend) { location in
            var tagged = Device(
                productId: "PRODUCTAAA", name: "t-1", credential: .psk("c2VjcmV0"), createdAt: 1,
                tags: [DeviceTag(tag: "a", type: 1, value: "1"), DeviceTag(tag: "b", type: 2, value: "x")]
            )
            let other = Device(productId: "PRODUCTAAA", name: "t-2", credential: .psk("c2VjcmV0"), createdAt: 2)
            func tags(_ store: any RegistryStore, _ name: String) async throws -> [DeviceTag]? {
                try await store.load(auditSince: 0).devices.first { $0.name == name }?.tags
            }
            let first = try await location.open()
            try await first.apply([.upsertProduct(Product(id: "PRODUCTAAA", name: "p", createdAt: 0)), .upsertDevice(tagged), .upsertDevice(other)])
            #expect(try await tags(first, "t-1") == tagged.tags)
            // A login-shaped batch (devices only) that drops the tags.
            tagged.tags = []
            tagged.online = true
            try await first.apply([.upsertDevice(tagged), .upsertDevice(other)])
            #expect(try await tags(first, "t-1") == [])
            // Tagged again, then reopened: a devices-only batch clearing them still clears them.
            tagged.tags = [DeviceTag(tag: "c", type: 1, value: "3")]
            try await first.apply([.upsertDevice(tagged)])
            try await first.close()
            let second = try await location.open()
            #expect(try await tags(second, "t-1") == tagged.tags)
            tagged.tags = []
            try await second.apply([.upsertDevice(tagged)])
            #expect(try await tags(second, "t-1") == [])
            // Deleted with its tags, created again without: none come back.
            tagged.tags = [DeviceTag(tag: "d", type: 1, value: "4")]
            try await second.apply([.upsertDevice(tagged)])
            try await second.apply([.deleteDevice(tagged.key)])
            tagged.tags = []
            try await second.apply([.upsertDevice(tagged), .appendAudit(Sample.auditRows()[0])])
            #expect(try await tags(second, "t-1") == [])
            try await second.close()
        }
    }

    @Test(arguments: Backend.allCases)
    func closeAndReopenKeepsEverything(_ backend: Backend) async throws {
        try await withLocation(backend) { location in
            let sample = Sample()
            let account = ConsoleOperator(name: "amy", role: .viewer, passwordHash: "$2b$12$def", created: 3_000, passwordChanged: 3_500)
            let entry = OperatorAuditEntry(time: 5, operatorName: "amy", action: "SignIn", target: "amy", result: "ok", detail: "", source: "127.0.0.1")
            let first = try await location.open()
            try await first.apply(sample.mutations)
            try await first.saveOperator(account)
            try await first.appendOperatorAudit(entry)
            let audit = try await first.queryAudit(AuditQuery())
            try await first.close()

            let second = try await location.open()
            sample.expectEqual(try await second.load(auditSince: 0))
            let reloaded = try await second.queryAudit(AuditQuery())
            #expect(reloaded.total == audit.total && reloaded.attempts == audit.attempts)
            #expect(audit.total == sample.attempts.count)
            #expect(try await second.operators() == [account])
            var stored = try await second.operatorAudit(offset: 0, limit: 10).entries
            stored = stored.map { var e = $0; e.id = 0; return e }
            #expect(stored == [entry])
            // New audit rows come after the old ones.
            try await second.apply([.appendAudit(sample.attempts[0])])
            #expect(try await second.queryAudit(AuditQuery(limit: 1)).attempts == [sample.attempts[0]])
            #expect(try await second.queryAudit(AuditQuery()).total == audit.total + 1)
            try await second.close()
        }
    }

    @Test(arguments: Backend.allCases)
    func migratingAnUpToDateSchemaChangesNothing(_ backend: Backend) async throws {
        try await withLocation(backend) { location in
            let sample = Sample()
            let first = try await location.open()
            try await first.apply(sample.mutations)
            try await first.close()
            // Opening migrates: twice more, on a schema that is already current.
            for _ in 0..<2 {
                let again = try await location.open()
                sample.expectEqual(try await again.load(auditSince: 0))
                if let postgres = again as? PostgresRegistryStore {
                    #expect(try await postgres.migrate() == [])
                    #expect(try await postgres.schemaVersion() == 6)
                }
                try await again.close()
            }
            if backend == .postgres {
                #expect(try await migrationVersions(database: location.name) == [1, 2, 3, 4, 5, 6])
            }
        }
    }

    @Test func twoStoresOpeningOneEmptyPostgresDatabaseAtOnceBothSucceedWithOneSchema() async throws {
        try await withLocation(.postgres) { location in
            async let a = location.open()
            async let b = location.open()
            let stores = try await [a, b]
            let sample = Sample()
            try await stores[0].apply(sample.mutations)
            // The other node sees the same tables.
            sample.expectEqual(try await stores[1].load(auditSince: 0))
            for store in stores { try await store.close() }
            #expect(try await migrationVersions(database: location.name) == [1, 2, 3, 4, 5, 6])
        }
    }

    @Test func postgresURLsParse() throws {
        let configuration = try PostgresRegistryStore.configuration(url: "postgres://iothub:s3cr%40t@127.0.0.1:5433/iothub_test")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 5433)
        #expect(configuration.username == "iothub")
        #expect(configuration.password == "s3cr@t")
        #expect(configuration.database == "iothub_test")
        #expect(throws: PostgresStoreError.invalidURL) { try PostgresRegistryStore.configuration(url: "mysql://u@127.0.0.1/x") }
        #expect(throws: PostgresStoreError.invalidURL) { try PostgresRegistryStore.configuration(url: "postgres://127.0.0.1/x") }
    }
}
