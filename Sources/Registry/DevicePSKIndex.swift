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
    /// DeviceSecret (Base64) by device. Decoded at lookup: TLS-PSK handshakes are rare next to the
    /// registrations that fill the index, and the keys share the device table's precomputed hashes.
    private let secrets = Mutex<ShardedDictionary<DeviceKey, String>>([:])

    public init() {}

    /// The PSK (Base64-decoded DeviceSecret) of the key device with this ClientId; nil for unknown
    /// ClientIds and certificate devices.
    public func key(forClientId clientId: String) -> [UInt8]? {
        guard let (productId, name) = DeviceIdentifiers.splitClientId(clientId) else { return nil }
        let key = DeviceKey(productId: productId, name: name)
        return secrets.withLock { $0[key] }.flatMap { DeviceIdentifiers.pskKeyBytes($0) }
    }

    /// Number of key devices indexed.
    public var count: Int { secrets.withLock { $0.count } }

    /// Sets the secret of a device (nil: a certificate device).
    func update(_ key: DeviceKey, secret: String?) {
        secrets.withLock { $0[key] = secret }
    }

    func remove(_ key: DeviceKey) {
        _ = secrets.withLock { $0.removeValue(forKey: key) }
    }

    func removeAll() {
        secrets.withLock { $0.removeAll() }
    }
}
