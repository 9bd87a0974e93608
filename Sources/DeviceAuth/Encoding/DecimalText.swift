/// A JSON integer, or a string of decimal digits, kept as its decimal text.
///
/// Devices send `nonce` / `timestamp` as JSON integers; some send decimal strings. The
/// string-to-sign needs the decimal text either way.
struct DecimalText: Decodable, Sendable, Hashable {
    var value: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let signed = try? container.decode(Int64.self) {
            value = String(signed)
        } else if let unsigned = try? container.decode(UInt64.self) {
            value = String(unsigned)
        } else {
            let text = try container.decode(String.self)
            let digits = text.hasPrefix("-") ? text.utf8.dropFirst() : text.utf8[...]
            guard !digits.isEmpty, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a decimal integer")
            }
            value = text
        }
    }
}
