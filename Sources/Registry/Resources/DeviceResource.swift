/// A file a device uploads (device-protocol.md §6.12.3 "upload"): the task its `create_upload_task` opened
/// and, once the PUT arrived intact, the stored file.
public struct DeviceResource: Sendable, Hashable {
    /// DescribeDeviceResource(s) `Status` (device-protocol.md §6.12.4).
    public enum Status: Int64, Sendable, Hashable, CaseIterable {
        case waiting = 0
        case uploading = 1
        case done = 2
        case failed = 3
    }

    public var productId: String
    public var deviceName: String
    /// 1...63 characters of `[A-Za-z0-9._-]`, unique per device (a new upload of a name replaces the old one).
    public var name: String
    /// The MD5 the device announced (lowercase hex); a stored file always has it.
    public var md5: String
    public var size: Int64
    public var status: Status
    /// From the last `uploading` report; 100 once done.
    public var percent: Int
    /// Set once a PUT delivered exactly `size` bytes with MD5 `md5`: the file's name in the data directory.
    public var fileToken: String?
    /// Why the last PUT was refused (`md5 mismatch`, …); nil when none was.
    public var uploadError: String?
    /// Unix ms of the last change.
    public var updatedAt: Int64

    public init(
        productId: String, deviceName: String, name: String, md5: String, size: Int64, status: Status = .waiting, percent: Int = 0,
        fileToken: String? = nil, uploadError: String? = nil, updatedAt: Int64
    ) {
        self.productId = productId
        self.deviceName = deviceName
        self.name = name
        self.md5 = md5
        self.size = size
        self.status = status
        self.percent = percent
        self.fileToken = fileToken
        self.uploadError = uploadError
        self.updatedAt = updatedAt
    }

    public var device: DeviceKey { DeviceKey(productId: productId, name: deviceName) }
}

/// Which device uploads DescribeDeviceResources lists.
public struct DeviceResourceQuery: Sendable, Hashable {
    public var productId: String?
    public var deviceName: String?
    /// Changed at or after / at or before (Unix ms).
    public var since: Int64?
    public var until: Int64?
    public var offset: Int
    public var limit: Int

    public init(productId: String? = nil, deviceName: String? = nil, since: Int64? = nil, until: Int64? = nil, offset: Int = 0, limit: Int = 100) {
        self.productId = productId
        self.deviceName = deviceName
        self.since = since
        self.until = until
        self.offset = offset
        self.limit = limit
    }
}
