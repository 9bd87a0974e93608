public import DeviceAuth
import Foundation
import JSONCore
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Musl)
import Musl
private let systemWrite = Musl.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// An identity kept in a JSON file shaped like the `device_info.json` of Tencent's device SDKs:
///
/// ```json
/// {"auth_mode":"KEY","productId":"ABCDEFGHIJ","productSecret":"…","deviceName":"SN-0001",
///  "key_deviceinfo":{"deviceSecret":"…"}}
/// ```
///
/// Certificate devices use `"auth_mode":"CERT"` and `"cert_deviceinfo"` with the PEM texts inline
/// (`devCert`, `devPrivateKey`); files named by `devCertFile` / `devPrivateKeyFile` (relative to the JSON
/// file, as Tencent's samples have them) are read too. An empty `deviceSecret` (or the samples'
/// placeholder `YOUR_IOT_PSK`) means "not registered yet". Members this store does not know are kept.
///
/// Writes are atomic (a temporary file in the same directory, `fsync`, `rename`, `fsync` of the
/// directory) and the file has mode 0600: it holds secrets.
public final class FileIdentityStore: DeviceIdentityStore {
    public let path: String
    private let lock = NIOLock()

    public init(path: String) {
        self.path = path
    }

    /// Creates the file for a unit that only knows its product key and name, unless it exists already
    /// (then its contents are kept).
    @discardableResult
    public static func create(path: String, productId: String, productSecret: String?, deviceName: String) throws -> FileIdentityStore {
        let store = FileIdentityStore(path: path)
        if !FileManager.default.fileExists(atPath: path) {
            var object = JSONObject()
            object["auth_mode"] = "KEY"
            object["productId"] = .string(productId)
            if let productSecret { object["productSecret"] = .string(productSecret) }
            object["deviceName"] = .string(deviceName)
            object["key_deviceinfo"] = .object(["deviceSecret": ""])
            try store.write(object)
        }
        return store
    }

    public func load() throws -> DeviceIdentity {
        try lock.withLock {
            let object = try read()
            return try identity(from: object)
        }
    }

    public func storeCredential(_ credential: RegistrationCredential) throws {
        try lock.withLock {
            var object = try read()
            switch credential {
            case .psk(let psk):
                object["auth_mode"] = "KEY"
                var key = object["key_deviceinfo"]?.objectValue ?? JSONObject()
                key["deviceSecret"] = .string(psk)
                object["key_deviceinfo"] = .object(key)
                object["cert_deviceinfo"] = nil
            case .certificate(let certificatePEM, let privateKeyPEM):
                object["auth_mode"] = "CERT"
                object["cert_deviceinfo"] = .object(["devCert": .string(certificatePEM), "devPrivateKey": .string(privateKeyPEM)])
                object["key_deviceinfo"] = nil
            }
            try write(object)
        }
    }

    public func removeCredential() throws {
        try lock.withLock {
            var object = try read()
            object["auth_mode"] = "KEY"
            object["key_deviceinfo"] = .object(["deviceSecret": ""])
            object["cert_deviceinfo"] = nil
            try write(object)
        }
    }

    // MARK: - File format

    private func fail(_ message: String) -> DeviceIdentityStoreError {
        DeviceIdentityStoreError(path: path, message: message)
    }

    private func read() throws -> JSONObject {
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read the file") }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: Array(data))
        } catch {
            throw fail("not valid JSON: \(error)")
        }
        guard let object = value.objectValue else { throw fail("not a JSON object") }
        return object
    }

    private func identity(from object: JSONObject) throws -> DeviceIdentity {
        guard let productId = object["productId"]?.stringValue, !productId.isEmpty else { throw fail("productId is missing") }
        guard let deviceName = object["deviceName"]?.stringValue, !deviceName.isEmpty else { throw fail("deviceName is missing") }
        var identity = DeviceIdentity(productId: productId, deviceName: deviceName)
        if let secret = object["productSecret"]?.stringValue, !secret.isEmpty, secret != "YOUR_PRODUCT_SECRET" {
            identity.productSecret = secret
        }
        let mode = object["auth_mode"]?.stringValue?.uppercased() ?? "KEY"
        if mode == "CERT", let cert = object["cert_deviceinfo"]?.objectValue {
            let certificate = try pem(cert, inline: "devCert", file: "devCertFile")
            let key = try pem(cert, inline: "devPrivateKey", file: "devPrivateKeyFile")
            if let certificate, let key {
                identity.credential = .certificate(certificatePEM: certificate, privateKeyPEM: key)
            }
        } else if let secret = object["key_deviceinfo"]?["deviceSecret"]?.stringValue, !secret.isEmpty, secret != "YOUR_IOT_PSK" {
            identity.credential = .psk(secret)
        }
        return identity
    }

    /// A PEM text given inline, or in a file named relative to the JSON file.
    private func pem(_ object: JSONObject, inline: String, file: String) throws -> String? {
        if let text = object[inline]?.stringValue, !text.isEmpty { return text }
        guard let name = object[file]?.stringValue, !name.isEmpty else { return nil }
        let directory = (path as NSString).deletingLastPathComponent
        let full = name.hasPrefix("/") ? name : (directory as NSString).appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: full) else { throw fail("cannot read \(file) \(full)") }
        return String(decoding: data, as: UTF8.self)
    }

    private func write(_ object: JSONObject) throws {
        let bytes = JSONValue.object(object).serialized() + [UInt8(ascii: "\n")]
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fail("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var ok = bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw fail("cannot write: \(reason)")
        }
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}
