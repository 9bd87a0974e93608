import XCTest

@testable import HubConsole

/// The streaming `multipart/form-data` reader, fed whole, byte by byte and in random pieces (the same
/// events every time).
final class MultipartFormReaderTests: XCTestCase {
    static let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"

    /// A form as Chromium sends it: CRLF lines, the file part last.
    static func form(fields: [(String, String)], file: (field: String, name: String, bytes: [UInt8])?, boundary: String = boundary) -> [UInt8] {
        var body: [UInt8] = []
        for (name, value) in fields {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        if let file {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.name)\"\r\n".utf8)
            body += Array("Content-Type: application/octet-stream\r\n\r\n".utf8)
            body += file.bytes
            body += Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return body
    }

    /// The events of `body` fed in `pieces`, with adjacent byte events joined (their split depends on the feeding).
    static func events(_ body: [UInt8], pieces: [Int], contentType: String = "multipart/form-data; boundary=\(boundary)") throws -> [MultipartFormReader.Event] {
        var reader = try XCTUnwrap(MultipartFormReader(contentType: contentType))
        var events: [MultipartFormReader.Event] = []
        func collect() throws {
            while let event = try reader.next() {
                if case .bytes(let more) = event, case .bytes(let earlier)? = events.last {
                    events[events.count - 1] = .bytes(earlier + more)
                } else {
                    events.append(event)
                }
            }
        }
        var offset = 0
        for size in pieces where offset < body.count {
            let end = min(offset + size, body.count)
            reader.append(body[offset..<end])
            offset = end
            try collect()
        }
        if offset < body.count {
            reader.append(body[offset...])
            try collect()
        }
        XCTAssertTrue(reader.isComplete)
        return events
    }

    func testFieldsAndAFileTheSameWhateverTheFeeding() throws {
        // File bytes that look like a delimiter without being one, and CR LF inside.
        let file = Array("\r\n--\(Self.boundary.dropLast())x\r\n\r\n--".utf8) + (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31) } + [13, 10, 45, 45]
        let body = Self.form(fields: [("_csrf", "token"), ("version", "1.0.0"), ("description", "line one\r\nline two")], file: ("file", "fw.bin", file))
        let expected: [MultipartFormReader.Event] = [
            .partStart(name: "_csrf", fileName: nil), .bytes(Array("token".utf8)), .partEnd,
            .partStart(name: "version", fileName: nil), .bytes(Array("1.0.0".utf8)), .partEnd,
            .partStart(name: "description", fileName: nil), .bytes(Array("line one\r\nline two".utf8)), .partEnd,
            .partStart(name: "file", fileName: "fw.bin"), .bytes(file), .partEnd, .end,
        ]
        XCTAssertEqual(try Self.events(body, pieces: [body.count]), expected, "all at once")
        XCTAssertEqual(try Self.events(body, pieces: Array(repeating: 1, count: body.count)), expected, "byte by byte")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let pieces = (0..<body.count).map { _ in Int.random(in: 1...97, using: &generator) }
            XCTAssertEqual(try Self.events(body, pieces: pieces), expected, "random pieces")
        }
    }

    func testEmptyFileEmptyValueAndAPreamble() throws {
        var body = Array("ignored preamble\r\n".utf8)
        body += Self.form(fields: [("name", "")], file: ("file", "", []))
        let events = try Self.events(body, pieces: [7])
        XCTAssertEqual(events, [.partStart(name: "name", fileName: nil), .partEnd, .partStart(name: "file", fileName: ""), .partEnd, .end])
    }

    func testBoundaryFromTheContentTypeAndRefusedTypes() {
        XCTAssertNotNil(MultipartFormReader(contentType: "multipart/form-data; boundary=\"quoted boundary\""))
        XCTAssertNotNil(MultipartFormReader(contentType: "Multipart/Form-Data;charset=utf-8; BOUNDARY=x"))
        XCTAssertNil(MultipartFormReader(contentType: "application/x-www-form-urlencoded"))
        XCTAssertNil(MultipartFormReader(contentType: "multipart/form-data"))
        XCTAssertNil(MultipartFormReader(contentType: "multipart/form-data; boundary="))
        XCTAssertNil(MultipartFormReader(contentType: "multipart/form-data; boundary=" + String(repeating: "b", count: 71)))
    }

    func testDispositionParameters() {
        XCTAssertEqual(
            MultipartFormReader.dispositionParameters(#" form-data; name="a;b"; filename="say \"hi\".bin""#), ["name": "a;b", "filename": #"say "hi".bin"#]
        )
        XCTAssertEqual(MultipartFormReader.dispositionParameters("form-data; name=plain ; filename=x.bin"), ["name": "plain", "filename": "x.bin"])
    }

    func testMalformedFormsThrow() throws {
        let contentType = "multipart/form-data; boundary=b"
        // A part without a name.
        var reader = try XCTUnwrap(MultipartFormReader(contentType: contentType))
        reader.append(Array("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--".utf8))
        XCTAssertThrowsError(try reader.next())
        // Garbage after a delimiter.
        reader = try XCTUnwrap(MultipartFormReader(contentType: contentType))
        reader.append(Array("--bxyz\r\n".utf8))
        XCTAssertThrowsError(try reader.next())
        // Endless headers.
        reader = try XCTUnwrap(MultipartFormReader(contentType: contentType))
        reader.append(Array("--b\r\nX: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: MultipartFormReader.maxHeaderBytes + 10))
        XCTAssertThrowsError(try reader.next())
        // A body cut short is not complete.
        reader = try XCTUnwrap(MultipartFormReader(contentType: contentType))
        reader.append(Array("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue".utf8))
        while try reader.next() != nil {}
        XCTAssertFalse(reader.isComplete)
    }
}
