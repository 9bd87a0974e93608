extension RegistrationWire {
    /// The legacy request body exactly as the C SDK writes it:
    /// `{"deviceName":"…","nonce":N,"productId":"…","timestamp":N,"signature":"…"}`.
    public static func legacyRequestBody(
        productId: String,
        deviceName: String,
        nonce: some BinaryInteger,
        timestamp: some BinaryInteger,
        productSecret: String
    ) -> String {
        let stringToSign = LegacyRegistrationSignature.stringToSign(
            deviceName: deviceName,
            nonce: nonce,
            productId: productId,
            timestamp: timestamp
        )
        let signature = LegacyRegistrationSignature.sign(stringToSign: stringToSign, productSecret: productSecret)
        return "{\"deviceName\":\(JSONText.quoted(deviceName)),\"nonce\":\(nonce),"
            + "\"productId\":\(JSONText.quoted(productId)),\"timestamp\":\(timestamp),"
            + "\"signature\":\(JSONText.quoted(signature))}"
    }

    /// The v2 request body as Python and C send it: `{"ProductId":"…","DeviceName":"…"}`.
    public static func v2RequestBody(productId: String, deviceName: String) -> String {
        "{\"ProductId\":\(JSONText.quoted(productId)),\"DeviceName\":\(JSONText.quoted(deviceName))}"
    }
}
