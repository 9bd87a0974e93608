import Foundation

/// A `multipart/form-data` body (RFC 7578) already in memory (bounded by the caller), as a browser sends a
/// form with a file input: its parts, each with the field name, the file name of a file part, and the bytes.
/// Read with the same `MultipartFormReader` that streams firmware uploads; anything malformed or cut short
/// makes the body unreadable (nil), never a partial form.
struct MultipartForm: Sendable {
    struct Part: Sendable, Equatable {
        var name: String
        /// Set for a file input (possibly empty when no file was chosen).
        var fileName: String?
        var bytes: [UInt8]
    }

    var parts: [Part]

    /// The boundary of a `Content-Type: multipart/form-data; boundary=…` header value (1 to 70 characters,
    /// RFC 2046), nil for any other type.
    static func boundary(contentType: String) -> String? {
        let items = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = items.first, type.lowercased() == "multipart/form-data" else { return nil }
        for item in items.dropFirst() {
            guard let equals = item.firstIndex(of: "=") else { continue }
            guard item[..<equals].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count) else { return nil }
            return value
        }
        return nil
    }

    /// Parses `body` delimited by `boundary`; nil if it is not a complete multipart body.
    init?(_ body: [UInt8], boundary: String) {
        guard var reader = MultipartFormReader(boundary: boundary) else { return nil }
        reader.append(body)
        var parts: [Part] = []
        do {
            while let event = try reader.next() {
                switch event {
                case .partStart(let name, let fileName):
                    parts.append(Part(name: name, fileName: fileName, bytes: []))
                case .bytes(let bytes):
                    parts[parts.count - 1].bytes += bytes
                case .partEnd:
                    break
                case .end:
                    self.parts = parts
                    return
                }
            }
        } catch {
            return nil
        }
        return nil
    }
}
