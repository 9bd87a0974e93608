/// The exact bodies of the dynamic-registration endpoints (device-protocol.md §3.1, §3.2, §3.5),
/// shared by the hub (which writes replies) and the device SDK (which writes requests and
/// reads replies).
///
/// Bodies are built by hand: the key order and compactness are part of the contract (C
/// clients read replies into 256-byte buffers; the legacy request is byte-exact C SDK output).
public enum RegistrationWire {
    /// `{"code":0,"message":"","len":53,"payload":"…"}`
    public static func legacySuccessBody(length: Int, payload: String) -> String {
        "{\"code\":0,\"message\":\"\",\"len\":\(length),\"payload\":\(JSONText.quoted(payload))}"
    }

    /// `{"code":1010,"message":"Check signature failed","requestId":"…"}`
    public static func legacyErrorBody(_ refusal: RegistrationRefusal, requestId: String) -> String {
        "{\"code\":\(refusal.legacyCode),\"message\":\(JSONText.quoted(refusal.message)),"
            + "\"requestId\":\(JSONText.quoted(requestId))}"
    }

    /// `{"Response":{"Len":53,"Payload":"…","RequestId":"…"}}`
    public static func v2SuccessBody(length: Int, payload: String, requestId: String) -> String {
        "{\"Response\":{\"Len\":\(length),\"Payload\":\(JSONText.quoted(payload)),"
            + "\"RequestId\":\(JSONText.quoted(requestId))}}"
    }

    /// `{"Response":{"Error":{"Code":"…","Message":"…"},"RequestId":"…"}}`
    public static func v2ErrorBody(_ refusal: RegistrationRefusal, requestId: String) -> String {
        "{\"Response\":{\"Error\":{\"Code\":\(JSONText.quoted(refusal.v2Code)),"
            + "\"Message\":\(JSONText.quoted(refusal.message))},\"RequestId\":\(JSONText.quoted(requestId))}}"
    }
}
