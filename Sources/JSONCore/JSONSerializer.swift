extension JSONValue {
    /// Serialisation style.
    public struct SerializationOptions: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// Escape every non-ASCII character as `\uXXXX` (as Python's `json.dumps` does by default).
        public static let asciiOnly = SerializationOptions(rawValue: 1)
    }

    /// Compact UTF-8 serialisation (no whitespace), object members in insertion order.
    /// Non-finite doubles serialise as `null`.
    public func serialized(options: SerializationOptions = []) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(128)
        JSONSerializer(asciiOnly: options.contains(.asciiOnly)).write(self, into: &output)
        return output
    }

    public func serializedString(options: SerializationOptions = []) -> String {
        String(decoding: serialized(options: options), as: UTF8.self)
    }
}

public struct JSONSerializer {
    let asciiOnly: Bool

    func write(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let integer):
            output.append(contentsOf: String(integer).utf8)
        case .double(let double):
            output.append(contentsOf: Self.format(double).utf8)
        case .string(let string):
            writeString(string, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (index, member) in object.entries.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                write(member.value, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// A double as JSON number text (`null` when not finite).
    public static func format(_ double: Double) -> String {
        guard double.isFinite else { return "null" }
        // Swift's description is the shortest round-tripping form ("0.5", "1e-05", "1e+20", "2.0"),
        // all of which are valid JSON numbers.
        return double.description
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private func writeUnicodeEscape(_ unit: UInt16, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        output.append(UInt8(ascii: "u"))
        output.append(Self.hexDigits[Int(unit >> 12 & 0xF)])
        output.append(Self.hexDigits[Int(unit >> 8 & 0xF)])
        output.append(Self.hexDigits[Int(unit >> 4 & 0xF)])
        output.append(Self.hexDigits[Int(unit & 0xF)])
    }

    private func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for scalar in string.unicodeScalars {
            switch scalar.value {
            case 0x22: output.append(contentsOf: [0x5C, 0x22])
            case 0x5C: output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: output.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x00..<0x20:
                writeUnicodeEscape(UInt16(scalar.value), into: &output)
            case 0x20..<0x80:
                output.append(UInt8(scalar.value))
            default:
                if asciiOnly {
                    for unit in String(scalar).utf16 { writeUnicodeEscape(unit, into: &output) }
                } else {
                    output.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
