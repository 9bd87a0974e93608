import DeviceAuth
import Foundation
import PostgresNIO
import Registry

/// The registry's records as rows: the statements a mutation becomes, and the records rows decode to. Field by
/// field, with the column names of ``PostgresMigrations``.
enum PostgresRecords {
    /// The statements of a transaction's mutations, in order; consecutive device writes (a batch of logins and
    /// logouts) become one statement, each device at its last state in the run.
    static func queries(for mutations: [RegistryMutation], node: String) throws -> [PostgresQuery] {
        var queries: [PostgresQuery] = []
        var run: [Device] = []
        var positions: [DeviceKey: Int] = [:]
        func flush() {
            guard !run.isEmpty else { return }
            queries += upsertDevices(run, node: node)
            run.removeAll()
            positions.removeAll()
        }
        for mutation in mutations {
            if case .upsertDevice(let device) = mutation {
                if let position = positions[device.key] { run[position] = device } else {
                    positions[device.key] = run.count
                    run.append(device)
                }
                continue
            }
            flush()
            queries += try self.queries(for: mutation, node: node)
        }
        flush()
        return queries
    }

    /// `node`: the store's node id; a device written online is marked as held by it, and a device written offline
    /// is only marked offline where this node held it (another node's later login stays).
    static func queries(for mutation: RegistryMutation, node: String) throws -> [PostgresQuery] {
        switch mutation {
        case .upsertProduct(let p):
            return [
                """
                INSERT INTO products (id, name, description, encryption_type, register_type, register_limit, product_secret,
                    forbidden, created_at, product_type, format, replay_protection, webhook_url, remote_config)
                VALUES (\(p.id), \(p.name), \(p.description), \(p.encryptionType.rawValue), \(p.registerType.rawValue),
                    \(p.registerLimit), \(p.productSecret), \(p.forbidden), \(p.createdAt), \(p.productType), \(p.format),
                    \(p.replayProtection), \(p.webhookURL), \(p.remoteConfig))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
                    encryption_type = excluded.encryption_type, register_type = excluded.register_type,
                    register_limit = excluded.register_limit, product_secret = excluded.product_secret,
                    forbidden = excluded.forbidden, created_at = excluded.created_at, product_type = excluded.product_type,
                    format = excluded.format, replay_protection = excluded.replay_protection,
                    webhook_url = excluded.webhook_url, remote_config = excluded.remote_config
                """
            ]
        case .deleteProduct(let id):
            return ["DELETE FROM products WHERE id = \(id)"]
        case .upsertDevice(let d):
            return upsertDevices([d], node: node)
        case .deleteDevice(let key):
            // The tags go with the device (ON DELETE CASCADE).
            return ["DELETE FROM devices WHERE product_id = \(key.productId) AND name = \(key.name)"]
        case .appendAudit(let a):
            var binds = PostgresBindings(capacity: auditColumnCount)
            let row = appendAuditRow(a, to: &binds)
            return [PostgresQuery(unsafeSQL: "INSERT INTO registration_audit (\(auditColumns)) VALUES \(row)", binds: binds)]
        case .upsertApplication(let app):
            return [
                try """
                INSERT INTO applications (id, name, secret_salt, secret_hash, product_ids, created_at)
                VALUES (\(app.id), \(app.name), \(Data(app.secretHash.salt)), \(Data(app.secretHash.hash)), \(app.productIds),
                    \(app.createdAt))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, secret_salt = excluded.secret_salt,
                    secret_hash = excluded.secret_hash, product_ids = excluded.product_ids, created_at = excluded.created_at
                """
            ]
        case .deleteApplication(let id):
            return ["DELETE FROM applications WHERE id = \(id)"]
        case .upsertFirmware(let f):
            return [
                """
                INSERT INTO firmwares (product_id, version, name, description, user_defined, fw_type, md5, size, created_at, file_token)
                VALUES (\(f.productId), \(f.version), \(f.name), \(f.description), \(f.userDefined), \(f.fwType), \(f.md5), \(f.size),
                    \(f.createdAt), \(f.fileToken))
                ON CONFLICT (product_id, version) DO UPDATE SET name = excluded.name, description = excluded.description,
                    user_defined = excluded.user_defined, fw_type = excluded.fw_type, md5 = excluded.md5, size = excluded.size,
                    created_at = excluded.created_at, file_token = excluded.file_token
                """
            ]
        case .upsertFirmwareTask(let t):
            return [
                """
                INSERT INTO firmware_tasks (id, product_id, version, mode, original_version, timeout_interval, upgrade_method,
                    type, created_at, cancelled, command_file_size, command_md5, command_url, command_version)
                VALUES (\(t.id), \(t.productId), \(t.version), \(t.mode.rawValue), \(t.originalVersion), \(t.timeoutInterval),
                    \(t.upgradeMethod), \(t.type), \(t.createdAt), \(t.cancelled), \(t.command.fileSize), \(t.command.md5),
                    \(t.command.url), \(t.command.version))
                ON CONFLICT (id) DO UPDATE SET product_id = excluded.product_id, version = excluded.version, mode = excluded.mode,
                    original_version = excluded.original_version, timeout_interval = excluded.timeout_interval,
                    upgrade_method = excluded.upgrade_method, type = excluded.type, created_at = excluded.created_at,
                    cancelled = excluded.cancelled, command_file_size = excluded.command_file_size,
                    command_md5 = excluded.command_md5, command_url = excluded.command_url, command_version = excluded.command_version
                """
            ]
        case .upsertFirmwareTaskDevice(let e):
            return [
                """
                INSERT INTO firmware_task_devices (task_id, device_name, product_id, dst_version, ori_version, status, percent,
                    retcode, err_msg, last_process_ms)
                VALUES (\(e.taskId), \(e.deviceName), \(e.productId), \(e.dstVersion), \(e.oriVersion), \(e.status.rawValue),
                    \(e.percent), \(e.retcode), \(e.errMsg), \(e.lastProcessMillis))
                ON CONFLICT (task_id, device_name) DO UPDATE SET product_id = excluded.product_id,
                    dst_version = excluded.dst_version, ori_version = excluded.ori_version, status = excluded.status,
                    percent = excluded.percent, retcode = excluded.retcode, err_msg = excluded.err_msg,
                    last_process_ms = excluded.last_process_ms
                """
            ]
        }
    }

