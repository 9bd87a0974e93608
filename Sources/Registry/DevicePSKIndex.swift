import DeviceAuth
import Synchronization

/// ClientId (`{ProductId}{DeviceName}`) → the decoded PSK of every key device, readable synchronously
/// from any thread.
///
/// The TLS-PSK server callback runs inside the TLS handshake on an event loop and must answer at once,
/// so it cannot await the registry actor. The actor keeps this index in step with its device table
/// (every change of a device goes through `insert`/`removeDevice`/`reload`); a lookup sees either the
/// old or the new key of a device whose secret is being replaced, never a torn value.
public final class DevicePSKIndex: Sendable {
    private let keys = Mutex<ShardedDictionary<String, [UInt8]>>([:])

    public init() {}

    /// The PSK (Base64-decoded DeviceSecret) of the key device with this ClientId; nil for unknown
    /// ClientIds and certificate devices.
    public func key(forClientId clientId: String) -> [UInt8]? {
        keys.withLock { $0[clientId] }
    }

    /// Number of key devices indexed.
    public var count: Int { keys.withLock { $0.count } }

    func update(_ device: Device) {
        let clientId = device.productId + device.name
        let key = device.psk.flatMap { DeviceIdentifiers.pskKeyBytes($0) }
        keys.withLock { $0[clientId] = key }
    }

    func remove(_ key: DeviceKey) {
        _ = keys.withLock { $0.removeValue(forKey: key.productId + key.name) }
    }

    func removeAll() {
        keys.withLock { $0.removeAll() }
    }
}
