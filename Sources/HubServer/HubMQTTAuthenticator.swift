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
    /// Per-source and per-device CONNECT limits and bans; nil = none.
    var abuse: AbuseGuard? = nil
    let logger: Logger
    let now: @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970) }

    /// A banned or too-busy source is refused before anything of its CONNECT is parsed or verified; refused
    /// logins are logged (one line for fail2ban-style tools) and count toward a ban of their source.
    func authenticate(_ context: MQTTConnectContext, eventLoop: any EventLoop) -> MQTTAuthOutcome {
        let address = AbuseGuard.normalize(context.remoteAddress?.ipAddress)
        if let abuse {
            switch abuse.admit(.mqttConnect, source: address) {
            case .allowed: break
            case .banned: return .decided(.refuse(returnCode: 0x05, reason: "source address banned"))
            case .rateLimited: return .decided(.refuse(returnCode: 0x03, reason: "connection rate exceeded"))
            }
        }
        switch decide(context, eventLoop: eventLoop) {
        case .decided(let decision):
            observe(decision, context: context, address: address)
            return .decided(decision)
        case .deferred(let future):
            return .deferred(
                future.map { decision in
                    observe(decision, context: context, address: address)
                    return decision
                }
            )
        }
    }

    /// Refusals for bad credentials or identities (CONNACK 2, 4, 5) are logged and counted toward a ban;
    /// 3 (the hub's own limits, an unavailable registry) is not the client's failure.
    private func observe(_ decision: MQTTAuthDecision, context: MQTTConnectContext, address: String) {
        guard case .refuse(let returnCode, let reason) = decision, returnCode != 0x03 else { return }
        logger.notice("\(LoginRefusalLine(connect: context.connect, source: address, returnCode: returnCode, reason: reason))")
        if abuse?.authenticationFailed(source: address) == true {
            logger.warning("source banned", metadata: ["hub.source": "\(address)", "hub.reason": "authentication failures", "hub.gate": "mqtt"])
        }
    }

    private func decide(_ context: MQTTConnectContext, eventLoop: any EventLoop) -> MQTTAuthOutcome {
        let connect = context.connect
        let username = connect.username.flatMap(DeviceUsername.init(parsing:))
        let hasTransportIdentity = context.transport != .none
        // A client that presents a Tencent device username or a TLS identity is a device; anyone else is
        // an anonymous client, admitted only when the hub allows them.
        guard username != nil || hasTransportIdentity || connect.username?.contains(";") == true else {
            // A business application: username = AppId, password = AppSecret.
            if let appId = connect.username, appId.hasPrefix("app"), let password = connect.password {
                let registry = self.registry
                let secret = String(decoding: password, as: UTF8.self)
                return .deferred(
                    eventLoop.makeFutureWithTask {
                        guard let application = await registry.authenticateApplication(id: appId, secret: secret) else {
                            return .refuse(returnCode: 0x04, reason: "application id or secret wrong")
                        }
                        return .accept(.application(id: application.id, products: Set(application.productIds)))
                    }
                )
            }
            if allowAnonymous, connect.username == nil || connect.username?.isEmpty == true {
                return .decided(.accept(.anonymous))
            }
            return .decided(.refuse(returnCode: 0x04, reason: "not a device username and anonymous clients are not allowed"))
        }
        // 2. ClientId = 10-char ProductId + 1–48-char DeviceName.
        guard let (productId, deviceName) = DeviceIdentifiers.splitClientId(connect.clientId) else {
            return .decided(.refuse(returnCode: 0x02, reason: "client id is not {ProductId}{DeviceName}"))
        }
        // A device that reconnects more often than its limit allows (Tencent documents one CONNECT per 5 s).
        if let abuse, !abuse.admitDeviceConnect(connect.clientId) {
            return .decided(.refuse(returnCode: 0x03, reason: "device connect rate exceeded"))
        }
        // 3. Username: four fields, the first equal to the ClientId, a numeric expiry.
        guard let username, username.clientId == connect.clientId else {
            return .decided(.refuse(returnCode: 0x04, reason: "username is not {ClientId};{sdkappid};{connid};{expiry}"))
        }
        // 5. Expiry (checked before the registry is asked; the order of refusals does not matter).
        guard !username.expiry.isExpired(nowSeconds: now()) else {
            return .decided(.refuse(returnCode: 0x05, reason: "username expired"))
        }
        // A client certificate is verified against the hub CA here, on the event loop (as the TLS handshake
        // was), not inside the registry actor; the registry compares what it names with the device.
        let certificate: DeviceCertificateIdentity?
        if case .clientCertificate(let der) = context.transport {
            certificate = try? ca.verifyDeviceCertificate(derChain: [der])
        } else {
            certificate = nil
        }
        // 4, 6–8 run inside the registry, which decides this login with the others that arrive meanwhile
        // and records it (the first one activates the device).
        let transport = context.transport
        let clientId = connect.clientId
        let password = connect.password
        let usernameText = connect.username ?? ""
        let clientIP = context.remoteAddress?.ipAddress
        let webhooks = self.webhooks
        let logger = self.logger
        let attachments = registry.attachments
        let promise = eventLoop.makePromise(of: MQTTAuthDecision.self)
        registry.submitLogin(
            DeviceLogin(
                key: DeviceKey(productId: productId, name: deviceName),
                clientIP: clientIP,
                check: { product, device in
                    Self.check(
                        product: product, device: device, transport: transport, certificate: certificate, clientId: clientId, username: usernameText,
                        password: password
                    )
                },
                completion: { outcome in
                    switch outcome {
                    case .accepted(let activated):
                        if activated { webhooks?.lifecycle("activated", productId: productId, deviceName: deviceName, clientIP: clientIP) }
                        webhooks?.lifecycle("online", productId: productId, deviceName: deviceName, clientIP: clientIP)
                        // A gateway's attached sub-devices are online again with it.
                        for sub in attachments.subDevices(of: DeviceKey(productId: productId, name: deviceName)) {
                            webhooks?.lifecycle("online", productId: sub.productId, deviceName: sub.name)
                        }
                        promise.succeed(.accept(.device(productId: productId, deviceName: deviceName)))
                    case .refused(let refusal):
                        promise.succeed(.refuse(returnCode: refusal.returnCode, reason: refusal.reason))
                    case .unavailable:
                        logger.error("cannot record login: registry unavailable")
                        promise.succeed(.refuse(returnCode: 0x03, reason: "registry unavailable"))
                    }
                }
            ),
            schedule: { eventLoop.execute($0) }
        )
        return .deferred(promise.futureResult)
    }

    /// Steps 4 and 6–8 of §5.8 for a device the registry holds: product and device enabled, the
    /// authentication kind fits the product, the transport identity or the password is the device's.
    static func check(
        product: Product,
        device: Device,
        transport: TransportIdentity,
        /// The client certificate's identity if it verified against the hub CA.
        certificate: DeviceCertificateIdentity?,
        clientId: String,
        username: String,
        password: [UInt8]?
    ) -> DeviceLoginRefusal? {
        guard !product.forbidden else { return DeviceLoginRefusal(returnCode: 0x05, reason: "product disabled") }
        guard device.enabled else { return DeviceLoginRefusal(returnCode: 0x05, reason: "device disabled") }
        switch (device.credential, transport) {
        case (.psk, .clientCertificate), (.certificate, .pskIdentity):
            return DeviceLoginRefusal(returnCode: 0x05, reason: "authentication kind does not fit the product")
        case (.psk, .pskIdentity(let identity)):
            guard identity == clientId else { return DeviceLoginRefusal(returnCode: 0x05, reason: "PSK identity is another device") }
            if let password, !password.isEmpty {
                guard verifyPassword(password, username: username, device: device) else {
                    return DeviceLoginRefusal(returnCode: 0x04, reason: "password mismatch")
                }
            }
        case (.certificate(_, _, let serial), .clientCertificate):
            guard let certificate, certificate.productId == device.productId, certificate.deviceName == device.name,
                certificate.serialNumber == serial
            else {
                return DeviceLoginRefusal(returnCode: 0x05, reason: "client certificate is not this device's current certificate")
            }
        case (.certificate, .none):
            return DeviceLoginRefusal(returnCode: 0x05, reason: "certificate devices authenticate with their client certificate")
        case (.psk, .none):
            guard let password, !password.isEmpty else {
                return DeviceLoginRefusal(returnCode: 0x04, reason: "password missing")
            }
            guard verifyPassword(password, username: username, device: device) else {
                return DeviceLoginRefusal(returnCode: 0x04, reason: "password mismatch")
            }
        }
        return nil
    }

    private static func verifyPassword(_ password: [UInt8], username: String, device: Device) -> Bool {
        guard let psk = device.psk else { return false }
        let text = String(decoding: password, as: UTF8.self)
        return MQTTPassword.verify(password: text, username: username, devicePSK: psk) == .ok
    }

    func connectionClosed(_ identity: ClientIdentity, clientId: String, eventLoop: any EventLoop) {
        guard case .device(let productId, let deviceName) = identity else { return }
        let key = DeviceKey(productId: productId, name: deviceName)
        registry.submitLogout(key, schedule: { eventLoop.execute($0) })
        webhooks?.lifecycle("offline", productId: productId, deviceName: deviceName)
        // Its attached sub-devices go offline with it (they stay attached).
        guard let webhooks else { return }
        for sub in registry.attachments.subDevices(of: key) { webhooks.lifecycle("offline", productId: sub.productId, deviceName: sub.name) }
    }
}
