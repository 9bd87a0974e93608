import CloudAPI
import Foundation
import JSONCore
public import Registry
import Synchronization

/// Firmware files in the data directory and the URLs that reach them (cloud-api.md §7.7,
/// device-protocol.md §7.4).
///
/// Layout: `<data>/firmware/<fileToken>.bin` for registered firmware (the name is the opaque token of the
/// download URL), `<data>/firmware/staging/<uploadToken>.bin` for uploads waiting for UploadFirmware.
///
/// GetCOSURL opens an upload slot: a URL on the device HTTP port that accepts one `PUT` within an hour.
/// The PUT streams the bytes to the staging directory while computing MD5 and size; UploadFirmware then
/// compares them with `Md5sum` and `FileSize` and moves the file into place. Staged uploads live in memory
/// only: a restart forgets them (and removes their files), and the operator uploads again.
public final class FirmwareRepository: Sendable {
    /// Largest firmware accepted (64 MiB by default).
    public let maxFileSize: Int64
    public let directory: String
    /// Host names devices reach the hub by (`publicHosts`); the first one goes into URLs.
    public let publicHosts: [String]
    /// The device HTTP port as bound.
    let httpPort: @Sendable () async -> Int
    /// The device HTTPS port as bound; `nil` when the hub serves no HTTPS.
    let httpsPort: @Sendable () async -> Int?
    public let downloadScheme: FirmwareURLScheme
    /// How long a GetCOSURL URL accepts its PUT.
    public static let uploadLifetime: TimeInterval = 3600

    struct UploadSlot: Sendable {
        var key: FirmwareKey
        var expires: Date
        var maxSize: Int64
        var inProgress = false
    }

    /// A finished PUT waiting for UploadFirmware.
    public struct StagedFile: Sendable, Hashable {
        public var token: String
        public var path: String
        public var md5: String
        public var size: Int64
    }

    private let slots = Mutex<[String: UploadSlot]>([:])
    private let staged = Mutex<[FirmwareKey: StagedFile]>([:])

    public init(
        directory: String, publicHosts: [String], maxFileSize: Int64 = 64 << 20,
        httpPort: @escaping @Sendable () async -> Int,
        httpsPort: @escaping @Sendable () async -> Int? = { nil },
        downloadScheme: FirmwareURLScheme = .auto
    ) throws {
        self.httpsPort = httpsPort
        self.downloadScheme = downloadScheme
        self.directory = directory
        self.publicHosts = publicHosts
        self.maxFileSize = maxFileSize
        self.httpPort = httpPort
        let staging = (directory as NSString).appendingPathComponent("staging")
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    var stagingDirectory: String { (directory as NSString).appendingPathComponent("staging") }

    /// The stored file of a registered firmware.
    public func path(fileToken: String) -> String {
        (directory as NSString).appendingPathComponent("\(fileToken).bin")
    }

    /// 32 random lower-case hex characters.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    // MARK: URLs

    /// `http://<host>[:<port>]`: the first public host, else the host the operator called the management
    /// API by; the port is left out when it is 80. The C SDK ignores any port in a firmware URL and always
    /// dials 80 (443 for https), so unmodified C firmware needs the device HTTP port on 80 (or a proxy there).
    public func baseURL(operatorHost: String?) async -> String {
        let host = urlHost(operatorHost: operatorHost)
        let port = await httpPort()
        return port == 80 ? "http://\(host)" : "http://\(host):\(port)"
    }

    /// The base of download URLs: `https://<host>[:<port>]` on the device HTTPS port when the scheme asks for
    /// it (`auto` and the hub serves HTTPS, as Tencent sends https URLs and the SDKs' TLS builds download over
    /// TLS; or `https`), the port left out when it is 443; else ``baseURL(operatorHost:)``.
    public func downloadBaseURL(operatorHost: String?) async -> String {
        guard downloadScheme != .http, let port = await httpsPort() else { return await baseURL(operatorHost: operatorHost) }
        let host = urlHost(operatorHost: operatorHost)
        return port == 443 ? "https://\(host)" : "https://\(host):\(port)"
    }

    /// The first public host, else the host the operator called the management API by.
    private func urlHost(operatorHost: String?) -> String {
        publicHosts.first ?? operatorHost.flatMap(Self.hostName) ?? "127.0.0.1"
    }

    /// The host part of a `Host` header value: scheme and port removed (`http://127.0.0.1:9080` →
    /// `127.0.0.1`, `[::1]:9080` → `[::1]`).
    public static func hostName(_ header: String) -> String? {
        var text = Substring(header.trimmingCharacters(in: .whitespaces))
        if let range = text.range(of: "://") { text = text[range.upperBound...] }
        if let slash = text.firstIndex(of: "/") { text = text[..<slash] }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            return String(text[...close])
        }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") { text = text[..<colon] }
        return text.isEmpty ? nil : String(text)
    }