    // MARK: rows to records

    static func product(_ row: PostgresRandomAccessRow) throws -> Product {
        var product = Product(
            id: try row["id"].decode(String.self),
            name: try row["name"].decode(String.self),
            description: try row["description"].decode(String.self),
            encryptionType: try value(row, "encryption_type", EncryptionType.init(rawValue:)),
            registerType: try value(row, "register_type", RegisterType.init(rawValue:)),
            registerLimit: try row["register_limit"].decode(Int.self),
            productSecret: try row["product_secret"].decode(String.self),
            forbidden: try row["forbidden"].decode(Bool.self),
            createdAt: try row["created_at"].decode(Int64.self),
            productType: try row["product_type"].decode(Int.self),
            format: try row["format"].decode(String.self),
            replayProtection: try row["replay_protection"].decode(Bool.self)
        )
        product.webhookURL = try row["webhook_url"].decode(String?.self)
        product.remoteConfig = try row["remote_config"].decode(String?.self)
        return product
    }

    static func device(_ row: PostgresRandomAccessRow) throws -> Device {
        let credential: DeviceCredential
        if let psk = try row["psk"].decode(String?.self) {
            credential = .psk(psk)
        } else if let certificate = try row["certificate_pem"].decode(String?.self), let serial = try row["certificate_serial"].decode(String?.self) {
            credential = .certificate(certificatePEM: certificate, privateKeyPEM: try row["private_key_pem"].decode(String?.self), serialNumber: serial)
        } else {
            throw PostgresStoreError.invalidValue(column: "psk")
        }
        var device = Device(
            productId: try row["product_id"].decode(String.self),
            name: try row["name"].decode(String.self),
            credential: credential,
            enabled: try row["enabled"].decode(Bool.self),
            createdByRegistration: try row["created_by_registration"].decode(Bool.self),
            createdAt: try row["created_at"].decode(Int64.self),
            credentialFetched: try row["credential_fetched"].decode(Bool.self),
            clientKeyFetched: try row["client_key_fetched"].decode(Bool.self),
            firstOnlineTime: try row["first_online_time"].decode(Int64?.self),
            loginTime: try row["login_time"].decode(Int64.self),
            lastOfflineTime: try row["last_offline_time"].decode(Int64?.self),
            online: try row["online"].decode(Bool.self),
            clientIP: try row["client_ip"].decode(String?.self),
            firmwareVersion: try row["firmware_version"].decode(String.self),
            logLevel: try row["log_level"].decode(Int.self)
        )
        device.updatedAt = try row["updated_at"].decode(Int64.self)
        device.shadow = try row["shadow"].decode(String?.self)
        if let gatewayProductId = try row["gateway_product_id"].decode(String?.self),
            let gatewayName = try row["gateway_name"].decode(String?.self),
            let boundAt = try row["bound_at"].decode(Int64?.self),
            let attached = try row["attached"].decode(Bool?.self)
        {
            device.binding = GatewayBinding(gateway: DeviceKey(productId: gatewayProductId, name: gatewayName), boundAt: boundAt, attached: attached)
        }
        return device
    }

