public import DeviceAuth
public import Foundation

/// Where a device finds its hub and how it talks to it.
public struct DeviceConfiguration: Sendable {
    /// The hub's device HTTP endpoint, e.g. `http://hub.example:8080`.
    public var registrationURL: URL
    public var registrationEndpoint: RegistrationClient.Endpoint
    public var mqttHost: String
    /// 1883 for TCP, 8883 for TLS by default.
    public var mqttPort: Int
    /// TLS for MQTT. Certificate devices always use it.
    public var useTLS: Bool
    /// PEM of the CA that signed the broker's certificate (the hub CA, `DATA/ca/ca.cert.pem`); nil trusts
    /// the system's roots.
    public var trustedCAPEM: String?
    /// Name checked against the broker's certificate and sent as SNI; nil checks its IP address.
    public var tlsServerName: String?
    public var keepAlive: UInt16
    public var reconnect: ReconnectPolicy
    public var offlineQueueCapacity: Int
    /// Bytes of publishes the MQTT client may hold (``MQTTClientConfiguration/outboundBufferBytes``). Default 1 MiB.
    public var outboundBufferBytes: Int
    /// How key devices sign their MQTT password.
    public var passwordMethod: MQTTPassword.Method
    /// How long service requests (shadow, time, OTA version, config, log level) wait for the hub's reply.
    public var requestTimeout: Duration
    /// When the broker refuses the stored credential (CONNACK 4), forget it and register again once.
    /// The hub answers that with a new credential if an operator reset the device, and with
    /// ``RegistrationError/requiresOperatorReset`` otherwise.
    public var reregisterOnRejectedCredential: Bool

    public init(
        registrationURL: URL,
        registrationEndpoint: RegistrationClient.Endpoint = .v2(.hmacSHA256),
        mqttHost: String,
        mqttPort: Int? = nil,
        useTLS: Bool = false,
        trustedCAPEM: String? = nil,
        tlsServerName: String? = nil,
        keepAlive: UInt16 = 60,
        reconnect: ReconnectPolicy = ReconnectPolicy(),
        offlineQueueCapacity: Int = 1_000,
        outboundBufferBytes: Int = 1 << 20,
        passwordMethod: MQTTPassword.Method = .hmacSHA256,
        requestTimeout: Duration = .seconds(5),
        reregisterOnRejectedCredential: Bool = true
    ) {
        self.registrationURL = registrationURL
        self.registrationEndpoint = registrationEndpoint
        self.mqttHost = mqttHost
        self.mqttPort = mqttPort ?? (useTLS ? 8883 : 1883)
        self.useTLS = useTLS
        self.trustedCAPEM = trustedCAPEM
        self.tlsServerName = tlsServerName
        self.keepAlive = keepAlive
        self.reconnect = reconnect
        self.offlineQueueCapacity = offlineQueueCapacity
        self.outboundBufferBytes = outboundBufferBytes
        self.passwordMethod = passwordMethod
        self.requestTimeout = requestTimeout
        self.reregisterOnRejectedCredential = reregisterOnRejectedCredential
    }
}
