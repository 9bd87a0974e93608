import DeviceAuth
import Foundation
import NIOCore
import Registry
import SQLiteNIO

/// The registry's records as rows, field by field, with the column names of the schema (``SQLiteMigrations``
/// step 10, the same names as PostgreSQL's): the values a record binds, and the record a row decodes to.
enum SQLiteRecords {
    // MARK: columns

    static let productColumns = """
        id, name, description, encryption_type, register_type, register_limit, product_secret, forbidden, created_at, \
        product_type, format, replay_protection, webhook_url, remote_config
        """
    static let productColumnCount = 14

    static let deviceColumns = """
        product_id, name, psk, certificate_pem, private_key_pem, certificate_serial, enabled, created_by_registration, \
        created_at, credential_fetched, client_key_fetched, first_online_time, login_time, last_offline_time, online, \
        client_ip, firmware_version, log_level, updated_at, shadow, gateway_product_id, gateway_name, bound_at, attached
        """
    static let deviceColumnCount = 24

    static let tagColumns = "product_id, device_name, position, tag, type, value, tag_name"
    static let tagColumnCount = 7

    static let applicationColumns = "id, name, secret_salt, secret_hash, created_at"
    static let applicationColumnCount = 5

    static let firmwareColumns = "product_id, version, name, description, user_defined, fw_type, md5, size, created_at, file_token"
    static let firmwareColumnCount = 10

    static let taskColumns = """
        id, product_id, version, mode, original_version, timeout_interval, upgrade_method, type, created_at, cancelled, \
        command_file_size, command_md5, command_url, command_version
        """
    static let taskColumnCount = 14

    static let taskDeviceColumns = "task_id, device_name, product_id, dst_version, ori_version, status, percent, retcode, err_msg, last_process_ms"
    static let taskDeviceColumnCount = 10

    static let auditColumns = "time_ms, product_id, device_name, source, endpoint, accepted, reason, detail, nonce, timestamp, count"
    static let auditColumnCount = 11

    /// `SET` list of an upsert replacing every column but the first `keyCount` (the primary key) of `columns`.
    static func updateAll(_ columns: String, keyCount: Int) -> String {
        columns.split(separator: ",").dropFirst(keyCount)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .map { "\($0) = excluded.\($0)" }
            .joined(separator: ", ")
    }

    static let productUpdate = updateAll(productColumns, keyCount: 1)
    static let deviceUpdate = updateAll(deviceColumns, keyCount: 2)
    static let applicationUpdate = updateAll(applicationColumns, keyCount: 1)
    static let firmwareUpdate = updateAll(firmwareColumns, keyCount: 2)
    static let taskUpdate = updateAll(taskColumns, keyCount: 1)
    static let taskDeviceUpdate = updateAll(taskDeviceColumns, keyCount: 2)

    // MARK: records to values

    static func append(_ p: Product, to binds: inout [SQLiteData]) {
        binds += [
            .text(p.id), .text(p.name), .text(p.description), .text(p.encryptionType.rawValue), .integer(p.registerType.rawValue),
            .integer(p.registerLimit), .text(p.productSecret), bool(p.forbidden), integer(p.createdAt), .integer(p.productType),
            .text(p.format), bool(p.replayProtection), text(p.webhookURL), text(p.remoteConfig),
        ]
    }

    static func append(_ d: Device, to binds: inout [SQLiteData]) {
        var psk = SQLiteData.null
        var certificatePEM = SQLiteData.null
        var privateKeyPEM = SQLiteData.null
        var serial = SQLiteData.null
        switch d.credential {
        case .psk(let secret): psk = .text(secret)
        case .certificate(let certificate, let key, let serialNumber):
            certificatePEM = .text(certificate)
            privateKeyPEM = text(key)
            serial = .text(serialNumber)
        }
        let b = d.binding
        binds += [
            .text(d.productId), .text(d.name), psk, certificatePEM, privateKeyPEM, serial, bool(d.enabled), bool(d.createdByRegistration),
            integer(d.createdAt), bool(d.credentialFetched), bool(d.clientKeyFetched), integer(d.firstOnlineTime), integer(d.loginTime),
            integer(d.lastOfflineTime), bool(d.online), text(d.clientIP), .text(d.firmwareVersion), .integer(d.logLevel),
            integer(d.updatedAt), text(d.shadow), text(b?.gatewayProductId), text(b?.gatewayName), integer(b?.boundAt),
            b.map { bool($0.attached) } ?? .null,
        ]
    }