    static func tag(_ row: PostgresRandomAccessRow) throws -> (DeviceKey, DeviceTag) {
        let key = DeviceKey(productId: try row["product_id"].decode(String.self), name: try row["device_name"].decode(String.self))
        let tag = DeviceTag(
            tag: try row["tag"].decode(String.self), type: try row["type"].decode(Int.self), value: try row["value"].decode(String.self),
            name: try row["tag_name"].decode(String?.self)
        )
        return (key, tag)
    }

    static func application(_ row: PostgresRandomAccessRow) throws -> Application {
        guard
            let secretHash = SaltedSecretHash(
                salt: Array(try row["secret_salt"].decode(Data.self)), hash: Array(try row["secret_hash"].decode(Data.self))
            )
        else { throw PostgresStoreError.invalidValue(column: "secret_hash") }
        return Application(
            id: try row["id"].decode(String.self), name: try row["name"].decode(String.self), secretHash: secretHash,
            productIds: try row["product_ids"].decode([String].self), createdAt: try row["created_at"].decode(Int64.self)
        )
    }

    static func firmware(_ row: PostgresRandomAccessRow) throws -> Firmware {
        Firmware(
            productId: try row["product_id"].decode(String.self), version: try row["version"].decode(String.self),
            name: try row["name"].decode(String.self), description: try row["description"].decode(String.self),
            userDefined: try row["user_defined"].decode(String.self), fwType: try row["fw_type"].decode(String.self),
            md5: try row["md5"].decode(String.self), size: try row["size"].decode(Int64.self),
            createdAt: try row["created_at"].decode(Int64.self), fileToken: try row["file_token"].decode(String.self)
        )
    }

    static func firmwareTask(_ row: PostgresRandomAccessRow) throws -> FirmwareTask {
        FirmwareTask(
            id: try row["id"].decode(Int64.self), productId: try row["product_id"].decode(String.self),
            version: try row["version"].decode(String.self), mode: try value(row, "mode", FirmwareTask.Mode.init(rawValue:)),
            originalVersion: try row["original_version"].decode(String.self),
            timeoutInterval: try row["timeout_interval"].decode(Int64.self), upgradeMethod: try row["upgrade_method"].decode(Int.self),
            type: try row["type"].decode(Int.self), createdAt: try row["created_at"].decode(Int64.self),
            cancelled: try row["cancelled"].decode(Bool.self),
            command: FirmwareCommand(
                fileSize: try row["command_file_size"].decode(Int64.self), md5: try row["command_md5"].decode(String.self),
                url: try row["command_url"].decode(String.self), version: try row["command_version"].decode(String.self)
            )
        )
    }

    static func firmwareTaskDevice(_ row: PostgresRandomAccessRow) throws -> FirmwareTaskDevice {
        FirmwareTaskDevice(
            taskId: try row["task_id"].decode(Int64.self), productId: try row["product_id"].decode(String.self),
            deviceName: try row["device_name"].decode(String.self), dstVersion: try row["dst_version"].decode(String.self),
            oriVersion: try row["ori_version"].decode(String.self),
            status: try value(row, "status", FirmwareTaskDevice.Status.init(rawValue:)), percent: try row["percent"].decode(Int.self),
            retcode: try row["retcode"].decode(Int64.self), errMsg: try row["err_msg"].decode(String.self),
            lastProcessMillis: try row["last_process_ms"].decode(Int64.self)
        )
    }

