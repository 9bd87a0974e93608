import DeviceAuth
import Registry
import Testing

/// Records of every kind, with every optional field both set and unset, and text that needs care (quotes,
/// backslashes, non-ASCII, newlines, an empty string).
struct Sample {
    var products: [Product]
    var devices: [Device]
    var attempts: [RegistrationAttempt]
    var applications: [Application]
    var firmwares: [Firmware]
    var tasks: [FirmwareTask]
    var taskDevices: [FirmwareTaskDevice]

    init() {
        var full = Product(
            id: "PRODUCTAAA", name: "Thermo \"pro\" ✓", description: "line1\nline2 \\ '", encryptionType: .psk, registerType: .autoCreate,
            registerLimit: 123, productSecret: "c2VjcmV0", forbidden: true, createdAt: 1_700_000_000, productType: 5, format: "custom",
            replayProtection: true
        )
        full.webhookURL = "http://127.0.0.1:9000/hook?a=1&b=2"
        full.remoteConfig = #"{"interval":5}"#
        let bare = Product(id: "PRODUCTBBB", name: "", createdAt: -1)
        products = [full, bare]

        var psk = Device(
            productId: "PRODUCTAAA", name: "dev-1", credential: .psk("a+b/c=="), enabled: false, createdByRegistration: true, createdAt: 1_700_000_001,
            credentialFetched: true, clientKeyFetched: true, firstOnlineTime: 1_700_000_002, loginTime: 1_700_000_003,
            lastOfflineTime: 1_700_000_004, online: true, clientIP: "127.0.0.1:5000", firmwareVersion: "1.2.3", logLevel: 4,
            tags: [DeviceTag(tag: "b-tag", type: 2, value: "x", name: "Name ✓"), DeviceTag(tag: "a-tag", type: 1, value: "42")]
        )
        psk.updatedAt = Int64.max
        psk.shadow = #"{"state":{"reported":{"a":1}},"version":3}"#
        var certificate = Device(
            productId: "PRODUCTBBB", name: "sub-1",
            credential: .certificate(certificatePEM: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", privateKeyPEM: "KEY", serialNumber: "01FF"),
            createdAt: 5
        )
        certificate.binding = GatewayBinding(gateway: DeviceKey(productId: "PRODUCTAAA", name: "dev-1"), boundAt: 1_700_000_000_123, attached: true)
        let erasedKey = Device(
            productId: "PRODUCTBBB", name: "dev-2", credential: .certificate(certificatePEM: "PEM", privateKeyPEM: nil, serialNumber: "02"), createdAt: 6
        )
        devices = [psk, certificate, erasedKey]

        attempts = Sample.auditRows()
        applications = [
            Application(id: "appABCDEFGHIJ", name: "dashboard", secretHash: SaltedSecretHash(hashing: "secret"), productIds: ["PRODUCTAAA", "PRODUCTBBB"], createdAt: 9),
            Application(id: "appKLMNOPQRST", name: "", secretHash: SaltedSecretHash(hashing: "other"), productIds: [], createdAt: 10),
        ]
        firmwares = [
            Firmware(
                productId: "PRODUCTAAA", version: "2.0.0", name: "fw", description: "déscription", userDefined: #"{"k":"v"}"#, fwType: "mcu",
                md5: "0123456789abcdef0123456789abcdef", size: 5_000_000_000, createdAt: 11, fileToken: "tok1"
            ),
            Firmware(productId: "PRODUCTAAA", version: "2.0.1", name: "", description: "", userDefined: "", fwType: "module", md5: "", size: 0, createdAt: 12, fileToken: "tok2"),
        ]
        let command = FirmwareCommand(fileSize: 5_000_000_000, md5: "0123456789abcdef0123456789abcdef", url: "https://127.0.0.1:8443/tok1.bin", version: "2.0.0")
        tasks = [
            FirmwareTask(
                id: 7, productId: "PRODUCTAAA", version: "2.0.0", mode: .originalVersion, originalVersion: "1.2.3", timeoutInterval: 3600,
                upgradeMethod: 1, type: 1, createdAt: 13, cancelled: false, command: command
            ),
            FirmwareTask(
                id: 3, productId: "PRODUCTAAA", version: "2.0.1", mode: .deviceNames, originalVersion: "", timeoutInterval: 60, upgradeMethod: 0,
                type: 1, createdAt: 14, cancelled: true, command: command
            ),
        ]
        // Entries load per task in the order they were first written (kept when an entry is updated).
        taskDevices = [
            FirmwareTaskDevice(taskId: 3, productId: "PRODUCTAAA", deviceName: "zz", dstVersion: "2.0.1", oriVersion: "1.0", status: .pending, lastProcessMillis: 1),
            FirmwareTaskDevice(
                taskId: 3, productId: "PRODUCTAAA", deviceName: "aa", dstVersion: "2.0.1", oriVersion: "", status: .failed, percent: 40, retcode: -6,
                errMsg: "cancelled ✓", lastProcessMillis: 2
            ),
            FirmwareTaskDevice(taskId: 7, productId: "PRODUCTAAA", deviceName: "dev-1", dstVersion: "2.0.0", oriVersion: "1.2.3", status: .downloaded, percent: 100, lastProcessMillis: 3),
        ]
    }

    /// Ten audit rows, oldest first: two products, accepted and refused, nonces on some, one counted row.
    static func auditRows() -> [RegistrationAttempt] {
        var rows: [RegistrationAttempt] = []
        for i in 0..<10 {
            let productId: String = i % 3 == 0 ? "PRODUCTBBB" : "PRODUCTAAA"
            let endpoint: RegistrationEndpoint = i % 2 == 0 ? .v2 : .legacy
            let accepted = i % 4 == 1
            let refusal: String = i % 4 == 2 ? "rate_limited" : "bad_signature"
            let reason: String = accepted ? RegistrationAttempt.reasonRegistered : refusal
            let detail: String = i == 5 ? "détail \"quoted\"" : ""
            let nonce: String = i % 2 == 0 ? "nonce-\(i)" : ""
            let time: Int64 = 1_000_000 + Int64(i)
            let count: Int = i == 6 ? 17 : 1
            rows.append(
                RegistrationAttempt(
                    time: time, productId: productId, deviceName: "dev-\(i % 4)", sourceAddress: "127.0.0.\(i):4000", endpoint: endpoint,
                    accepted: accepted, reason: reason, detail: detail, nonce: nonce, timestamp: "\(1_700_000_000 + i)", count: count
                )
            )
        }
        return rows
    }

    var mutations: [RegistryMutation] {
        var result: [RegistryMutation] = products.map { .upsertProduct($0) }
        // A registration batch: devices and their audit rows interleaved.
        for (index, device) in devices.enumerated() {
            result.append(.upsertDevice(device))
            result.append(.appendAudit(attempts[index]))
        }
        result += attempts.dropFirst(devices.count).map { RegistryMutation.appendAudit($0) }
        result += applications.map { RegistryMutation.upsertApplication($0) }
        result += firmwares.map { RegistryMutation.upsertFirmware($0) }
        result += tasks.map { RegistryMutation.upsertFirmwareTask($0) }
        result += taskDevices.map { RegistryMutation.upsertFirmwareTaskDevice($0) }
        return result
    }

    /// `snapshot` holds exactly these records (products, devices, applications and firmware in any order; tasks
    /// by id, task entries by task in first-written order; recent attempts: those with a nonce).
    func expectEqual(_ snapshot: RegistrySnapshot, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(snapshot.products) == Set(products), sourceLocation: sourceLocation)
        #expect(snapshot.products.count == products.count, sourceLocation: sourceLocation)
        #expect(Set(snapshot.devices) == Set(devices), sourceLocation: sourceLocation)
        #expect(snapshot.devices.count == devices.count, sourceLocation: sourceLocation)
        #expect(Set(snapshot.applications) == Set(applications), sourceLocation: sourceLocation)
        #expect(snapshot.applications.count == applications.count, sourceLocation: sourceLocation)
        #expect(Set(snapshot.firmwares) == Set(firmwares), sourceLocation: sourceLocation)
        #expect(snapshot.firmwares.count == firmwares.count, sourceLocation: sourceLocation)
        #expect(snapshot.firmwareTasks == tasks.sorted { $0.id < $1.id }, sourceLocation: sourceLocation)
        let entries = tasks.map(\.id).sorted().flatMap { id in taskDevices.filter { $0.taskId == id } }
        #expect(snapshot.firmwareTaskDevices == entries, sourceLocation: sourceLocation)
        #expect(Set(snapshot.recentAttempts) == Set(attempts.filter { !$0.nonce.isEmpty }), sourceLocation: sourceLocation)
        #expect(snapshot.recentAttempts.count == attempts.filter { !$0.nonce.isEmpty }.count, sourceLocation: sourceLocation)
    }
}
