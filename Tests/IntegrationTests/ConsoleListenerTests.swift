import DeviceAuth
import Foundation
import HubConsole
import HubServer
import HubTesting
import JSONCore
import Registry
import XCTest

/// Where the console is served (its own listener, HTTPS with the operator's certificate), the live
/// registration audit, and console actions in the API's metrics.
final class ConsoleListenerTests: XCTestCase {
    static let password = "correct horse battery"

    /// A self-signed certificate for 127.0.0.1 made with openssl (a real one, as an operator would bring).
    static func certificate(in directory: String) async throws -> (certificate: String, key: String) {
        let openssl = try ExternalTools.executable("openssl")
        let certificate = directory + "/console.cert.pem"
        let key = directory + "/console.key.pem"
        let made = try await ExternalTools.run(openssl, [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", certificate,
            "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        XCTAssertEqual(made.status, 0, made.stderr)
        return (certificate, key)
    }

    /// curl, a real TLS client trusting only `certificate`: `-i` output (status line, headers, body).
    static func curl(_ arguments: [String]) async throws -> ExternalTools.Result {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            throw ConsoleTestFailure(description: "curl is not installed; run scripts/test")
        }
        return try await ExternalTools.run("/usr/bin/curl", ["-sS", "-i"] + arguments)
    }

    func testConsoleOnItsOwnHTTPSListener() async throws {
        let directory = NSTemporaryDirectory() + "iothub-console-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tls = try await Self.certificate(in: directory)
        let hub = try await TestHub.start {
            $0.console.port = 0
            $0.console.tlsCertificateFile = tls.certificate
            $0.console.tlsKeyFile = tls.key
        }
        defer { Task { await hub.stopAndRemove() } }
        try await hub.addConsoleOperators(password: Self.password)
        let port = await hub.port(.console)
        let base = "https://127.0.0.1:\(port)"

        let signInPage = try await Self.curl(["--cacert", tls.certificate, base + "/console/signin"])
        XCTAssertEqual(signInPage.status, 0, signInPage.stderr)
        XCTAssertTrue(signInPage.stdout.hasPrefix("HTTP/1.1 200"), signInPage.stdout)
        XCTAssertTrue(signInPage.stdout.contains(#"action="/console/signin""#), signInPage.stdout)
        let root = try await Self.curl(["--cacert", tls.certificate, base + "/"])
        XCTAssertTrue(root.stdout.contains("Location: /console") || root.stdout.contains("location: /console"), root.stdout)

        // Over HTTPS the session cookie is Secure without --console-secure-cookie.
        let signedIn = try await Self.curl([
            "--cacert", tls.certificate, "--data-urlencode", "name=alice", "--data-urlencode", "password=\(Self.password)", base + "/console/signin",
        ])
        XCTAssertTrue(signedIn.stdout.hasPrefix("HTTP/1.1 303"), signedIn.stdout)
        let cookie = try XCTUnwrap(signedIn.stdout.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") })
        XCTAssertTrue(cookie.split(separator: ";").contains { $0.trimmingCharacters(in: .whitespaces) == "Secure" }, String(cookie))

        // Plain HTTP on the console's port gets no page; the management listener no longer serves the console.
        let plain = try await Self.curl(["http://127.0.0.1:\(port)/console/signin"])
        XCTAssertFalse(plain.stdout.contains("HTTP/1.1 200"), plain.stdout)
        let onAPI = try await ConsoleBrowser(port: hub.apiPort).get("/console/signin")
        XCTAssertEqual(onAPI.status, 404)
    }

    func testConsoleOnItsOwnPlainListener() async throws {
        let hub = try await TestHub.start { $0.console.port = 0 }
        defer { Task { await hub.stopAndRemove() } }
        try await hub.addConsoleOperators(password: Self.password)
        var browser = ConsoleBrowser(port: await hub.port(.console))
        let answer = try await browser.signIn("alice", Self.password)
        XCTAssertEqual(answer.status, 303)
        let cookie = try XCTUnwrap(answer.header("Set-Cookie"))
        XCTAssertFalse(cookie.contains("Secure"), cookie)
        let products = try await browser.get("/console/products")
        XCTAssertEqual(products.status, 200)
        XCTAssertTrue(products.body.contains(#"<span class="operator">alice</span>"#), products.body)
        // The management API stays where it was, without the console.
        let onAPI = try await ConsoleBrowser(port: hub.apiPort).get("/console/products")
        XCTAssertEqual(onAPI.status, 404)
        _ = try await hub.api.call("DescribeProducts", [("Offset", .int(0)), ("Limit", .int(10))])
    }

    func testConsoleSettingsThatDoNotGoTogetherAreRefused() throws {
        var configuration = HubConfiguration()
        configuration.console.tlsCertificateFile = "/x.pem"
        XCTAssertThrowsError(try configuration.validate())
        configuration.console.tlsKeyFile = "/y.pem"
        XCTAssertThrowsError(try configuration.validate(), "TLS files without --console-port")
        configuration.console.port = 9443
        XCTAssertNoThrow(try configuration.validate())
        configuration.console.port = configuration.apiPort
        XCTAssertThrowsError(try configuration.validate(), "the console's port is the management API's")
    }

    /// The newest page of the registration audit refreshes its rows from a fragment; new attempts are in it
    /// without a reload of the page, and only for a signed-in operator.
    func testRegistrationAuditRefreshesItsRows() async throws {
        let hub = try await TestHub.start()
        defer { Task { await hub.stopAndRemove() } }
        try await hub.addConsoleOperators(password: Self.password)
        var browser = ConsoleBrowser(port: hub.apiPort)
        try await browser.signIn("alice", Self.password)
        let created = try await hub.api.call(
            "CreateProduct", [("ProductName", .string("units")), ("ProductProperties", .object(["EncryptionType": .string("2"), "RegisterType": .int(2), "RegisterLimit": .int(5)]))]
        )
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        let secret = try XCTUnwrap(created["ProductProperties"]?["ProductSecret"]?.stringValue)

        let page = try await browser.get("/console/registrations?product=\(id)")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains(#"data-poll="/console/registrations/rows?product=\#(id)&amp;"#), page.body)
        XCTAssertFalse(page.body.contains("LIVE-1"))
        let older = try await browser.get("/console/registrations?product=\(id)&offset=50")
        XCTAssertFalse(older.body.contains("data-poll="), "an older page stays as it is")

        let body = RegistrationWire.legacyRequestBody(productId: id, deviceName: "LIVE-1", nonce: 7, timestamp: Int64(Date().timeIntervalSince1970), productSecret: secret)
        _ = try await RawHTTP.exchange(
            port: hub.httpPort,
            request: RawHTTP.request(path: "/register/dev", headers: [("Host", "h"), ("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
        )
        let rows = try await browser.get("/console/registrations/rows?product=\(id)&result=&device=&reason=&from=&to=")
        XCTAssertEqual(rows.status, 200)
        XCTAssertTrue(rows.body.contains(#"<td class="attempt-device">LIVE-1</td>"#), rows.body)
        XCTAssertFalse(rows.body.contains("<html"), "a fragment, not a page")
        XCTAssertTrue(rows.body.contains(#"<tbody id="attempts" data-poll="/console/registrations/rows?product=\#(id)&amp;"#), "the fragment asks to be refreshed again")
        let filtered = try await browser.get("/console/registrations/rows?product=\(id)&result=failure")
        XCTAssertFalse(filtered.body.contains("LIVE-1"), "the fragment keeps the page's filter")

        let stranger = try await ConsoleBrowser(port: hub.apiPort).get("/console/registrations/rows?product=\(id)")
        XCTAssertEqual(stranger.status, 403)
        XCTAssertFalse(stranger.body.contains("LIVE-1"))
    }

    /// What operators do in the console is counted with the API's requests (`iothub_api_requests_total`),
    /// in a real hub process with its Prometheus endpoint.
    func testConsoleActionsAreCountedWithTheAPIRequests() async throws {
        let directory = NSTemporaryDirectory() + "iothub-console-metrics-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let added = try await HubProcess.runTool("iothub", ["console", "user", "add", "alice", "--role", "admin", "--data-dir", directory], input: Self.password + "\n")
        XCTAssertEqual(added.status, 0, added.stderr)
        let process = try HubProcess(dataDirectory: directory)
        try process.start()
        defer { process.terminate() }
        var browser = ConsoleBrowser(port: process.apiPort)
        try await browser.signIn("alice", Self.password)
        let token = try await browser.csrf()
        let created = try await browser.post("/console/products", [("_csrf", token), ("name", "counted"), ("auth", "psk")])
        XCTAssertEqual(created.status, 303, created.body)
        let duplicate = try await browser.post("/console/products", [("_csrf", token), ("name", "counted"), ("auth", "psk")])
        XCTAssertEqual(duplicate.status, 400, duplicate.body)

        let raw = try await RawHTTP.exchange(port: process.apiPort, request: RawHTTP.request(method: "GET", path: "/metrics", headers: [("Host", "x")], body: []))
        let metrics = String(decoding: try XCTUnwrap(RawHTTP.parse(raw)).body, as: UTF8.self)
        let createLines = metrics.split(separator: "\n").filter { $0.hasPrefix("iothub_api_requests_total{") && $0.contains(#"action="CreateProduct""#) }
        XCTAssertTrue(createLines.contains { $0.contains(#"result="ok""#) && $0.hasSuffix(" 1") }, metrics)
        XCTAssertTrue(createLines.contains { !$0.contains(#"result="ok""#) && $0.hasSuffix(" 1") }, "the refused duplicate, by its error code: \(createLines)")
    }
}
