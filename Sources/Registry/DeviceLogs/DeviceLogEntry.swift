/// One log entry a device uploaded (device-protocol.md §7.5), as stored.
public struct DeviceLogEntry: Sendable, Hashable {
    /// Row id, increasing in arrival order (0 before it is stored).
    public var id: Int64
    public var productId: String
    public var deviceName: String
    /// Unix ms at which the hub received the upload (the retention and the time filters use it).
    public var receivedAt: Int64
    /// `ERR`, `WRN`, `INF`, `DBG`, or empty when the entry has no level prefix.
    public var level: String
    /// The entry's own time text (the device's clock).
    public var dateTime: String
    public var content: String

    public init(id: Int64 = 0, productId: String, deviceName: String, receivedAt: Int64, level: String, dateTime: String, content: String) {
        self.id = id
        self.productId = productId
        self.deviceName = deviceName
        self.receivedAt = receivedAt
        self.level = level
        self.dateTime = dateTime
        self.content = content
    }
}

/// A search of the stored entries, newest first (ListSDKLog).
public struct DeviceLogQuery: Sendable, Hashable {
    public var productId: String?
    public var deviceName: String?
    public var level: String?
    /// Texts every returned entry's content contains (case-sensitive).
    public var words: [String] = []
    /// Received at or after (Unix ms).
    public var since: Int64?
    /// Received at or before (Unix ms).
    public var until: Int64?
    /// Only entries with a smaller id (the page cursor).
    public var beforeId: Int64?
    public var limit: Int = 100

    public init(productId: String? = nil, deviceName: String? = nil, level: String? = nil, words: [String] = [], since: Int64? = nil,
        until: Int64? = nil, beforeId: Int64? = nil, limit: Int = 100)
    {
        self.productId = productId
        self.deviceName = deviceName
        self.level = level
        self.words = words
        self.since = since
        self.until = until
        self.beforeId = beforeId
        self.limit = limit
    }
}

/// How much of a device's log the hub keeps.
public struct DeviceLogRetention: Sendable, Hashable {
    /// The newest entries kept per device; older ones are deleted as new ones arrive. At least 1.
    public var maxEntriesPerDevice: Int
    /// Bytes of entries (level, time text and content) kept per device; the oldest beyond it are deleted as
    /// new ones arrive, so that one device cannot fill the disk (an upload may carry 64 KiB).
    public var maxBytesPerDevice: Int
    /// Entries received longer ago than this are deleted (periodically) and never returned; nil = no limit.
    public var maxAgeMillis: Int64?

    public init(maxEntriesPerDevice: Int = 10_000, maxBytesPerDevice: Int = 1 << 20, maxAgeMillis: Int64? = 7 * 86_400_000) {
        self.maxEntriesPerDevice = max(1, maxEntriesPerDevice)
        self.maxBytesPerDevice = max(1, maxBytesPerDevice)
        self.maxAgeMillis = maxAgeMillis
    }
}
