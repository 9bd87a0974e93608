import Foundation
import JSONCore
import Synchronization
import XCTest

@testable import HubConsole

/// The parts behind the device pages: multipart bodies, the lines of a names file, the downloads kept for a
/// session, JSON for people.
final class ConsoleDevicePartsTests: XCTestCase {
    func testMultipartBodyAsChromiumSendsIt() throws {
        let boundary = "----WebKitFormBoundaryAbC123"
        XCTAssertEqual(MultipartForm.boundary(contentType: "multipart/form-data; boundary=\(boundary)"), boundary)
        XCTAssertEqual(MultipartForm.boundary(contentType: #"Multipart/Form-Data; charset=utf-8; boundary="a b""#), "a b")
        XCTAssertNil(MultipartForm.boundary(contentType: "application/x-www-form-urlencoded"))
        XCTAssertNil(MultipartForm.boundary(contentType: "multipart/form-data"))
        let body = Array(
            (
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntoken-1\r\n"
                    + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"units; \\\"a\\\".csv\"\r\nContent-Type: text/csv\r\n\r\n"
                    + "DeviceName\r\nunit-1\r\n\r\nunit-2\r\n\r\n"
                    + "--\(boundary)--\r\n"
            ).utf8
        )
        let form = try XCTUnwrap(MultipartForm(body, boundary: boundary))
        XCTAssertEqual(form.parts.map(\.name), ["_csrf", "file"])
        XCTAssertEqual(form.parts[0].fileName, nil)
        XCTAssertEqual(form.parts[1].fileName, #"units; "a".csv"#)
        XCTAssertEqual(String(decoding: form.parts[1].bytes, as: UTF8.self), "DeviceName\r\nunit-1\r\n\r\nunit-2\r\n", "the file's own CRLFs are kept")
        let fields = FormBody(form)
        XCTAssertEqual(fields["_csrf"], "token-1")
        XCTAssertEqual(fields.file("file")?.name, #"units; "a".csv"#)
        XCTAssertNil(fields["file"], "a file is not a field")

        // Truncated, without the closing delimiter, without a name, or another boundary: unreadable.
        XCTAssertNil(MultipartForm(Array(body.dropLast(20)), boundary: boundary))
        XCTAssertNil(MultipartForm(Array("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--".utf8), boundary: "b"))
        XCTAssertNil(MultipartForm(body, boundary: "other"))
        XCTAssertEqual(MultipartForm(Array("--b--\r\n".utf8), boundary: "b")?.parts, [])
    }

    func testNamesFileLines() {
        let file = Array("\u{FEFF}DeviceName\r\n unit-1 \r\n\r\n\"unit-2\"\nbad name!\n\tunit-1\n".utf8)
        XCTAssertEqual(
            Console.importLines(file),
            [
                Console.ImportLine(line: 2, name: "unit-1"), Console.ImportLine(line: 4, name: "unit-2"), Console.ImportLine(line: 5, name: "bad name!"),
                Console.ImportLine(line: 6, name: "unit-1"),
            ]
        )
        XCTAssertEqual(Console.importLines(Array("a\nDeviceName\n".utf8)).map(\.name), ["a", "DeviceName"], "a header only on the first line")
        XCTAssertEqual(Console.importLines([]), [])
    }

    func testDownloadsAreTheSessionsOwnAndExpire() {
        let clock = ConsolePartsTests.TestClock()
        let downloads = ConsoleDownloads(lifetimeSeconds: 600, maxTotalBytes: 10, now: clock.now)
        let token = downloads.put(session: "s1", name: "a.csv", contentType: "text/csv", bytes: [1, 2, 3, 4])
        XCTAssertEqual(downloads.file(session: "s1", token: token)?.bytes, [1, 2, 3, 4])
        XCTAssertNil(downloads.file(session: "s2", token: token), "another session's file")
        XCTAssertNil(downloads.file(session: "s1", token: token + "x"))
        // The next file of a session replaces its last one; the old link is gone.
        let second = downloads.put(session: "s1", name: "b.csv", contentType: "text/csv", bytes: [5])
        XCTAssertNil(downloads.file(session: "s1", token: token))
        XCTAssertEqual(downloads.file(session: "s1", token: second)?.name, "b.csv")
        // Over the total, the oldest goes.
        clock.advance(1)
        _ = downloads.put(session: "s2", name: "c", contentType: "x", bytes: Array(repeating: 0, count: 6))
        clock.advance(1)
        let third = downloads.put(session: "s3", name: "d", contentType: "x", bytes: Array(repeating: 0, count: 4))
        XCTAssertNil(downloads.file(session: "s1", token: second))
        XCTAssertEqual(downloads.count, 2)
        clock.advance(601)
        XCTAssertNil(downloads.file(session: "s3", token: third), "expired")
        XCTAssertEqual(downloads.count, 0)
    }

    func testPrettyJSON() throws {
        let value = try JSONValue(parsing: #"{"a":[1,{"b":null}],"c":{},"d":[],"e":"<x>"}"#)
        XCTAssertEqual(
            ConsoleJSON.pretty(value),
            """
            {
              "a": [
                1,
                {
                  "b": null
                }
              ],
              "c": {},
              "d": [],
              "e": "<x>"
            }
            """
        )
        XCTAssertEqual(try JSONValue(parsing: ConsoleJSON.pretty(value)), value)
    }
}
