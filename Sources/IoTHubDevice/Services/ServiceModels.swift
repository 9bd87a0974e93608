import Foundation
public import JSONCore

/// The device shadow as a `get` returns it (device-protocol.md §6.3).
public struct ShadowDocument: Sendable, Equatable {
    public var reported: JSONObject
    public var desired: JSONObject
    /// Keys of `desired` that differ from `reported`.
    public var delta: JSONObject
    public var version: Int64
    /// Milliseconds since 1970 of the last change.
    public var timestamp: Int64

    public init(reported: JSONObject = [:], desired: JSONObject = [:], delta: JSONObject = [:], version: Int64 = 0, timestamp: Int64 = 0) {
        self.reported = reported
        self.desired = desired
        self.delta = delta
        self.version = version
        self.timestamp = timestamp
    }
}

/// A delta the hub pushed: desired values that differ from reported ones.
public struct ShadowDelta: Sendable, Equatable {
    public var state: JSONObject
    public var version: Int64
    public var timestamp: Int64
}

/// A rejected shadow request (`result` ≠ 0: 1 invalid request, 2 document too large).
public struct ShadowError: Error, Sendable, Equatable, CustomStringConvertible {
    public var result: Int64
    public var description: String {
        switch result {
        case 1: "shadow request rejected (1): invalid request"
        case 2: "shadow request rejected (2): the document would exceed its size limit"
        default: "shadow request rejected (\(result))"
        }
    }
}

/// An `update_firmware` command (device-protocol.md §6.4).
public struct FirmwareUpdate: Sendable, Equatable {
    public var version: String
    public var url: String
    /// 32 lowercase hex characters.
    public var md5: String
    public var fileSize: Int64

    public init(version: String, url: String, md5: String, fileSize: Int64) {
        self.version = version
        self.url = url
        self.md5 = md5
        self.fileSize = fileSize
    }
}

/// OTA progress states a device reports.
public enum FirmwareProgressState: String, Sendable {
    case downloading, burning, done, fail
}

/// The `result_code` of a failed OTA (device-protocol.md §6.4).
public enum FirmwareFailure: Int, Sendable, Error, CustomStringConvertible {
    case downloadTimeout = -1
    case fileNotFound = -2
    case authorizationFailed = -3
    case md5Mismatch = -4
    case upgradeFailed = -5

    public var description: String {
        switch self {
        case .downloadTimeout: "download failed or timed out (-1)"
        case .fileNotFound: "firmware file not found (-2)"
        case .authorizationFailed: "download not authorized (-3)"
        case .md5Mismatch: "MD5 mismatch (-4)"
        case .upgradeFailed: "upgrade failed (-5)"
        }
    }
}

/// The hub's clock as `$sys` reports it (device-protocol.md §6.5).
public struct ServerTime: Sendable, Equatable {
    /// Seconds since 1970.
    public var time: Int64
    /// Milliseconds: when the hub received the request.
    public var ntpTime1: Int64
    /// Milliseconds: when the hub sent the reply.
    public var ntpTime2: Int64
    /// The local round trip.
    public var roundTrip: Duration

    /// The hub's time when the reply arrived, as the C SDK estimates it: the middle of the hub's two
    /// stamps plus half the round trip.
    public var estimatedNow: Date {
        let milliseconds = Double(ntpTime1 + ntpTime2) / 2 + roundTrip.seconds * 1000 / 2
        return Date(timeIntervalSince1970: milliseconds / 1000)
    }
}

/// An RRPC request from the cloud; answer it with ``DeviceClient/reply(to:payload:)``.
public struct RRPCRequest: Sendable, Equatable {
    public var processId: String
    public var payload: [UInt8]
    public var text: String { String(decoding: payload, as: UTF8.self) }
}

/// A request on a service topic that got no answer.
public struct DeviceServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
