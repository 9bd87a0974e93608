import Crypto
import Foundation
import SwiftASN1
import X509

/// Private key and certificate (de)serialization helpers.
///
/// Private keys are written as **SEC1** PEM (`-----BEGIN EC PRIVATE KEY-----`, RFC 5915), the format
/// `openssl ecparam -genkey` produces. Every TLS stack a device may use parses it: mbedTLS
/// (`mbedtls_pk_parse_key`, including the 2.x line bundled with Tencent's C SDK), OpenSSL, BoringSSL,
/// wolfSSL, Python's `ssl`, Java via BouncyCastle. swift-crypto itself only emits PKCS#8
/// (`-----BEGIN PRIVATE KEY-----`); mbedTLS parses that too, but SEC1 is the older, universally supported
/// form, so the hub encodes SEC1 itself. Reading accepts both forms.
enum KeyEncoding {
    static let sec1Discriminator = "EC PRIVATE KEY"

    /// `ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING,
    ///   parameters [0] ECParameters (namedCurve prime256v1), publicKey [1] BIT STRING }`
    static func sec1DER(_ key: P256.Signing.PrivateKey) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)
            try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(key.rawRepresentation)))
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try coder.serialize(ASN1ObjectIdentifier.NamedCurves.secp256r1)
            }
            try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { coder in
                try coder.serialize(ASN1BitString(bytes: ArraySlice(key.publicKey.x963Representation)))
            }
        }
        return serializer.serializedBytes
    }

    static func sec1PEM(_ key: P256.Signing.PrivateKey) throws -> String {
        PEMDocument(type: sec1Discriminator, derBytes: try sec1DER(key)).pemString + "\n"
    }

    /// Parses a P-256 private key from SEC1 or PKCS#8 PEM.
    static func parseP256PrivateKey(pem: String) throws -> P256.Signing.PrivateKey {
        try P256.Signing.PrivateKey(pemRepresentation: pem)
    }

    static func certificatePEM(_ certificate: Certificate) throws -> String {
        try certificate.serializeAsPEM().pemString + "\n"
    }

    static func certificateDER(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A random positive 16-byte serial number (top bit clear, first byte non-zero, so the DER INTEGER is
    /// exactly 16 content bytes; RFC 5280 allows up to 20 and asks for at least 64 bits of entropy).
    static func randomSerialNumber() -> Certificate.SerialNumber {
        var rng = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes[0] = UInt8.random(in: 1...0x7f, using: &rng)
        return Certificate.SerialNumber(bytes: bytes)
    }

    static func serialHex(_ serial: Certificate.SerialNumber) -> String {
        hex(serial.bytes)
    }
}