    /// A download URL: one path segment (device-protocol.md §7.4, the Python SDK's `Host` quirk).
    public func downloadURL(fileToken: String, operatorHost: String?) async -> String {
        await downloadBaseURL(operatorHost: operatorHost) + "/\(fileToken).bin"
    }

    // MARK: uploads

    /// Opens an upload slot for a firmware version; returns its URL.
    public func openUpload(_ key: FirmwareKey, fileSize: Int64?, operatorHost: String?) async -> String {
        let token = Self.newToken()
        let now = Date()
        slots.withLock { slots in
            slots = slots.filter { $0.value.expires > now }
            slots[token] = UploadSlot(key: key, expires: now.addingTimeInterval(Self.uploadLifetime), maxSize: fileSize ?? maxFileSize)
        }
        return await baseURL(operatorHost: operatorHost) + "/firmware-upload/\(token)"
    }

    enum ClaimFailure: Error { case unknownOrExpired, busy }

    /// Takes an upload slot for one PUT.
    func claimUpload(_ token: String) -> Result<UploadSlot, ClaimFailure> {
        slots.withLock { slots in
            guard let slot = slots[token], slot.expires > Date() else {
                slots[token] = nil
                return .failure(.unknownOrExpired)
            }
            guard !slot.inProgress else { return .failure(.busy) }
            slots[token]?.inProgress = true
            return .success(slot)
        }
    }

    /// Ends a PUT: a successful one uses the slot up, a failed one gives it back.
    func finishUpload(_ token: String, staged file: StagedFile?, key: FirmwareKey) {
        slots.withLock { slots in
            if file == nil { slots[token]?.inProgress = false } else { slots[token] = nil }
        }
        guard let file else { return }
        let replaced = staged.withLock { staged in staged.updateValue(file, forKey: key) }
        if let replaced, replaced.path != file.path { try? FileManager.default.removeItem(atPath: replaced.path) }
    }

    public func stagedFile(_ key: FirmwareKey) -> StagedFile? {
        staged.withLock { $0[key] }
    }

    /// Forgets and removes the staged file of `key` if it is still the one uploaded under `token` (an upload
    /// UploadFirmware refused for a reason another call would not change, such as a version that exists).
    public func discardStaged(_ key: FirmwareKey, token: String) {
        let removed = staged.withLock { staged -> StagedFile? in
            guard let file = staged[key], file.token == token else { return nil }
            staged[key] = nil
            return file
        }
        if let removed { try? FileManager.default.removeItem(atPath: removed.path) }
    }

    /// Moves a checked staged file into place under a new download token; returns the token.
    public func promote(_ key: FirmwareKey) throws -> String {
        guard let file = staged.withLock({ $0.removeValue(forKey: key) }) else { throw CocoaError(.fileNoSuchFile) }
        let token = Self.newToken()
        try FileManager.default.moveItem(atPath: file.path, toPath: path(fileToken: token))
        return token
    }

    /// Removes a registered firmware's file (when the registry refused it).
    public func remove(fileToken: String) {
        try? FileManager.default.removeItem(atPath: path(fileToken: fileToken))
    }

    // MARK: the device message

    /// `update_firmware` (device-protocol.md §6.4), keys in the production order.
    public static func updateMessage(_ command: FirmwareCommand) -> [UInt8] {
        JSONValue.object(JSONObject([
            ("file_size", .int(command.fileSize)), ("md5sum", .string(command.md5)), ("type", .string("update_firmware")),
            ("url", .string(command.url)), ("version", .string(command.version)),
        ])).serialized()
    }

    public static func updateTopic(_ device: DeviceKey) -> String {
        "$ota/update/\(device.productId)/\(device.name)"
    }
}

/// The scheme of the firmware URLs devices get in `update_firmware`.
public enum FirmwareURLScheme: String, Sendable, CaseIterable {
    /// https on the device HTTPS port when the hub serves HTTPS, else http.
    case auto
    case http
    /// https; the hub refuses to start without an HTTPS port.
    case https
}
