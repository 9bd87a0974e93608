import DeviceAuth
import Foundation
public import Logging
import Metrics
public import Registry
import Synchronization

/// Resource management files and the URLs that reach them (device-protocol.md §6.12): product resources
/// the operator pushes to devices, and files devices upload.
///
/// Layout: `<data>/resources/<fileToken>` for every stored file (product resources and device uploads, the
/// token random), `<data>/resources/staging/<uploadToken>` for a PUT in progress. Directories 0700, files
/// 0600; a PUT is written to staging, checked (exact size, MD5 of the task, `Content-MD5` when sent), synced,
/// then renamed into place, so a stored file is always complete. Records live in the `ResourceStore`.
///
/// Upload slots (one PUT each, within an hour of being opened) and the operator's download grants for device
/// uploads are in memory: a restart forgets them (the C SDK asks again; the operator asks for a new URL).
public final class ResourceRepository: Sendable {
    /// Size limits.
    public struct Limits: Sendable, Hashable {
        /// Largest file, either direction. Default 100 MiB (device-protocol.md §6.12.4).
        public var maxFileSize: Int64
        /// Bytes of uploads one device may hold (stored or announced). Default 1 GiB.
        public var deviceQuota: Int64
        /// Bytes of every product resource and device upload together. Default 10 GiB.
        public var totalQuota: Int64

        public init(maxFileSize: Int64 = 100 << 20, deviceQuota: Int64 = 1 << 30, totalQuota: Int64 = 10 << 30) {
            self.maxFileSize = maxFileSize
            self.deviceQuota = deviceQuota
            self.totalQuota = totalQuota
        }
    }

    /// What a PUT delivers.
    enum UploadTarget: Sendable, Hashable {
        /// A device's upload of `name` (its record says size and MD5).
        case device(DeviceKey, name: String)
        /// A product resource the operator creates.
        case product(ProductResource)
    }

    struct UploadSlot: Sendable {
        var target: UploadTarget
        var size: Int64
        var md5: String
        var expires: Date
        var inProgress = false
    }

    /// A time-limited download URL of a device upload (DownloadDeviceResource).
    struct DownloadGrant: Sendable {
        var fileToken: String
        var size: Int64
        var expires: Date
    }

    public let store: any ResourceStore
    public let limits: Limits
    public let directory: String
    /// `http(s)://<host>[:<port>]` for URLs sent to devices and the operator, given the operator's `Host`
    /// (nil on the device side): the firmware URL rules (device-protocol.md §7.4, `firmware-url-scheme`).
    let baseURL: @Sendable (String?) async -> String
    let logger: Logger
    /// How long an upload URL accepts its PUT and a download grant lasts.
    public static let urlLifetime: TimeInterval = 3600

    private let slots = Mutex<[String: UploadSlot]>([:])
    private let grants = Mutex<[String: DownloadGrant]>([:])

    public init(
        store: any ResourceStore, directory: String, limits: Limits = Limits(), baseURL: @escaping @Sendable (String?) async -> String, logger: Logger
    ) throws {
        self.store = store
        self.directory = directory
        self.limits = limits
        self.baseURL = baseURL
        self.logger = logger
        let staging = (directory as NSString).appendingPathComponent("staging")
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
    }

    var stagingDirectory: String { (directory as NSString).appendingPathComponent("staging") }

    /// The stored file of a token.
    public func path(fileToken: String) -> String {
        (directory as NSString).appendingPathComponent(fileToken)
    }

    /// The URL of a token: one path segment (`/<token>.res`), the same for the PUT of an upload and the GET
    /// of a download.
    func url(_ token: String, operatorHost: String?) async -> String {
        await baseURL(operatorHost) + "/\(token).res"
    }

    func removeFile(_ fileToken: String?) {
        guard let fileToken else { return }
        try? FileManager.default.removeItem(atPath: path(fileToken: fileToken))
    }

    static func now() -> Int64 { RegistryEngine.systemMillis() }

    // MARK: upload slots

    func openSlot(_ target: UploadTarget, size: Int64, md5: String) -> String {
        let token = FirmwareRepository.newToken()
        let now = Date()
        slots.withLock { slots in
            slots = slots.filter { $0.value.expires > now }
            // A device's new task for a name retires the URL of its previous one.
            slots = slots.filter { $0.value.target != target }
            slots[token] = UploadSlot(target: target, size: size, md5: md5, expires: now.addingTimeInterval(Self.urlLifetime))
        }
        return token
    }

    enum ClaimFailure: Error { case unknownOrExpired, busy }

    func claimSlot(_ token: String) -> Result<UploadSlot, ClaimFailure> {
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

    /// Ends a PUT: a stored one uses the slot up, a refused one gives it back (the device may try again).
    func releaseSlot(_ token: String, used: Bool) {
        slots.withLock { slots in
            if used { slots[token] = nil } else { slots[token]?.inProgress = false }
        }
    }

    /// Retires the upload URL of a target (its record was deleted).
    func slotsRetire(_ target: UploadTarget) {
        slots.withLock { slots in slots = slots.filter { $0.value.target != target } }
    }

    // MARK: download grants

    func grant(fileToken: String, size: Int64) -> String {
        let token = FirmwareRepository.newToken()
        let now = Date()
        grants.withLock { grants in
            grants = grants.filter { $0.value.expires > now }
            grants[token] = DownloadGrant(fileToken: fileToken, size: size, expires: now.addingTimeInterval(Self.urlLifetime))
        }
        return token
    }

    /// The file and size behind a download token: a grant, else a product resource's file token.
    func downloadable(_ token: String) async -> (path: String, size: Int64)? {
        if let grant = grants.withLock({ $0[token] }), grant.expires > Date() { return (path(fileToken: grant.fileToken), grant.size) }
        guard let resource = try? await store.productResource(fileToken: token) else { return nil }
        return (path(fileToken: resource.fileToken), resource.size)
    }

    func revokeGrants(fileToken: String) {
        grants.withLock { grants in grants = grants.filter { $0.value.fileToken != fileToken } }
    }

    // MARK: quota

    /// Whether `size` more bytes fit: under the total quota and, for a device, under its own (`replacing`:
    /// bytes of the record the new one replaces).
    func fits(_ size: Int64, device: DeviceKey?, replacing: Int64 = 0) async throws -> Bool {
        let total = try await store.totalResourceBytes()
        guard total - replacing + size <= limits.totalQuota else { return false }
        if let device {
            let used = try await store.deviceResourceBytes(device: device)
            guard used - replacing + size <= limits.deviceQuota else { return false }
        }
        return true
    }

    static func count(_ counter: String, _ dimensions: [(String, String)]) {
        Counter(label: counter, dimensions: dimensions).increment()
    }
}
