/// A successful registration reply: the encrypted payload and its plaintext length.
public struct EncryptedCredential: Sendable, Hashable {
    /// `len` / `Len`: the plaintext length before padding.
    public var length: Int
    /// `payload` / `Payload`: Base64 of the AES-CBC ciphertext (``RegistrationPayload``).
    public var payload: String

    public init(length: Int, payload: String) {
        self.length = length
        self.payload = payload
    }

    /// Decrypts the payload (cut at ``length``) and parses the credential.
    public func decrypt(productSecret: String) throws -> RegistrationCredential {
        let plaintext = try RegistrationPayload.decrypt(payload: payload, productSecret: productSecret, length: length)
        return try RegistrationPayload.parsePlaintext(plaintext)
    }
}
