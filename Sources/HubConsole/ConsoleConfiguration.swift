/// The console's settings (`console-*` in `HubSetting`).
public struct ConsoleConfiguration: Sendable, Equatable {
    /// Serve the console. Default true.
    public var enabled = true
    /// The console's own listener: nil serves the console under `/console` on the management listener.
    public var port: Int?
    /// Bind address of the console's own listener. Default 127.0.0.1.
    public var host = "127.0.0.1"
    /// PEM certificate chain and private key of the console's own listener: with both, it serves HTTPS
    /// (and the session cookie is `Secure`).
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    /// Seconds a session may stay unused before it ends. Default 1800 (30 minutes).
    public var sessionIdleSeconds = 1800
    /// Sessions held at once (all operators); when full, the least recently used one ends. Default 1000.
    public var maxSessions = 1000
    /// Failed sign-ins of one operator name within `lockoutSeconds` that lock that name. Default 5.
    public var maxFailuresPerUser = 5
    /// Failed sign-ins from one source address within `lockoutSeconds` that lock that address. Default 20.
    public var maxFailuresPerSource = 20
    /// Seconds of the failure window, counted from its first failure; a locked name or address stays locked
    /// until the window ends. Default 900.
    public var lockoutSeconds = 900
    /// Mark the session cookie `Secure` (the console is reached over HTTPS, e.g. through a TLS-terminating
    /// proxy). Default false.
    public var secureCookie = false

    /// The console is reached over HTTPS served by the hub itself.
    public var servesHTTPS: Bool { port != nil && tlsCertificateFile != nil && tlsKeyFile != nil }

    /// Whether the session cookie is marked `Secure`.
    public var cookieIsSecure: Bool { secureCookie || servesHTTPS }

    public init() {}
}
