import DeviceAuth
import XCTest

final class CandidateHostsTests: XCTestCase {
    private let fallback = "ap-guangzhou.gateway.tencentdevices.com"

    private func hosts(_ header: String?, _ configured: [String] = []) -> [String] {
        V2RegistrationSignature.candidateHosts(hostHeader: header, configuredHosts: configured)
    }

    func testNoHeader() {
        XCTAssertEqual(hosts(nil), [fallback])
        XCTAssertEqual(hosts(nil, ["hub.example.com"]), ["hub.example.com", fallback])
        XCTAssertEqual(hosts(""), [fallback])
    }

    func testPortIsStripped() {
        XCTAssertEqual(hosts("127.0.0.1:8080"), ["127.0.0.1", fallback])
        XCTAssertEqual(hosts("hub.example.com:80"), ["hub.example.com", fallback])
        XCTAssertEqual(hosts("hub.example.com"), ["hub.example.com", fallback])
    }

    func testAsReceivedThenLowerCased() {
        XCTAssertEqual(hosts("Hub.Example.COM:8443"), ["Hub.Example.COM", "hub.example.com", fallback])
    }

    func testIPv6Literals() {
        XCTAssertEqual(hosts("[::1]:8080"), ["[::1]", "::1", fallback])
        XCTAssertEqual(hosts("[::1]"), ["[::1]", "::1", fallback])
        XCTAssertEqual(hosts("[FE80::A]:80"), ["[FE80::A]", "FE80::A", "[fe80::a]", "fe80::a", fallback])
        // Unbracketed (not a valid Host header, but must not be cut at a colon).
        XCTAssertEqual(hosts("fe80::1"), ["fe80::1", fallback])
    }

    func testConfiguredOrderAndDeduplication() {
        XCTAssertEqual(
            hosts("hub.example.com:8080", ["b.example", "hub.example.com", "a.example", "b.example", fallback]),
            ["hub.example.com", "b.example", "a.example", fallback]
        )
        XCTAssertEqual(
            hosts("AP-GUANGZHOU.gateway.tencentdevices.com"),
            ["AP-GUANGZHOU.gateway.tencentdevices.com", fallback]
        )
        XCTAssertEqual(hosts(fallback + ":80"), [fallback])
    }
}
