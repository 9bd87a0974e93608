import Foundation

/// A `multipart/form-data` body (RFC 7578) read as it arrives: bytes in with ``append(_:)``, events out of
/// ``next()``: a part's start (its name and file name), its bytes in pieces, its end, the end of the form.
/// Only a delimiter's length of bytes is held back between pieces, so a file part streams through in
/// constant memory; a part's header block is limited to ``maxHeaderBytes``.
struct MultipartFormReader {
    struct Failure: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    enum Event: Equatable {
        case partStart(name: String, fileName: String?)
        case bytes([UInt8])
        case partEnd
        /// The closing delimiter: nothing after it is read.
        case end
    }

    static let maxHeaderBytes = 8 * 1024

    private enum State { case preamble, afterDelimiter, headers, body, done }

    /// `CRLF--boundary`: what ends a part (the first delimiter is matched as if a CRLF came before it).
    private let delimiter: [UInt8]
    private var buffer: [UInt8] = [13, 10]
    private var start = 0
    private var state = State.preamble
    private var sentEnd = false

    /// The reader for a `Content-Type` header, nil unless it is `multipart/form-data` with a boundary of
    /// 1 to 70 characters.
    init?(contentType: String) {
        guard let boundary = MultipartForm.boundary(contentType: contentType) else { return nil }
        self.init(boundary: boundary)
    }

    init?(boundary: String) {
        guard (1...70).contains(boundary.utf8.count) else { return nil }
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next event, or nil when more bytes are needed (or after `.end`).
    mutating func next() throws(Failure) -> Event? {
        while true {
            switch state {
            case .preamble:
                // Anything before the first delimiter is ignored.
                if let found = find(delimiter, from: start) {
                    start = found + delimiter.count
                    state = .afterDelimiter
                } else {
                    start = max(start, buffer.count - (delimiter.count - 1))
                    return nil
                }
            case .afterDelimiter:
                // `--` closes the form; otherwise optional blanks, then the CRLF the header block starts with.
                var index = start
                while index < buffer.count, buffer[index] == 32 || buffer[index] == 9 { index += 1 }
                guard index + 2 <= buffer.count else {
                    if index - start > 256 { throw Failure(description: "a malformed multipart delimiter") }
                    return nil
                }
                if index == start, buffer[index] == 45, buffer[index + 1] == 45 {
                    state = .done
                    continue
                }
                guard buffer[index] == 13, buffer[index + 1] == 10 else { throw Failure(description: "a malformed multipart delimiter") }
                start = index
                state = .headers
            case .headers:
                guard let found = find([13, 10, 13, 10], from: start) else {
                    if buffer.count - start > Self.maxHeaderBytes { throw Failure(description: "a form part's headers are too long") }
                    return nil
                }
                let block = found > start + 2 ? Array(buffer[(start + 2)..<found]) : []
                start = found + 4
                state = .body
                return try Self.partStart(block)
            case .body:
                if let found = find(delimiter, from: start) {
                    if found > start {
                        let bytes = Array(buffer[start..<found])
                        start = found
                        return .bytes(bytes)
                    }
                    start = found + delimiter.count
                    state = .afterDelimiter
                    return .partEnd
                }
                let safe = buffer.count - (delimiter.count - 1)
                guard safe > start else { return nil }
                let bytes = Array(buffer[start..<safe])
                start = safe
                return .bytes(bytes)
            case .done:
                guard !sentEnd else { return nil }
                sentEnd = true
                return .end
            }
        }
    }

    /// Whether the closing delimiter was read: when the body ends before it, the form is cut short.
    var isComplete: Bool { state == .done }

    private func find(_ needle: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, buffer.count - from >= needle.count else { return nil }
        var index = from
        let last = buffer.count - needle.count
        while index <= last {
            guard let candidate = buffer[index...last].firstIndex(of: first) else { return nil }
            var matched = true
            for offset in 1..<needle.count where buffer[candidate + offset] != needle[offset] {
                matched = false
                break
            }
            if matched { return candidate }
            index = candidate + 1
        }
        return nil
    }

    /// A part's `Content-Disposition: form-data; name="…"[; filename="…"]`.
    private static func partStart(_ block: [UInt8]) throws(Failure) -> Event {
        let text = String(decoding: block, as: UTF8.self)
        for line in text.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "content-disposition" else { continue }
            let parameters = dispositionParameters(String(line[line.index(after: colon)...]))
            guard let name = parameters["name"] else { break }
            return .partStart(name: name, fileName: parameters["filename"])
        }
        throw Failure(description: "a form part without a name")
    }

    /// `form-data; name="a"; filename="b.bin"` → ["name": "a", "filename": "b.bin"]. Quoted values may
    /// contain `;` and backslash-escaped characters.
    static func dispositionParameters(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var characters = Substring(text)
        // The disposition type.
        guard let semicolon = characters.firstIndex(of: ";") else { return result }
        characters = characters[characters.index(after: semicolon)...]
        while !characters.isEmpty {
            characters = characters.drop { $0 == " " || $0 == "\t" }
            guard let equals = characters.firstIndex(of: "=") else { break }
            let key = characters[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            characters = characters[characters.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            var value = ""
            if characters.first == "\"" {
                characters = characters.dropFirst()
                var escaped = false
                while let character = characters.first {
                    characters = characters.dropFirst()
                    if escaped {
                        value.append(character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                }
                characters = characters.drop { $0 != ";" }
            } else {
                let end = characters.firstIndex(of: ";") ?? characters.endIndex
                value = characters[..<end].trimmingCharacters(in: .whitespaces)
                characters = characters[end...]
            }
            characters = characters.drop { $0 == ";" }
            if result[key] == nil { result[key] = value }
        }
        return result
    }
}
