/// `application/x-www-form-urlencoded` (and query string) parsing and encoding.
public enum FormURLEncoding {
    /// Splits `a=1&b=2` into decoded (name, value) pairs in wire order: `+` means space, `%XX` is a
    /// byte, invalid escapes are kept literally, decoded bytes that are not UTF-8 are repaired.
    /// Empty segments are skipped; a segment without `=` has an empty value.
    public static func parse(_ text: some StringProtocol) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        for segment in text.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = segment.firstIndex(of: "=") {
                pairs.append((decode(segment[..<equals]), decode(segment[segment.index(after: equals)...])))
            } else {
                pairs.append((decode(segment), ""))
            }
        }
        return pairs
    }

    public static func parse(_ bytes: [UInt8]) -> [(name: String, value: String)] {
        parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Decodes one component (`+` → space, `%XX` → byte).
    public static func decode(_ component: some StringProtocol) -> String {
        let utf8 = Array(component.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "+") {
                output.append(0x20)
                index += 1
            } else if byte == UInt8(ascii: "%"), index + 2 < utf8.count,
                      let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2]) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Encodes like Python's `urllib.parse.urlencode`: letters, digits and `_.-~` stay, space becomes
    /// `+`, everything else `%XX` (upper-case hex).
    public static func encode(_ component: String) -> String {
        var output: [UInt8] = []
        for byte in component.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "~"):
                output.append(byte)
            case 0x20:
                output.append(UInt8(ascii: "+"))
            default:
                output.append(UInt8(ascii: "%"))
                output.append(upperHex[Int(byte >> 4)])
                output.append(upperHex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `name=value&…` in the given order.
    public static func encode(_ pairs: [(name: String, value: String)]) -> String {
        pairs.map { encode($0.name) + "=" + encode($0.value) }.joined(separator: "&")
    }

    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
