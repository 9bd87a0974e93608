import Logging
import Registry

extension ManagementActions {
    private func deviceKey(_ p: ActionParameters) throws -> (String, String) {
        (try Self.require(p.string("ProductId"), "ProductId"), try Self.require(p.string("DeviceName"), "DeviceName"))
    }

    func createDevice(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let (productId, name) = try deviceKey(p)
        let tags = (p.object("Attribute")?.objects("Tags") ?? []).map { tag in
            DeviceTag(tag: tag.string("Tag") ?? "", type: tag.int("Type") ?? 2, value: tag.string("Value") ?? "", name: tag.string("Name"))
        }
        let definedPSK = p.string("DefinedPsk").flatMap { $0.isEmpty ? nil : $0 }
        let device = try await call {
            try await registry.createDevice(productId: productId, name: name, definedPSK: definedPSK, tags: tags)
        }
        return Self.credentialFields(device) + [
            ("LoraDevEui", .string("")),
            ("LoraMoteType", .int(0)),
            ("LoraAppKey", .string("")),
            ("LoraNwkKey", .string("")),
        ]
    }

    /// A new device's name and credential (the private key of a certificate device while the hub holds it).
    static func credentialFields(_ device: Device) -> Fields {
        var cert = ""
        var key = ""
        if case .certificate(let pem, let privateKey, _) = device.credential {
            cert = pem
            key = privateKey ?? ""
        }
        return [("DeviceName", .string(device.name)), ("DevicePsk", .string(device.psk ?? "")), ("DeviceCert", .string(cert)), ("DevicePrivateKey", .string(key))]
    }

    /// Hub action: creates every named device or, when any name cannot be created (invalid, already a device,
    /// given twice), none; `InvalidDevices` then names each such name with its position and the reason.
    func createDevices(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        guard let names = p.strings("DeviceNames"), !names.isEmpty else { throw ManagementError.missing("DeviceNames") }
        switch try await call({ try await registry.createDevices(productId: productId, names: names) }) {
        case .created(let devices):
            return [
                ("CreatedCount", .int(devices.count)), ("Devices", .array(devices.map { .object(Self.credentialFields($0)) })),
                ("InvalidDevices", .array([])),
            ]
        case .refused(let problems):
            let invalid: [ActionValue] = problems.map { problem in
                let error = ManagementError(problem.error)
                var fields: Fields = [
                    ("Index", .int(problem.index)), ("DeviceName", .string(problem.name)), ("Code", .string(error.code)), ("Message", .string(error.message)),
                ]
                if let first = problem.duplicateOf { fields.append(("DuplicateOf", .int(first))) }
                return .object(fields)
            }
            return [("CreatedCount", .int(0)), ("Devices", .array([])), ("InvalidDevices", .array(invalid))]
        }
    }

    func describeDevice(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let (productId, name) = try deviceKey(p)
        // As stored now (on a shared store another node may have changed it a moment ago).
        await registry.refreshFromSharedStore(productId: productId, deviceName: name)
        let device = try await call { try await registry.device(productId: productId, name: name) }
        return ActionEncoding.deviceInfoFields(registry.shownWithClusterPresence(device), version, withSecret: true)
    }

    func describeDevices(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        let offset = try Self.require(p.int("Offset"), "Offset")
        let limit = try Self.require(p.int("Limit"), "Limit")
        guard offset >= 0 else { throw ManagementError.invalidValue("Offset must not be negative") }
        guard (1...250).contains(limit) else { throw ManagementError.invalidValue("Limit must be between 1 and 250") }
        var filter = DeviceFilter(firmwareVersion: p.string("FirmwareVersion"), deviceName: p.string("DeviceName"))
        if let state = p.int("EnableState") {
            guard state == 0 || state == 1 else { throw ManagementError.invalidValue("EnableState must be 0 or 1") }
            filter.enabled = state == 1
        }
        // Hub extension: the devices whose DeviceInfo `Online` has this value.
        if let online = p.int("Online") {
            guard let presence = DevicePresence(rawValue: online) else { throw ManagementError.invalidValue("Online must be 0, 1 or 3") }
            filter.presence = presence
        }
        let page = try await call { try await registry.devices(productId: productId, filter: filter, offset: offset, limit: limit) }
        return [
            ("TotalCount", .int(page.total)),
            ("Devices", .array(page.devices.map { .object(ActionEncoding.deviceInfoFields(registry.shownWithClusterPresence($0), version, withSecret: false)) })),
        ]
    }

