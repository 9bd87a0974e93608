/// The request signature of the legacy `POST /register/dev` endpoint (device-protocol.md §3.1).
///
/// Signature = Base64 of the lowercase **hex text** of HMAC-SHA1(ProductSecret, string-to-sign):
/// 56 characters, not the Base64 of the 20 raw MAC bytes.
public enum LegacyRegistrationSignature {
    /// `deviceName={dn}&nonce={nonce}&productId={pid}&timestamp={ts}`, values verbatim
    /// (no URL-encoding); `nonce` and `timestamp` are the decimal text as received.
    public static func stringToSign(deviceName: String, nonce: String, productId: String, timestamp: String) -> String {
        "deviceName=\(deviceName)&nonce=\(nonce)&productId=\(productId)&timestamp=\(timestamp)"
    }

    /// The string-to-sign for integer `nonce` and `timestamp`.
    public static func stringToSign(
        deviceName: String,
        nonce: some BinaryInteger,
        productId: String,
        timestamp: some BinaryInteger
    ) -> String {
        stringToSign(deviceName: deviceName, nonce: String(nonce), productId: productId, timestamp: String(timestamp))
    }

    /// Base64( lowercase hex( HMAC-SHA1(key = ProductSecret bytes, msg = stringToSign) ) ).
    public static func sign(stringToSign: String, productSecret: String) -> String {
        let mac = MAC.hmacSHA1(key: Array(productSecret.utf8), message: stringToSign.utf8)
        return Base64.encode(Hex.encode(mac).utf8)
    }

    /// Whether `signature` is the signature of `stringToSign`, compared in constant time.
    public static func verify(signature: String, stringToSign: String, productSecret: String) -> Bool {
        let expected = sign(stringToSign: stringToSign, productSecret: productSecret)
        return ConstantTime.equals(expected, signature)
    }
}
