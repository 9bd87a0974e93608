import DeviceAuth
import Metrics
import Registry
import Synchronization

/// The v2 registration body exactly as the SDKs write it, `{"ProductId":"…","DeviceName":"…"}` (either key
/// order, no whitespace, values of identifier characters `[A-Za-z0-9:_-]` only), read without a JSON decoder.
///
/// Every body this accepts is a JSON object that `V2RegistrationRequest(parsing:)` reads to the same two
/// values; anything else (whitespace, escapes, extra members, other characters) returns `nil` and goes
/// through that parser, so the outcome of a request never depends on which path read it.
enum PlainV2Body {
    private static let productKey = Array(#""ProductId":""#.utf8)
    private static let deviceKey = Array(#""DeviceName":""#.utf8)

    static func parse(_ body: [UInt8]) -> (productId: String, deviceName: String)? {
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

/// Request ids of the registration replies: a random (version 4) UUID in lower case, the text
/// `UUID().uuidString.lowercased()` gives, written without Foundation's formatting and case mapping.
enum RequestID {
    private static let digits = Array("0123456789abcdef".utf8)

    static func make() -> String {
        // From the system CSPRNG through SecureRandom's pool (no system call per request).
        var words: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &words) { raw in
            SecureRandom.fill(raw)
            raw[6] = raw[6] & 0x0F | 0x40  // version 4
            raw[8] = raw[8] & 0x3F | 0x80  // variant 10
            var text: [UInt8] = []
            text.reserveCapacity(36)
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
                text.append(digits[Int(raw[index] >> 4)])
                text.append(digits[Int(raw[index] & 0x0F)])
            }
            return String(decoding: text, as: UTF8.self)
        }
    }
}

/// `iothub_registrations_total{endpoint, result}`, with one counter per label pair kept instead of asking
/// the metrics factory for it (a registry lookup under a lock) on every request.
enum RegistrationMetrics {
    private static let counters = Mutex<[String: Counter]>([:])

    static func count(endpoint: RegistrationEndpoint, result: String) {
        let key = endpoint.rawValue + "/" + result
        let counter = counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "iothub_registrations_total", dimensions: [("endpoint", endpoint.rawValue), ("result", result)])
            counters[key] = counter
            return counter
        }
        counter.increment()
    }
}

/// The v2 success reply, byte for byte what `RegistrationWire.v2SuccessBody` writes, built without a
/// character-by-character escaping pass when neither string needs escaping (Base64 and a lower-case UUID
/// never do); other strings go through `RegistrationWire`.
enum V2SuccessBody {
    static func make(length: Int, payload: String, requestId: String) -> [UInt8] {
        guard isPlain(payload), isPlain(requestId) else {
            return Array(RegistrationWire.v2SuccessBody(length: length, payload: payload, requestId: requestId).utf8)
        }
        var body: [UInt8] = []
        body.reserveCapacity(48 + payload.utf8.count + requestId.utf8.count)
        body += #"{"Response":{"Len":"#.utf8
        body += String(length).utf8
        body += #","Payload":""#.utf8
        body += payload.utf8
        body += #"","RequestId":""#.utf8
        body += requestId.utf8
        body += #""}}"#.utf8
        return body
    }

    /// Printable ASCII other than `"` and `\`: JSON-quoting it only adds the quotes.
    private static func isPlain(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }
}
