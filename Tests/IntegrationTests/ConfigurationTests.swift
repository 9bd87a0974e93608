import Foundation
import HubServer
import XCTest

final class ConfigurationTests: XCTestCase {
    func testPrecedenceFlagOverEnvironmentOverFileOverDefault() throws {
        let file = NSTemporaryDirectory() + "iothub-config-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(#"{"httpPort": 7001, "apiPort": 7002, "dataDir": "/tmp/from-file", "publicHosts": ["a.example", "b.example"]}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let configuration = try HubConfiguration.resolve(
            flags: ["http-port": "7100"],
            environment: ["IOTHUB_HTTP_PORT": "7200", "IOTHUB_API_PORT": "7300"],
            configFile: file
        )
        XCTAssertEqual(configuration.httpPort, 7100)
        XCTAssertEqual(configuration.apiPort, 7300)
        XCTAssertEqual(configuration.dataDirectory, "/tmp/from-file")
        XCTAssertEqual(configuration.publicHosts, ["a.example", "b.example"])
        XCTAssertEqual(configuration.apiHost, "127.0.0.1")
        XCTAssertNil(configuration.httpsPort)
    }

    func testInvalidValuesAreRejectedWithTheirName() throws {
        XCTAssertThrowsError(try HubConfiguration.resolve(flags: ["http-port": "99999"], environment: [:], configFile: nil)) {
            XCTAssertTrue("\($0)".contains("http-port"))
        }
        XCTAssertThrowsError(try HubConfiguration.resolve(flags: [:], environment: ["IOTHUB_SQLITE_SYNCHRONOUS": "off"], configFile: nil))
        let file = NSTemporaryDirectory() + "iothub-config-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(#"{"httpPrt": 1}"#.utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try HubConfiguration.resolve(flags: [:], environment: [:], configFile: file)) {
            XCTAssertTrue("\($0)".contains("httpPrt"))
        }
    }
}
