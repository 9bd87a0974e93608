import Foundation

/// A `multipart/form-data` body (RFC 7578), as a browser sends a form with a file input: its parts, each
/// with the field name, the file name of a file part, and the bytes. The whole body is already in memory
/// (bounded by the caller); anything malformed makes the body unreadable (nil), never a partial form.
struct MultipartForm: Sendable {
    struct Part: Sendable, Equatable {
        var name: String
        /// Set for a file input (possibly empty when no file was chosen).
        var fileName: String?
        var bytes: [UInt8]
    }

    var parts: [Part]

    /// The boundary of a `Content-Type: multipart/form-data; boundary=…` header value, nil for any other type.
    static func boundary(contentType: String) -> String? {
        let items = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = items.first, type.lowercased() == "multipart/form-data" else { return nil }
        for item in items.dropFirst() {
            guard let equals = item.firstIndex(of: "=") else { continue }
            guard item[..<equals].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            // RFC 2046: 1 to 70 characters.
            guard (1...70).contains(value.utf8.count) else { return nil }
            return value
        }
        return nil
    }

    /// Parses `body` delimited by `boundary`; nil if it is not a complete multipart body.
    init?(_ body: [UInt8], boundary: String) {
        let delimiter = Array(("--" + boundary).utf8)
        let crlf: [UInt8] = [13, 10]
        // The first delimiter starts the body or follows a preamble's CRLF.
        guard var position = Self.find(delimiter, in: body, from: 0), position == 0 || body[..<position].suffix(2).elementsEqual(crlf) else {
            return nil
        }
        var parts: [Part] = []
        let separator = crlf + delimiter
        while true {
            position += delimiter.count
            // "--" after a delimiter closes the body.
            if body.count >= position + 2, body[position] == 45, body[position + 1] == 45 { break }
            guard body.count >= position + 2, body[position] == 13, body[position + 1] == 10 else { return nil }
            position += 2
            guard let headerEnd = Self.find(crlf + crlf, in: body, from: position) else { return nil }
            let headerText = String(decoding: body[position..<headerEnd], as: UTF8.self)
            guard let end = Self.find(separator, in: body, from: headerEnd + 4) else { return nil }
            guard let part = Self.part(headers: headerText, bytes: Array(body[(headerEnd + 4)..<end])) else { return nil }
            parts.append(part)
            position = end + 2
        }
        self.parts = parts
    }

    /// A part from its header lines: `Content-Disposition: form-data; name="…"[; filename="…"]` is required.
    private static func part(headers: String, bytes: [UInt8]) -> Part? {
        for line in headers.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "content-disposition" else { continue }
            let parameters = Self.parameters(String(line[line.index(after: colon)...]))
            guard parameters.first?.0 == "form-data", let name = parameters.first(where: { $0.0 == "name" })?.1 else { return nil }
            return Part(name: name, fileName: parameters.first(where: { $0.0 == "filename" })?.1, bytes: bytes)
        }
        return nil
    }

    /// `form-data; name="a;b"; filename="x.csv"` → [("form-data", ""), ("name", "a;b"), ("filename", "x.csv")]:
    /// semicolons inside quotes belong to the value; a backslash escapes the next character.
    static func parameters(_ text: String) -> [(String, String)] {
        var result: [(String, String)] = []
        var current = ""
        var quoted = false
        var escaped = false
        var items: [String] = []
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if character == ";" && !quoted {
                items.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        items.append(current)
        for item in items {
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard let equals = trimmed.firstIndex(of: "=") else {
                result.append((trimmed.lowercased(), ""))
                continue
            }
            var value = String(trimmed[trimmed.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            result.append((trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased(), value))
        }
        return result
    }

    /// The first index of `needle` in `haystack` at or after `start`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var match = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    match = false
                    break
                }
                if match { return index }
            }
            index += 1
        }
        return nil
    }
}