    func deleteDevice(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let (productId, name) = try deviceKey(p)
        try await call { try await registry.deleteDevice(productId: productId, name: name) }
        // A device created again under the name must not inherit the old device's uploaded logs, files or
        // resource pushes.
        do {
            try await deviceLogs?.deleteDeviceLogs(device: DeviceKey(productId: productId, name: name))
            try await resources?.deleteAll(device: DeviceKey(productId: productId, name: name))
        } catch {
            throw ManagementError("InternalError", "the device was deleted, but its logs or resources could not be: \(error)")
        }
        return []
    }

    func updateDeviceAvailableState(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let (productId, name) = try deviceKey(p)
        let state = try Self.require(p.int("EnableState"), "EnableState")
        guard state == 0 || state == 1 else { throw ManagementError.invalidValue("EnableState must be 0 or 1") }
        try await call { try await registry.setDevicesEnabled(productId: productId, names: [name], enabled: state == 1) }
        return []
    }

    func updateDevicesEnableState(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        guard let names = p.strings("DeviceNames"), !names.isEmpty else { throw ManagementError.missing("DeviceNames") }
        let status = try Self.require(p.int("Status"), "Status")
        guard status == 0 || status == 1 else { throw ManagementError.invalidValue("Status must be 0 or 1") }
        try await call { try await registry.setDevicesEnabled(productId: productId, names: names, enabled: status == 1) }
        return []
    }

    func resetDeviceState(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let productId = try Self.require(p.string("ProductId"), "ProductId")
        guard let names = p.strings("DeviceNames"), !names.isEmpty else { throw ManagementError.missing("DeviceNames") }
        let results = try await call { try await registry.resetDeviceState(productId: productId, names: names) }
        return [
            ("SuccessCount", .int(results.filter(\.success).count)),
            (
                "ResetDeviceResults",
                .array(
                    results.map {
                        .object([
                            ("DeviceName", .string($0.deviceName)), ("Success", .bool($0.success)),
                            ("Reason", $0.reason.map(ActionValue.string) ?? .string("")),
                        ])
                    }
                )
            ),
        ]
    }

    func updateDevicePSK(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let (productId, name) = try deviceKey(p)
        let psk = try Self.require(p.string("Psk"), "Psk")
        try await call { try await registry.updatePSK(productId: productId, name: name, psk: psk) }
        return []
    }

    func describeDeviceClientKey(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let (productId, name) = try deviceKey(p)
        let key = try await call { try await registry.fetchClientKey(productId: productId, name: name) }
        return [("ClientKey", .string(key))]
    }

    /// Hub action: new credential, activation cleared, live sessions closed.
    func resetDeviceRegistration(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        let (productId, name) = try deviceKey(p)
        let device = try await call { try await registry.resetRegistration(productId: productId, name: name) }
        var cert = ""
        if case .certificate(let pem, _, _) = device.credential { cert = pem }
        return [("DeviceName", .string(device.name)), ("DevicePsk", .string(device.psk ?? "")), ("DeviceCert", .string(cert))]
    }

    /// Hub action: the registration audit log, newest first.
    func describeRegistrationLogs(_ p: ActionParameters, _ version: APIVersionTag) async throws -> Fields {
        var query = AuditQuery()
        query.productId = p.string("ProductId").flatMap { $0.isEmpty ? nil : $0 }
        query.deviceName = p.string("DeviceName").flatMap { $0.isEmpty ? nil : $0 }
        query.reason = p.string("Reason").flatMap { $0.isEmpty ? nil : $0 }
        if let result = p.string("Result"), !result.isEmpty {
            guard result == "success" || result == "failure" else { throw ManagementError.invalidValue("Result must be success or failure") }
            query.accepted = result == "success"
        }
        query.offset = p.int("Offset") ?? 0
        query.limit = p.int("Limit") ?? 100
        guard query.offset >= 0, (1...1000).contains(query.limit) else {
            throw ManagementError.invalidValue("Offset must be >= 0 and Limit between 1 and 1000")
        }
        query.since = p.int("StartTime").map { Int64($0) * 1000 }
        query.until = p.int("EndTime").map { Int64($0) * 1000 }
        let page = try await call { try await registry.auditLog(query) }
        return [("TotalCount", .int(page.total)), ("Logs", .array(page.attempts.map(ActionEncoding.attempt)))]
    }
}
