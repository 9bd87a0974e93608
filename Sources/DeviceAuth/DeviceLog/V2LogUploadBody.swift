/// The JSON body of a v2 log upload (`POST /device/reportlog`, device-protocol.md §7.5.2):
/// `{"DeviceName":"…","Level":"ERR","ProductId":"…","Message":["…", …]}`, members in any order.
///
/// Parsed leniently, as the hub decides (§7.5.3): raw control bytes inside strings are accepted (the C SDK
/// copies them unescaped), members other than the three are skipped whatever their type.
public struct V2LogUploadBody: Sendable, Hashable {
    public var productId: String
    public var deviceName: String
    /// The `Message` elements as sent (C33: one line each; Java: one element with `\n\f`-terminated lines).
    public var messages: [String]

    public init(productId: String, deviceName: String, messages: [String]) {
        self.productId = productId
        self.deviceName = deviceName
        self.messages = messages
    }

    /// The entries of all elements, each element split on `\n\f`.
    public var entries: [String] {
        messages.flatMap { DeviceLogLine.split(Array($0.utf8)) }
    }

    /// `nil` unless the body is one JSON object with string `ProductId` and `DeviceName` and, if present, an
    /// array `Message` of strings.
    public init?(parsing body: [UInt8]) {
        var parser = LenientJSONReader(bytes: body)
        var productId: String?
        var deviceName: String?
        var messages: [String] = []
        let parsed = parser.readObject { key, parser in
            switch key {
            case "ProductId": productId = parser.readString()
            case "DeviceName": deviceName = parser.readString()
            case "Message":
                guard let list = parser.readStringArray() else { return false }
                messages = list
                return true
            default: return parser.skipValue()
            }
            return key == "ProductId" ? productId != nil : deviceName != nil
        }
        guard parsed, parser.atEndIgnoringWhitespace(), let productId, let deviceName else { return nil }
        self.init(productId: productId, deviceName: deviceName, messages: messages)
    }

    /// The body as the C SDK 3.3.0 writes it: `DeviceName` first, `Level` always `"ERR"`, elements separated
    /// by `", "`, `/` escaped as `\/`.
    public func cSDKBody() -> [UInt8] {
        func quoted(_ text: String) -> String {
            String(JSONText.quoted(text).flatMap { (character: Character) -> [Character] in character == "/" ? ["\\", "/"] : [character] })
        }
        let list = messages.map(quoted).joined(separator: ", ")
        return Array("{\"DeviceName\":\(quoted(deviceName)),\"Level\":\"ERR\",\"ProductId\":\(quoted(productId)),\"Message\":[\(list)]}".utf8)
    }
}

/// A small JSON reader for the log upload body: strings with every escape (`\uXXXX` with surrogate
/// pairs), raw control bytes inside strings tolerated, nesting depth limited.
struct LenientJSONReader {
    private let bytes: [UInt8]
    private var index = 0
    private static let maxDepth = 32

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
            index += 1
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func atEndIgnoringWhitespace() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }

    /// Reads an object, calling `member` with each key positioned at its value; `member` reads the value and
    /// returns whether it could.
    mutating func readObject(_ member: (String, inout LenientJSONReader) -> Bool) -> Bool {
        guard consume(UInt8(ascii: "{")) else { return false }
        if consume(UInt8(ascii: "}")) { return true }
        while true {
            guard let key = readString(), consume(UInt8(ascii: ":")) else { return false }
            guard member(key, &self) else { return false }
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "}"))
        }
    }

    mutating func readStringArray() -> [String]? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        var list: [String] = []
        if consume(UInt8(ascii: "]")) { return list }
        while true {
            guard let element = readString() else { return nil }
            list.append(element)
            if consume(UInt8(ascii: ",")) { continue }
            return consume(UInt8(ascii: "]")) ? list : nil
        }
    }

    mutating func readString() -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        var out: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = readHex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        guard let low = readHex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    out += Array(String(character).utf8)
                default: return nil
                }
            default:
                // Raw control bytes included: the C SDK copies them unescaped.
                out.append(byte)
            }
        }
        return nil
    }

    private mutating func readHex4() -> UInt32? {
        guard index + 4 <= bytes.count, let value = Hex.decode(String(decoding: bytes[index..<index + 4], as: UTF8.self)) else {
            return nil
        }
        index += 4
        return UInt32(value[0]) << 8 | UInt32(value[1])
    }

    /// Skips any JSON value (the members the hub does not read).
    mutating func skipValue(depth: Int = 0) -> Bool {
        guard depth < Self.maxDepth else { return false }
        skipWhitespace()
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return readString() != nil
        case UInt8(ascii: "{"):
            return readObject { _, reader in reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            index += 1
            if consume(UInt8(ascii: "]")) { return true }
            while true {
                guard skipValue(depth: depth + 1) else { return false }
                if consume(UInt8(ascii: ",")) { continue }
                return consume(UInt8(ascii: "]"))
            }
        default:
            // A number, true, false or null: up to the next delimiter.
            let start = index
            while index < bytes.count, !Self.delimiters.contains(bytes[index]) { index += 1 }
            let token = String(decoding: bytes[start..<index], as: UTF8.self)
            if token == "true" || token == "false" || token == "null" { return true }
            return !token.isEmpty && Double(token) != nil
        }
    }

    private static let delimiters: Set<UInt8> = [0x2C, 0x7D, 0x5D, 0x20, 0x09, 0x0A, 0x0D]
}