    static func attempt(_ row: PostgresRandomAccessRow) throws -> RegistrationAttempt {
        RegistrationAttempt(
            time: try row["time_ms"].decode(Int64.self), productId: try row["product_id"].decode(String.self),
            deviceName: try row["device_name"].decode(String.self), sourceAddress: try row["source"].decode(String.self),
            endpoint: try value(row, "endpoint", RegistrationEndpoint.init(rawValue:)), accepted: try row["accepted"].decode(Bool.self),
            reason: try row["reason"].decode(String.self), detail: try row["detail"].decode(String.self),
            nonce: try row["nonce"].decode(String.self), timestamp: try row["timestamp"].decode(String.self),
            count: try row["count"].decode(Int.self)
        )
    }

    /// A column holding the raw value of an enumeration of the model.
    static func value<Raw: PostgresDecodable, Value>(_ row: PostgresRandomAccessRow, _ column: String, _ make: (Raw) -> Value?) throws -> Value {
        guard let value = make(try row[column].decode(Raw.self)) else { throw PostgresStoreError.invalidValue(column: column) }
        return value
    }
}

/// Devices and audit rows as bound parameters: one row's placeholders, so that the same values make one statement
/// (a mutation) or a multi-row one (a batch of registrations).
extension PostgresRecords {
    static let deviceColumns = """
        product_id, name, psk, certificate_pem, private_key_pem, certificate_serial, enabled, created_by_registration, created_at,
        credential_fetched, client_key_fetched, first_online_time, login_time, last_offline_time, online, client_ip,
        firmware_version, log_level, updated_at, shadow, gateway_product_id, gateway_name, bound_at, attached, presence_node
        """
    static let deviceColumnCount = 25
    static let auditColumns = "time_ms, product_id, device_name, source, endpoint, accepted, reason, detail, nonce, timestamp, count"
    static let auditColumnCount = 11

