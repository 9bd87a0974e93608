import Logging
/// Changes other parts of the hub must react to (the broker closes live sessions on these).
public enum RegistryEvent: Sendable, Hashable {
    /// The device's credential was replaced or its registration reset: close its sessions.
    case credentialRevoked(DeviceKey)
    /// The device was disabled: close its sessions.
    case deviceDisabled(DeviceKey)
    /// The device was deleted: close its sessions.
    case deviceDeleted(DeviceKey)
    /// The operator reset the device's connection state (ResetDeviceState): close its sessions.
    case connectionReset(DeviceKey)
    /// The product was disabled: close the sessions of all its devices.
    case productDisabled(productId: String)
    /// The application was deleted: close its sessions.
    case applicationDeleted(id: String)
    /// Another node changed the operator's source bans in the shared store: read them again.
    case sourceBansChanged
}