    static func append(_ tag: DeviceTag, at position: Int, of d: Device, to binds: inout [SQLiteData]) {
        binds += [.text(d.productId), .text(d.name), .integer(position), .text(tag.tag), .integer(tag.type), .text(tag.value), text(tag.name)]
    }

    static func append(_ a: Application, to binds: inout [SQLiteData]) {
        binds += [.text(a.id), .text(a.name), blob(a.secretHash.salt), blob(a.secretHash.hash), integer(a.createdAt)]
    }

    static func append(_ f: Firmware, to binds: inout [SQLiteData]) {
        binds += [
            .text(f.productId), .text(f.version), .text(f.name), .text(f.description), .text(f.userDefined), .text(f.fwType), .text(f.md5),
            integer(f.size), integer(f.createdAt), .text(f.fileToken),
        ]
    }

    static func append(_ t: FirmwareTask, to binds: inout [SQLiteData]) {
        binds += [
            integer(t.id), .text(t.productId), .text(t.version), .text(t.mode.rawValue), .text(t.originalVersion), integer(t.timeoutInterval),
            .integer(t.upgradeMethod), .integer(t.type), integer(t.createdAt), bool(t.cancelled), integer(t.command.fileSize),
            .text(t.command.md5), .text(t.command.url), .text(t.command.version),
        ]
    }

    static func append(_ e: FirmwareTaskDevice, to binds: inout [SQLiteData]) {
        binds += [
            integer(e.taskId), .text(e.deviceName), .text(e.productId), .text(e.dstVersion), .text(e.oriVersion), .integer(e.status.rawValue),
            .integer(e.percent), integer(e.retcode), .text(e.errMsg), integer(e.lastProcessMillis),
        ]
    }

    static func append(_ a: RegistrationAttempt, to binds: inout [SQLiteData]) {
        binds += [
            integer(a.time), .text(a.productId), .text(a.deviceName), .text(a.sourceAddress), .text(a.endpoint.rawValue), bool(a.accepted),
            .text(a.reason), .text(a.detail), .text(a.nonce), .text(a.timestamp), .integer(a.count),
        ]
    }

    static func text(_ value: String?) -> SQLiteData { value.map { .text($0) } ?? .null }
    static func integer(_ value: Int64) -> SQLiteData { .integer(SQLiteInt64(value)) }
    static func integer(_ value: Int64?) -> SQLiteData { value.map { .integer(SQLiteInt64($0)) } ?? .null }
    static func bool(_ value: Bool) -> SQLiteData { .integer(value ? 1 : 0) }
    static func blob(_ bytes: [UInt8]) -> SQLiteData { .blob(ByteBuffer(bytes: bytes)) }

    // MARK: rows to records

    static func product(_ row: SQLiteRow) throws -> Product {
        let c = Columns(row: row, table: "products")
        var product = Product(
            id: try c.text("id"), name: try c.text("name"), description: try c.text("description"),
            encryptionType: try c.value("encryption_type", { (raw: String) in EncryptionType(rawValue: raw) }),
            registerType: try c.value("register_type", { (raw: Int) in RegisterType(rawValue: raw) }),
            registerLimit: Int(try c.integer("register_limit")), productSecret: try c.text("product_secret"), forbidden: try c.bool("forbidden"),
            createdAt: try c.integer("created_at"), productType: Int(try c.integer("product_type")), format: try c.text("format"),
            replayProtection: try c.bool("replay_protection")
        )
        product.webhookURL = try c.optionalText("webhook_url")
        product.remoteConfig = try c.optionalText("remote_config")
        return product
    }

