import Crypto
import Foundation

/// The HMACs and digests the device protocol uses, over plain byte arrays.
enum MAC {
    static func hmacSHA1(key: [UInt8], message: some Collection<UInt8>) -> [UInt8] {
        Array(HMAC<Insecure.SHA1>.authenticationCode(for: Array(message), using: SymmetricKey(data: key)))
    }

    static func hmacSHA256(key: [UInt8], message: some Collection<UInt8>) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message), using: SymmetricKey(data: key)))
    }

    static func sha1Hex(_ data: some Collection<UInt8>) -> String {
        Hex.encode(Insecure.SHA1.hash(data: Array(data)))
    }

    static func sha256Hex(_ data: some Collection<UInt8>) -> String {
        Hex.encode(SHA256.hash(data: Array(data)))
    }
}
