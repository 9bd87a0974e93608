import Crypto
import CryptoExtras
import Foundation

/// The encrypted `payload` of a dynamic-registration reply (device-protocol.md §3.3).
///
/// AES-128-CBC; key = first 16 characters of the ProductSecret; IV = sixteen ASCII `'0'`;
/// always 1–16 NUL bytes of padding (a full block when the plaintext is already a multiple
/// of 16); standard Base64. `len` is the plaintext length before padding.
public enum RegistrationPayload {
    private static let blockSize = 16
    private static let iv = [UInt8](repeating: UInt8(ascii: "0"), count: 16)

    /// Encrypts `plaintext` under `productSecret`.
    /// - Throws: ``DeviceAuthError/Code/productSecretTooShort`` if the secret has fewer than 16 bytes.
    public static func encrypt(plaintext: [UInt8], productSecret: String) throws -> (payload: String, length: Int) {
        let key = try aesKey(productSecret)
        let padding = blockSize - plaintext.count % blockSize  // 1...16
        let padded = plaintext + [UInt8](repeating: 0, count: padding)
        let ciphertext: Data
        do {
            ciphertext = try AES._CBC.encrypt(padded, using: key, iv: AES._CBC.IV(ivBytes: iv), noPadding: true)
        } catch {
            throw DeviceAuthError(.cryptoFailure, "AES-CBC encryption failed", underlying: error)
        }
        return (Base64.encode(ciphertext), plaintext.count)
    }

    /// Decrypts a reply `payload`.
    ///
    /// With `length` (the reply's `len` / `Len`) the plaintext is cut at that length, as the
    /// Java SDK does; without it, trailing NUL bytes are removed.
    public static func decrypt(payload: String, productSecret: String, length: Int?) throws -> [UInt8] {
        let key = try aesKey(productSecret)
        guard let ciphertext = Base64.decode(payload) else {
            throw DeviceAuthError(.invalidBase64, "registration payload is not standard Base64")
        }
        guard !ciphertext.isEmpty, ciphertext.count.isMultiple(of: blockSize) else {
            throw DeviceAuthError(.invalidCiphertext, "registration payload is not a whole number of AES blocks")
        }
        let padded: [UInt8]
        do {
            padded = Array(try AES._CBC.decrypt(ciphertext, using: key, iv: AES._CBC.IV(ivBytes: iv), noPadding: true))
        } catch {
            throw DeviceAuthError(.cryptoFailure, "AES-CBC decryption failed", underlying: error)
        }
        if let length {
            guard (0...padded.count).contains(length) else {
                throw DeviceAuthError(.lengthOutOfRange, "length \(length) outside 0...\(padded.count)")
            }
            return Array(padded[..<length])
        }
        var plaintext = padded
        while plaintext.last == 0 {
            plaintext.removeLast()
        }
        return plaintext
    }

    /// Builds the plaintext for `credential` and encrypts it.
    public static func seal(_ credential: RegistrationCredential, productSecret: String) throws -> EncryptedCredential {
        let (payload, length) = try encrypt(plaintext: plaintext(for: credential), productSecret: productSecret)
        return EncryptedCredential(length: length, payload: payload)
    }

    private static func aesKey(_ productSecret: String) throws -> SymmetricKey {
        let bytes = Array(productSecret.utf8)
        guard bytes.count >= blockSize else {
            throw DeviceAuthError(.productSecretTooShort, "ProductSecret must have at least 16 characters")
        }
        return SymmetricKey(data: bytes[..<blockSize])
    }
}