    /// A device without its tags (``tag(_:)`` rows carry them).
    static func device(_ row: SQLiteRow) throws -> Device {
        let c = Columns(row: row, table: "devices")
        let credential: DeviceCredential
        if let psk = try c.optionalText("psk") {
            credential = .psk(psk)
        } else if let certificate = try c.optionalText("certificate_pem"), let serial = try c.optionalText("certificate_serial") {
            credential = .certificate(certificatePEM: certificate, privateKeyPEM: try c.optionalText("private_key_pem"), serialNumber: serial)
        } else {
            throw SQLiteStoreError.invalidValue(table: "devices", column: "psk")
        }
        var device = Device(
            productId: try c.text("product_id"), name: try c.text("name"), credential: credential, enabled: try c.bool("enabled"),
            createdByRegistration: try c.bool("created_by_registration"), createdAt: try c.integer("created_at"),
            credentialFetched: try c.bool("credential_fetched"), clientKeyFetched: try c.bool("client_key_fetched"),
            firstOnlineTime: try c.optionalInteger("first_online_time"), loginTime: try c.integer("login_time"),
            lastOfflineTime: try c.optionalInteger("last_offline_time"), online: try c.bool("online"), clientIP: try c.optionalText("client_ip"),
            firmwareVersion: try c.text("firmware_version"), logLevel: Int(try c.integer("log_level"))
        )
        device.updatedAt = try c.integer("updated_at")
        device.shadow = try c.optionalText("shadow")
        if let gatewayProductId = try c.optionalText("gateway_product_id"), let gatewayName = try c.optionalText("gateway_name"),
            let boundAt = try c.optionalInteger("bound_at"), let attached = try c.optionalInteger("attached")
        {
            device.binding = GatewayBinding(gateway: DeviceKey(productId: gatewayProductId, name: gatewayName), boundAt: boundAt, attached: attached != 0)
        }
        return device
    }

    static func tag(_ row: SQLiteRow) throws -> (DeviceKey, DeviceTag) {
        let c = Columns(row: row, table: "device_tags")
        let key = DeviceKey(productId: try c.text("product_id"), name: try c.text("device_name"))
        return (key, DeviceTag(tag: try c.text("tag"), type: Int(try c.integer("type")), value: try c.text("value"), name: try c.optionalText("tag_name")))
    }

    /// An application without its products (``applicationProduct(_:)`` rows carry them).
    static func application(_ row: SQLiteRow) throws -> Application {
        let c = Columns(row: row, table: "applications")
        guard let secretHash = SaltedSecretHash(salt: try c.blob("secret_salt"), hash: try c.blob("secret_hash")) else {
            throw SQLiteStoreError.invalidValue(table: "applications", column: "secret_hash")
        }
        return Application(id: try c.text("id"), name: try c.text("name"), secretHash: secretHash, productIds: [], createdAt: try c.integer("created_at"))
    }

    static func applicationProduct(_ row: SQLiteRow) throws -> (applicationId: String, productId: String) {
        let c = Columns(row: row, table: "application_products")
        return (try c.text("application_id"), try c.text("product_id"))
    }

    static func firmware(_ row: SQLiteRow) throws -> Firmware {
        let c = Columns(row: row, table: "firmwares")
        return Firmware(
            productId: try c.text("product_id"), version: try c.text("version"), name: try c.text("name"), description: try c.text("description"),
            userDefined: try c.text("user_defined"), fwType: try c.text("fw_type"), md5: try c.text("md5"), size: try c.integer("size"),
            createdAt: try c.integer("created_at"), fileToken: try c.text("file_token")
        )
    }

    static func firmwareTask(_ row: SQLiteRow) throws -> FirmwareTask {
        let c = Columns(row: row, table: "firmware_tasks")
        return FirmwareTask(
            id: try c.integer("id"), productId: try c.text("product_id"), version: try c.text("version"),
            mode: try c.value("mode", { (raw: String) in FirmwareTask.Mode(rawValue: raw) }), originalVersion: try c.text("original_version"),
            timeoutInterval: try c.integer("timeout_interval"), upgradeMethod: Int(try c.integer("upgrade_method")), type: Int(try c.integer("type")),
            createdAt: try c.integer("created_at"), cancelled: try c.bool("cancelled"),
            command: FirmwareCommand(
                fileSize: try c.integer("command_file_size"), md5: try c.text("command_md5"), url: try c.text("command_url"),
                version: try c.text("command_version")
            )
        )
    }

    static func firmwareTaskDevice(_ row: SQLiteRow) throws -> FirmwareTaskDevice {
        let c = Columns(row: row, table: "firmware_task_devices")
        return FirmwareTaskDevice(
            taskId: try c.integer("task_id"), productId: try c.text("product_id"), deviceName: try c.text("device_name"),
            dstVersion: try c.text("dst_version"), oriVersion: try c.text("ori_version"),
            status: try c.value("status", { (raw: Int) in FirmwareTaskDevice.Status(rawValue: raw) }), percent: Int(try c.integer("percent")),
            retcode: try c.integer("retcode"), errMsg: try c.text("err_msg"), lastProcessMillis: try c.integer("last_process_ms")
        )
    }

