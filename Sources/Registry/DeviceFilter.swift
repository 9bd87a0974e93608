import Foundation

/// Whether a device is connected, was connected once, or never was (DeviceInfo's `Online`: 1, 0, 3).
public enum DevicePresence: Int, Sendable, Hashable, CaseIterable {
    case offline = 0
    case online = 1
    case neverActivated = 3
}

extension Device {
    /// Online now; activated (a first MQTT login) but not connected; or never activated.
    public var presence: DevicePresence {
        guard activated else { return .neverActivated }
        return online ? .online : .offline
    }
}

/// Filters of DescribeDevices; nil (or an empty name) matches every device.
public struct DeviceFilter: Sendable {
    /// Exact firmware version; `"None-FirmwareVersion"` selects devices without one.
    public var firmwareVersion: String?
    /// Substring of the device name.
    public var deviceName: String?
    public var enabled: Bool?
    /// The hub's `Online` filter of DescribeDevices.
    public var presence: DevicePresence?

    public init(firmwareVersion: String? = nil, deviceName: String? = nil, enabled: Bool? = nil, presence: DevicePresence? = nil) {
        self.firmwareVersion = firmwareVersion
        self.deviceName = deviceName
        self.enabled = enabled
        self.presence = presence
    }

    /// Matches every device.
    var isEmpty: Bool {
        firmwareVersion == nil && (deviceName ?? "").isEmpty && enabled == nil && presence == nil
    }

    func matches(_ device: Device) -> Bool {
        if let version = firmwareVersion {
            if version == "None-FirmwareVersion" {
                if !device.firmwareVersion.isEmpty { return false }
            } else if device.firmwareVersion != version {
                return false
            }
        }
        if let name = deviceName, !name.isEmpty, !device.name.contains(name) { return false }
        if let enabled, device.enabled != enabled { return false }
        if let presence, device.presence != presence { return false }
        return true
    }
}
