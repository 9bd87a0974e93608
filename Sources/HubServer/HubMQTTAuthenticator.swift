import BrokerCore
import DeviceAuth
import Foundation
import HubCA
import Logging
import MQTTCore
import MQTTServer
import NIOCore
import Registry

/// Authenticates MQTT clients against the registry (device-protocol.md §5.8), records logins (the first
/// one activates the device) and logouts.
struct HubMQTTAuthenticator: MQTTAuthenticator {
    let registry: RegistryEngine
    let ca: HubCA
    let allowAnonymous: Bool
    let webhooks: WebhookService?
    let logger: Logger
    let now: @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970) }

    func authenticate(_ context: MQTTConnectContext) async -> MQTTAuthDecision {
        let connect = context.connect
        let username = connect.username.flatMap(DeviceUsername.init(parsing:))
        let hasTransportIdentity = context.transport != .none
        // A client that presents a Tencent device username or a TLS identity is a device; anyone else is
        // an anonymous client, admitted only when the hub allows them.
        guard username != nil || hasTransportIdentity || connect.username?.contains(";") == true else {
            // A business application: username = AppId, password = AppSecret.
            if let appId = connect.username, appId.hasPrefix("app"), let password = connect.password {
                guard let application = await registry.authenticateApplication(id: appId, secret: String(decoding: password, as: UTF8.self)) else {
                    return .refuse(returnCode: 0x04, reason: "application id or secret wrong")
                }
                return .accept(.application(id: application.id, products: Set(application.productIds)))
            }
            if allowAnonymous, connect.username == nil || connect.username?.isEmpty == true {
                return .accept(.anonymous)
            }
            return .refuse(returnCode: 0x04, reason: "not a device username and anonymous clients are not allowed")
        }
        // 2. ClientId = 10-char ProductId + 1–48-char DeviceName.
        guard let (productId, deviceName) = DeviceIdentifiers.splitClientId(connect.clientId) else {
            return .refuse(returnCode: 0x02, reason: "client id is not {ProductId}{DeviceName}")
        }
        // 3. Username: four fields, the first equal to the ClientId, a numeric expiry.
        guard let username, username.clientId == connect.clientId else {
            return .refuse(returnCode: 0x04, reason: "username is not {ClientId};{sdkappid};{connid};{expiry}")
        }
        // 4. Product and device exist and are enabled.
        let key = DeviceKey(productId: productId, name: deviceName)
        guard let (product, device) = await registry.lookup(key) else {
            return .refuse(returnCode: 0x05, reason: "unknown product or device")
        }
        guard !product.forbidden else { return .refuse(returnCode: 0x05, reason: "product disabled") }
        guard device.enabled else { return .refuse(returnCode: 0x05, reason: "device disabled") }
        // 5. Expiry.
        guard !username.expiry.isExpired(nowSeconds: now()) else { return .refuse(returnCode: 0x05, reason: "username expired") }
        // 6–8. The authentication kind fits the product; transport identity or password.
        switch (device.credential, context.transport) {
        case (.psk, .clientCertificate), (.certificate, .pskIdentity):
            return .refuse(returnCode: 0x05, reason: "authentication kind does not fit the product")
        case (.psk, .pskIdentity(let identity)):
            guard identity == connect.clientId else { return .refuse(returnCode: 0x05, reason: "PSK identity is another device") }
            if let password = connect.password, !password.isEmpty {
                guard verifyPassword(password, username: connect.username ?? "", device: device) else {
                    return .refuse(returnCode: 0x04, reason: "password mismatch")
                }
            }
        case (.certificate(_, _, let serial), .clientCertificate(let der)):
            guard let identity = try? ca.verifyDeviceCertificate(derChain: [der]),
                identity.productId == productId, identity.deviceName == deviceName, identity.serialNumber == serial
            else {
                return .refuse(returnCode: 0x05, reason: "client certificate is not this device's current certificate")
            }
        case (.certificate, .none):
            return .refuse(returnCode: 0x05, reason: "certificate devices authenticate with their client certificate")
        case (.psk, .none):
            guard let password = connect.password, !password.isEmpty else {
                return .refuse(returnCode: 0x04, reason: "password missing")
            }
            guard verifyPassword(password, username: connect.username ?? "", device: device) else {
                return .refuse(returnCode: 0x04, reason: "password mismatch")
            }
        }
        // Record the login; the first one activates the device.
        do {
            try await registry.recordLogin(key, clientIP: context.remoteAddress?.ipAddress)
        } catch {
            logger.error("cannot record login", metadata: ["error": "\(error)"])
            return .refuse(returnCode: 0x03, reason: "registry unavailable")
        }
        let clientIP = context.remoteAddress?.ipAddress
        if !device.activated { webhooks?.lifecycle("activated", productId: productId, deviceName: deviceName, clientIP: clientIP) }
        webhooks?.lifecycle("online", productId: productId, deviceName: deviceName, clientIP: clientIP)
        return .accept(.device(productId: productId, deviceName: deviceName))
    }

    private func verifyPassword(_ password: [UInt8], username: String, device: Device) -> Bool {
        guard let psk = device.psk else { return false }
        let text = String(decoding: password, as: UTF8.self)
        return MQTTPassword.verify(password: text, username: username, devicePSK: psk) == .ok
    }

    func connectionClosed(_ identity: ClientIdentity, clientId: String) async {
        guard case .device(let productId, let deviceName) = identity else { return }
        try? await registry.recordLogout(DeviceKey(productId: productId, name: deviceName))
        webhooks?.lifecycle("offline", productId: productId, deviceName: deviceName)
    }
}