    static func attempt(_ row: SQLiteRow) throws -> RegistrationAttempt {
        let c = Columns(row: row, table: "registration_audit")
        return RegistrationAttempt(
            time: try c.integer("time_ms"), productId: try c.text("product_id"), deviceName: try c.text("device_name"),
            sourceAddress: try c.text("source"), endpoint: try c.value("endpoint", { (raw: String) in RegistrationEndpoint(rawValue: raw) }),
            accepted: try c.bool("accepted"), reason: try c.text("reason"), detail: try c.text("detail"), nonce: try c.text("nonce"),
            timestamp: try c.text("timestamp"), count: Int(try c.integer("count"))
        )
    }

    static func ban(_ row: SQLiteRow) throws -> SourceBan {
        let c = Columns(row: row, table: "source_bans")
        return SourceBan(
            address: try c.text("address"), until: try c.optionalInteger("until_ms"), created: try c.integer("created_ms"),
            reason: try c.text("reason"), automatic: try c.bool("automatic")
        )
    }

    static func consoleOperator(_ row: SQLiteRow) throws -> ConsoleOperator {
        let c = Columns(row: row, table: "console_operators")
        return ConsoleOperator(
            name: try c.text("name"), role: try c.value("role", { (raw: String) in ConsoleOperator.Role(rawValue: raw) }),
            passwordHash: try c.text("password_hash"), created: try c.integer("created_ms"), passwordChanged: try c.integer("password_changed_ms")
        )
    }
}

/// A row's columns read as the model's types; a missing column or a value of another type is
/// ``SQLiteStoreError/invalidValue(table:column:)``.
struct Columns {
    let row: SQLiteRow
    let table: String

    private func invalid(_ column: String) -> SQLiteStoreError { .invalidValue(table: table, column: column) }

    func text(_ column: String) throws -> String {
        guard case .text(let value) = row.column(column) else { throw invalid(column) }
        return value
    }

    func optionalText(_ column: String) throws -> String? {
        switch row.column(column) {
        case .text(let value): return value
        case .null: return nil
        default: throw invalid(column)
        }
    }

    func integer(_ column: String) throws -> Int64 {
        guard case .integer(let value) = row.column(column) else { throw invalid(column) }
        return Int64(value)
    }

    func optionalInteger(_ column: String) throws -> Int64? {
        switch row.column(column) {
        case .integer(let value): return Int64(value)
        case .null: return nil
        default: throw invalid(column)
        }
    }

    func bool(_ column: String) throws -> Bool {
        switch try integer(column) {
        case 0: return false
        case 1: return true
        default: throw invalid(column)
        }
    }

    func blob(_ column: String) throws -> [UInt8] {
        guard case .blob(let buffer) = row.column(column) else { throw invalid(column) }
        return Array(buffer.readableBytesView)
    }

    /// A text column holding the raw value of an enumeration of the model.
    func value<Value>(_ column: String, _ make: (String) -> Value?) throws -> Value {
        guard let value = make(try text(column)) else { throw invalid(column) }
        return value
    }

    /// An integer column holding the raw value of an enumeration of the model.
    func value<Value>(_ column: String, _ make: (Int) -> Value?) throws -> Value {
        guard let value = make(Int(try integer(column))) else { throw invalid(column) }
        return value
    }
}

/// Errors of the SQLite registry store.
public enum SQLiteStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stored value is not one the model knows (the named table and column).
    case invalidValue(table: String, column: String)
    /// A stored document of an older schema could not be read while migrating (the named table and key).
    case unreadableDocument(table: String, key: String)
    /// The file's schema is newer than this hub knows (a newer hub migrated it).
    case newerSchema(found: Int, known: Int)

    public var description: String {
        switch self {
        case .invalidValue(let table, let column): "registry.sqlite: invalid value in \(table).\(column)"
        case .unreadableDocument(let table, let key): "registry.sqlite: unreadable \(table) document \(key) while migrating"
        case .newerSchema(let found, let known):
            "registry.sqlite has schema version \(found), newer than this hub's \(known): run the hub that wrote it, or restore a backup"
        }
    }
}