    /// Devices written as they are (one statement for all of them, then their tags): a row written offline clears
    /// `online` only where this node held the device. Each key at most once (a statement cannot change a row twice).
    static func upsertDevices(_ devices: [Device], node: String) -> [PostgresQuery] {
        var binds = PostgresBindings(capacity: devices.count * deviceColumnCount + 1)
        let rows = devices.map { appendDeviceRow($0, node: node, to: &binds) }
        binds.append(node)
        let nodeParameter = "$\(devices.count * deviceColumnCount + 1)"
        var queries: [PostgresQuery] = [
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO devices (\(deviceColumns)) VALUES \(rows.joined(separator: ", "))
                    ON CONFLICT (product_id, name) DO UPDATE SET psk = excluded.psk, certificate_pem = excluded.certificate_pem,
                        private_key_pem = excluded.private_key_pem, certificate_serial = excluded.certificate_serial,
                        enabled = excluded.enabled, created_by_registration = excluded.created_by_registration,
                        created_at = excluded.created_at, credential_fetched = excluded.credential_fetched,
                        client_key_fetched = excluded.client_key_fetched, first_online_time = excluded.first_online_time,
                        login_time = excluded.login_time, last_offline_time = excluded.last_offline_time,
                        online = CASE WHEN excluded.online OR devices.presence_node IS NULL OR devices.presence_node = \(nodeParameter)
                            THEN excluded.online ELSE devices.online END,
                        presence_node = CASE WHEN excluded.online THEN excluded.presence_node
                            WHEN devices.presence_node = \(nodeParameter) THEN NULL ELSE devices.presence_node END,
                        client_ip = excluded.client_ip, firmware_version = excluded.firmware_version, log_level = excluded.log_level,
                        updated_at = excluded.updated_at, shadow = excluded.shadow, gateway_product_id = excluded.gateway_product_id,
                        gateway_name = excluded.gateway_name, bound_at = excluded.bound_at, attached = excluded.attached
                    """,
                binds: binds
            ),
            """
            DELETE FROM device_tags t USING unnest(\(devices.map(\.productId))::text[], \(devices.map(\.name))::text[]) AS k(product_id, name)
                WHERE t.product_id = k.product_id AND t.device_name = k.name
            """,
        ]
        for device in devices {
            for (position, tag) in device.tags.enumerated() { queries.append(insertTag(tag, at: position, of: device)) }
        }
        return queries
    }

    static func insertTag(_ tag: DeviceTag, at position: Int, of d: Device) -> PostgresQuery {
        """
        INSERT INTO device_tags (product_id, device_name, position, tag, type, value, tag_name)
        VALUES (\(d.productId), \(d.name), \(position), \(tag.tag), \(tag.type), \(tag.value), \(tag.name))
        """
    }

    /// Appends a device's values (`deviceColumns`, in order) and returns its row of placeholders.
    static func appendDeviceRow(_ d: Device, node: String, to binds: inout PostgresBindings) -> String {
        var psk: String?
        var certificatePEM: String?
        var privateKeyPEM: String?
        var serial: String?
        switch d.credential {
        case .psk(let secret): psk = secret
        case .certificate(let certificate, let key, let serialNumber):
            certificatePEM = certificate
            privateKeyPEM = key
            serial = serialNumber
        }
        let b = d.binding
        let first = binds.count + 1
        binds.append(d.productId)
        binds.append(d.name)
        binds.append(psk)
        binds.append(certificatePEM)
        binds.append(privateKeyPEM)
        binds.append(serial)
        binds.append(d.enabled)
        binds.append(d.createdByRegistration)
        binds.append(d.createdAt)
        binds.append(d.credentialFetched)
        binds.append(d.clientKeyFetched)
        binds.append(d.firstOnlineTime)
        binds.append(d.loginTime)
        binds.append(d.lastOfflineTime)
        binds.append(d.online)
        binds.append(d.clientIP)
        binds.append(d.firmwareVersion)
        binds.append(d.logLevel)
        binds.append(d.updatedAt)
        binds.append(d.shadow)
        binds.append(b?.gatewayProductId)
        binds.append(b?.gatewayName)
        binds.append(b?.boundAt)
        binds.append(b?.attached)
        binds.append(d.online ? node : nil)
        return placeholders(from: first, count: deviceColumnCount)
    }

    /// Appends an audit row's values (`auditColumns`, in order) and returns its row of placeholders.
    static func appendAuditRow(_ a: RegistrationAttempt, to binds: inout PostgresBindings) -> String {
        let first = binds.count + 1
        binds.append(a.time)
        binds.append(a.productId)
        binds.append(a.deviceName)
        binds.append(a.sourceAddress)
        binds.append(a.endpoint.rawValue)
        binds.append(a.accepted)
        binds.append(a.reason)
        binds.append(a.detail)
        binds.append(a.nonce)
        binds.append(a.timestamp)
        binds.append(a.count)
        return placeholders(from: first, count: auditColumnCount)
    }

    private static func placeholders(from first: Int, count: Int) -> String {
        "(" + (first..<(first + count)).map { "$\($0)" }.joined(separator: ", ") + ")"
    }

    /// New devices in one statement; a row whose name exists (created meanwhile by a path that does not lock the
    /// product) is skipped, and the rows inserted are returned (`product_id`, `name`).
    static func insertNewDevices(_ devices: [Device], node: String) -> PostgresQuery {
        var binds = PostgresBindings(capacity: devices.count * deviceColumnCount)
        let rows = devices.map { appendDeviceRow($0, node: node, to: &binds) }
        return PostgresQuery(
            unsafeSQL: "INSERT INTO devices (\(deviceColumns)) VALUES \(rows.joined(separator: ", ")) ON CONFLICT (product_id, name) DO NOTHING RETURNING product_id, name",
            binds: binds
        )
    }

    /// Audit rows in one statement.
    static func insertAudits(_ attempts: [RegistrationAttempt]) -> PostgresQuery {
        var binds = PostgresBindings(capacity: attempts.count * auditColumnCount)
        let rows = attempts.map { appendAuditRow($0, to: &binds) }
        return PostgresQuery(unsafeSQL: "INSERT INTO registration_audit (\(auditColumns)) VALUES \(rows.joined(separator: ", "))", binds: binds)
    }
}
