import DeviceAuth
import Metrics
import Registry
import Synchronization

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
