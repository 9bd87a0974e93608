/// One device's entry in a resource task: where the download of one product resource stands on that device.
public struct ResourcePush: Sendable, Hashable {
    /// The per-device status codes of firmware tasks (cloud-api.md §7.7), as far as resources have them.
    public enum Status: Int64, Sendable, Hashable, CaseIterable {
        /// Waiting for the device (offline when the task was created, or not subscribed).
        case pending = 1
        /// `download` pushed or `get_download_task_rsp` sent.
        case delivered = 2
        /// `downloading` reported (`percent`).
        case downloading = 3
        /// `fail` reported (`resultCode`, `resultMessage`).
        case failed = 5
        /// `done` reported.
        case done = 6

        /// Done or failed: the device gets the task no more.
        public var isFinal: Bool { self == .done || self == .failed }
    }

    public var taskId: Int64
    public var productId: String
    public var deviceName: String
    public var name: String
    public var status: Status
    public var percent: Int
    public var resultCode: Int64
    public var resultMessage: String
    /// Unix ms of the last change.
    public var updatedAt: Int64

    public init(
        taskId: Int64, productId: String, deviceName: String, name: String, status: Status, percent: Int = 0, resultCode: Int64 = 0,
        resultMessage: String = "", updatedAt: Int64
    ) {
        self.taskId = taskId
        self.productId = productId
        self.deviceName = deviceName
        self.name = name
        self.status = status
        self.percent = percent
        self.resultCode = resultCode
        self.resultMessage = resultMessage
        self.updatedAt = updatedAt
    }

    public var device: DeviceKey { DeviceKey(productId: productId, name: deviceName) }
}

/// A resource task: one product resource pushed to a set of devices of its product.
public struct ResourceTask: Sendable, Hashable {
    public var id: Int64
    public var productId: String
    public var name: String
    /// Unix ms.
    public var createdAt: Int64
    /// Entries not yet done or failed.
    public var unfinished: Int

    public init(id: Int64, productId: String, name: String, createdAt: Int64, unfinished: Int) {
        self.id = id
        self.productId = productId
        self.name = name
        self.createdAt = createdAt
        self.unfinished = unfinished
    }
}
