/// What dynamic registration hands a device: a DeviceSecret, or a certificate and its key.
public enum RegistrationCredential: Sendable, Equatable {
    /// A key device's DeviceSecret (Base64 text).
    case psk(String)
    /// A certificate device's PEM certificate and PEM private key.
    case certificate(certificatePEM: String, privateKeyPEM: String)
}
