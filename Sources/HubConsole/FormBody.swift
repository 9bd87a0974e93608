import CloudAPI

/// An `application/x-www-form-urlencoded` body (what the console's forms send), decoded by the management
/// API's `FormURLEncoding`, or a `multipart/form-data` one (a form with a file input); a repeated name keeps
/// its first value.
struct FormBody: Sendable {
    /// A file of a multipart form.
    struct File: Sendable, Equatable {
        var name: String
        var bytes: [UInt8]
    }

    private(set) var fields: [String: String] = [:]
    /// Every value of a repeated name (checkboxes sharing a name), in order.
    private(set) var repeated: [String: [String]] = [:]
    private(set) var files: [String: File] = [:]

    init(_ bytes: [UInt8]) {
        for (name, value) in FormURLEncoding.parse(bytes) {
            if fields[name] == nil { fields[name] = value }
            repeated[name, default: []].append(value)
        }
    }

    init(_ multipart: MultipartForm) {
        for part in multipart.parts {
            if let fileName = part.fileName {
                if files[part.name] == nil { files[part.name] = File(name: fileName, bytes: part.bytes) }
            } else if fields[part.name] == nil {
                fields[part.name] = String(decoding: part.bytes, as: UTF8.self)
            }
        }
    }

    subscript(name: String) -> String? { fields[name] }

    /// All values sent under `name`, in order (none: empty).
    func values(_ name: String) -> [String] { repeated[name] ?? [] }
    func file(_ name: String) -> File? { files[name] }

    /// A checkbox: sent (any value) means on.
    func checked(_ name: String) -> Bool { fields[name] != nil }

    /// Percent-encodes a path segment or query value (for links built from names).
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
