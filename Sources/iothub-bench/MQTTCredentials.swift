import DeviceAuth
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// A registered device as the MQTT scenarios use it: its topics and the CONNECT fields Tencent's SDKs send.
struct MQTTDeviceCredential: Sendable {
    var productId: String
    var deviceName: String
    var psk: String

    var clientId: String { productId + deviceName }
    /// `{ClientId};21010406;{connid};{expiry}` (valid for a day) and its HMAC-SHA256 password.
    func login() -> (username: String, password: String) {
        let username = DeviceUsername.make(
            productId: productId, deviceName: deviceName, expiry: .at(UInt64(Date().timeIntervalSince1970) + 86_400)
        )
        return (username, (try? MQTTPassword.make(username: username, devicePSK: psk, method: .hmacSHA256)) ?? "")
    }
    /// The device's event topic, `{pid}/{dn}/event` (a device may publish there; applications receive it).
    var eventTopic: String { "\(productId)/\(deviceName)/event" }

    /// One device per line: `ProductId DeviceName PSK`.
    static func load(_ path: String) throws -> [MQTTDeviceCredential] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3 else { return nil }
            return MQTTDeviceCredential(productId: String(fields[0]), deviceName: String(fields[1]), psk: String(fields[2]))
        }
    }

    static func save(_ credentials: [MQTTDeviceCredential], to path: String) throws {
        let text = credentials.map { "\($0.productId) \($0.deviceName) \($0.psk)\n" }.joined()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// v2 auto-create registrations whose PSKs are kept (every reply is decrypted), so that the MQTT
/// scenarios connect as devices that exist because they registered.
final class CredentialRegistration: Scenario, @unchecked Sendable {
    let name = "register (credentials)"
    private let inner: RegistrationScenario
    private let productId: String
    private let productSecret: String
    private let runId: String
    private let lock = NIOLock()
    private var psks: [Int: String] = [:]

    init(host: String, port: Int, productId: String, productSecret: String, runId: String, count: Int) {
        inner = RegistrationScenario(
            host: host, port: port, productId: productId, productSecret: productSecret, runId: runId, count: count, verifyEvery: 0
        )
        self.productId = productId
        self.productSecret = productSecret
        self.runId = runId
    }

    func request(_ index: Int) -> PreparedRequest? { inner.request(index) }

    func check(index: Int, status: HTTPResponseStatus, body: ByteBuffer?) -> String? {
        if let failure = inner.check(index: index, status: status, body: body) { return failure }
        guard let body, case .success(let encrypted)? = try? RegistrationWire.parseV2Response(Array(body.readableBytesView)),
            case .psk(let psk)? = try? encrypted.decrypt(productSecret: productSecret)
        else { return "undecryptable payload" }
        lock.withLock { psks[index] = psk }
        return nil
    }

    /// The registered devices, in sequence order.
    var credentials: [MQTTDeviceCredential] {
        lock.withLock {
            psks.keys.sorted().map { MQTTDeviceCredential(productId: productId, deviceName: "bench-\(runId)-\($0)", psk: psks[$0]!) }
        }
    }
}
