/// The v2 registration body exactly as the SDKs write it, `{"ProductId":"…","DeviceName":"…"}` (either key
/// order, no whitespace, values of identifier characters `[A-Za-z0-9:_-]` only), read without a JSON decoder.
///
/// Every body this accepts is a JSON object that `V2RegistrationRequest(parsing:)` reads to the same two
/// values; anything else (whitespace, escapes, extra members, other characters) returns `nil` and goes
/// through that parser, so the outcome of a request never depends on which path read it.
public enum PlainV2Body {
    private static let productKey = Array(#""ProductId":""#.utf8)
    private static let deviceKey = Array(#""DeviceName":""#.utf8)

    public static func parse(_ body: [UInt8]) -> (productId: String, deviceName: String)? {
        body.withUnsafeBufferPointer { bytes -> (productId: String, deviceName: String)? in
            guard bytes.count > 2, bytes[0] == UInt8(ascii: "{"), bytes[bytes.count - 1] == UInt8(ascii: "}") else { return nil }
            var index = 1
            var productId: String?
            var deviceName: String?
            for member in 0..<2 {
                if member == 1 {
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ",") else { return nil }
                    index += 1
                }
                let isProduct: Bool
                if bytes[index...].starts(with: productKey) {
                    isProduct = true
                    index += productKey.count
                } else if bytes[index...].starts(with: deviceKey) {
                    isProduct = false
                    index += deviceKey.count
                } else {
                    return nil
                }
                let start = index
                while index < bytes.count, isIdentifierByte(bytes[index]) { index += 1 }
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
                let value = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 1
                if isProduct {
                    guard productId == nil else { return nil }
                    productId = value
                } else {
                    guard deviceName == nil else { return nil }
                    deviceName = value
                }
            }
            guard index == bytes.count - 1, let productId, let deviceName else { return nil }
            return (productId, deviceName)
        }
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
