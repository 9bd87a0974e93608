/// An uploaded firmware version of a product (cloud-api.md §7.7). The bytes live in the hub's data
/// directory under `firmware/<fileToken>.bin`; the registry keeps the metadata.
public struct Firmware: Sendable, Codable, Hashable {
    public var productId: String
    public var version: String
    public var name: String
    public var description: String
    /// `FirmwareUserDefined` (2021, JSON text).
    public var userDefined: String
    /// `FwType` (`mcu` or `module`; 2018 requests set it).
    public var fwType: String
    /// 32 lower-case hex characters.
    public var md5: String
    public var size: Int64
    /// Unix seconds.
    public var createdAt: Int64
    /// Opaque name of the stored file and of the download URL (`/<fileToken>.bin`).
    public var fileToken: String

    public init(
        productId: String, version: String, name: String, description: String, userDefined: String, fwType: String, md5: String, size: Int64,
        createdAt: Int64, fileToken: String
    ) {
        self.productId = productId
        self.version = version
        self.name = name
        self.description = description
        self.userDefined = userDefined
        self.fwType = fwType
        self.md5 = md5
        self.size = size
        self.createdAt = createdAt
        self.fileToken = fileToken
    }

    public var key: FirmwareKey { FirmwareKey(productId: productId, version: version) }
}

/// Identifies a firmware version.
public struct FirmwareKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public var productId: String
    public var version: String

    public init(productId: String, version: String) {
        self.productId = productId
        self.version = version
    }

    public var description: String { "\(productId)@\(version)" }
}

/// A firmware update task (BatchUpdateFirmware): one target version for a set of devices.
public struct FirmwareTask: Sendable, Codable, Hashable {
    /// How the devices were chosen (`UpgradeMode` of DescribeFirmwareTask).
    public enum Mode: String, Sendable, Codable, Hashable {
        case deviceNames = "devicenames"
        case originalVersion = "originalVersion"
    }

    public var id: Int64
    public var productId: String
    /// The target version.
    public var version: String
    public var mode: Mode
    /// `FirmwareOriVersion` of an `originalVersion` task, "" otherwise.
    public var originalVersion: String
    /// Seconds without a report after which a device that got the command times out (status 10).
    public var timeoutInterval: Int64
    /// `UpgradeMethod` as sent (0 silent, 1 user-confirmed; stored, not acted on).
    public var upgradeMethod: Int
    /// `Type` (1 static).
    public var type: Int
    /// Unix seconds.
    public var createdAt: Int64
    /// Set by UpdateOtaTaskStatus 6: task `Status` 6, open device entries failed.
    public var cancelled: Bool
    /// The `update_firmware` command sent to every device of the task.
    public var command: FirmwareCommand

    public init(
        id: Int64, productId: String, version: String, mode: Mode, originalVersion: String, timeoutInterval: Int64, upgradeMethod: Int, type: Int,
        createdAt: Int64, cancelled: Bool = false, command: FirmwareCommand
    ) {
        self.id = id
        self.productId = productId
        self.version = version
        self.mode = mode
        self.originalVersion = originalVersion
        self.timeoutInterval = timeoutInterval
        self.upgradeMethod = upgradeMethod
        self.type = type
        self.createdAt = createdAt
        self.cancelled = cancelled
        self.command = command
    }

    /// Task-level `Status` (cloud-api.md §7.7, assumed codes).
    public enum Status: Int, Sendable {
        case waiting = 0, running = 1, finished = 2, cancelled = 6
    }
}

/// The fields of the `update_firmware` message (device-protocol.md §6.4).
public struct FirmwareCommand: Sendable, Codable, Hashable {
    public var fileSize: Int64
    public var md5: String
    public var url: String
    public var version: String

    public init(fileSize: Int64, md5: String, url: String, version: String) {
        self.fileSize = fileSize
        self.md5 = md5
        self.url = url
        self.version = version
    }
}

/// An `update_firmware` message the caller must publish (QoS 1) on `$ota/update/{pid}/{dn}`.
public struct FirmwarePush: Sendable, Hashable {
    public var device: DeviceKey
    public var command: FirmwareCommand

    public init(device: DeviceKey, command: FirmwareCommand) {
        self.device = device
        self.command = command
    }
}

/// One device's entry in a firmware task (`DeviceUpdateStatus`).
public struct FirmwareTaskDevice: Sendable, Codable, Hashable {
    /// Per-device `Status` (cloud-api.md §7.7, IoT Explorer codes).
    public enum Status: Int, Sendable, Codable, Hashable, CaseIterable {
        case offline = 0
        case pending = 1
        case delivered = 2
        case downloading = 3
        case burning = 4
        case failed = 5
        case upgraded = 6
        case processing = 7
        case awaitingConfirmation = 8
        case timedOut = 10
        case downloaded = 20

        /// Failed, upgraded and timed out end an entry; the others keep the device busy.
        public var isFinal: Bool { self == .failed || self == .upgraded || self == .timedOut }
        /// The command went out and the task waits for the device's reports (the timeout runs).
        public var awaitsReport: Bool { [.delivered, .downloading, .burning, .processing, .downloaded].contains(self) }
    }

    public var taskId: Int64
    public var productId: String
    public var deviceName: String
    /// Target version.
    public var dstVersion: String
    /// The device's version when the task was created.
    public var oriVersion: String
    public var status: Status
    /// 0…100.
    public var percent: Int
    /// `result_code` of a `fail` report; -6 for an operator cancel.
    public var retcode: Int64
    public var errMsg: String
    /// Unix milliseconds of the last change (command sent, report received, timeout).
    public var lastProcessMillis: Int64

    public init(
        taskId: Int64, productId: String, deviceName: String, dstVersion: String, oriVersion: String, status: Status, percent: Int = 0,
        retcode: Int64 = 0, errMsg: String = "", lastProcessMillis: Int64
    ) {
        self.taskId = taskId
        self.productId = productId
        self.deviceName = deviceName
        self.dstVersion = dstVersion
        self.oriVersion = oriVersion
        self.status = status
        self.percent = percent
        self.retcode = retcode
        self.errMsg = errMsg
        self.lastProcessMillis = lastProcessMillis
    }

    public var device: DeviceKey { DeviceKey(productId: productId, name: deviceName) }
}

/// A `report_progress` message (device-protocol.md §6.4).
public struct FirmwareProgress: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case downloading, burning, done, fail
    }

    public var state: State
    public var percent: Int?
    public var resultCode: Int64?
    public var resultMessage: String
    /// The version the report is about ("" when the device did not say).
    public var version: String

    public init(state: State, percent: Int? = nil, resultCode: Int64? = nil, resultMessage: String = "", version: String = "") {
        self.state = state
        self.percent = percent
        self.resultCode = resultCode
        self.resultMessage = resultMessage
        self.version = version
    }
}
