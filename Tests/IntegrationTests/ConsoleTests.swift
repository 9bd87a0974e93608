import DeviceAuth
import Foundation
import HubConsole
import HubServer
import HubTesting
import IoTHubDevice
import JSONCore
import Registry
import XCTest

/// The web console over HTTP against an in-process hub: sign-in and its limits, sessions, cookies, CSRF,
/// roles, the pages' changes reaching the registry through the management actions, escaping, the audit.
final class ConsoleTests: XCTestCase {
    static let password = "correct horse battery"

    func startHub(configure: @escaping (inout HubConfiguration) -> Void = { _ in }) async throws -> TestHub {
        let hub = try await TestHub.start(configure: configure)
        try await hub.addConsoleOperators(password: Self.password)
        return hub
    }

    func signedIn(_ hub: TestHub, _ name: String = "alice") async throws -> ConsoleBrowser {
        var browser = ConsoleBrowser(port: hub.apiPort)
        let answer = try await browser.signIn(name, Self.password)
        XCTAssertEqual(answer.status, 303, answer.body)
        return browser
    }

    func testSignInSetsAStrictHttpOnlySessionCookieAndWrongPasswordsGetNone() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        var browser = ConsoleBrowser(port: hub.apiPort)
        let signInPage = try await browser.get("/console/products")
        XCTAssertEqual(signInPage.status, 303)
        XCTAssertEqual(signInPage.header("Location"), "/console/signin")

        for (name, password) in [("alice", "wrong password"), ("nobody", Self.password)] {
            let refused = try await browser.signIn(name, password)
            XCTAssertEqual(refused.status, 401)
            XCTAssertNil(refused.header("Set-Cookie"))
            XCTAssertTrue(refused.body.contains("Wrong operator name or password."), refused.body)
        }
        XCTAssertNil(browser.cookie)

        let accepted = try await browser.signIn("alice", Self.password)
        XCTAssertEqual(accepted.status, 303)
        XCTAssertEqual(accepted.header("Location"), "/console/overview", "the overview is the home after sign-in")
        let cookie = try XCTUnwrap(accepted.header("Set-Cookie"))
        let attributes = Set(cookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
        XCTAssertEqual(attributes, ["Path=/console", "HttpOnly", "SameSite=Strict"], cookie)
        // 256 random bits, URL-safe base64 without padding.
        XCTAssertEqual(browser.cookie?.count, 43)
        let products = try await browser.get("/console/products")
        XCTAssertEqual(products.status, 200)
        XCTAssertTrue(products.body.contains(#"<span class="operator">alice</span>"#), products.body)
        XCTAssertEqual(products.header("Cache-Control"), "no-store")
        XCTAssertTrue(products.header("Content-Security-Policy")?.contains("script-src 'self'") ?? false)

        // Signing out ends the session on the hub, whatever the browser keeps.
        let signOut = try await browser.post("/console/signout", [("_csrf", try XCTUnwrap(products.csrf))])
        XCTAssertEqual(signOut.status, 303)
        let status = try await browser.get("/console/products").status
        XCTAssertEqual(status, 303)
    }

    func testSecureCookieWhenConfigured() async throws {
        let hub = try await startHub { $0.console.secureCookie = true }
        defer { Task { await hub.stopAndRemove() } }
        var browser = ConsoleBrowser(port: hub.apiPort)
        let accepted = try await browser.signIn("alice", Self.password)
        let cookie = try XCTUnwrap(accepted.header("Set-Cookie"))
        XCTAssertTrue(cookie.split(separator: ";").contains { $0.trimmingCharacters(in: .whitespaces) == "Secure" }, cookie)
    }

    func testFailedSignInsLockTheOperatorName() async throws {
        let hub = try await startHub {
            $0.console.maxFailuresPerUser = 3
            $0.console.maxFailuresPerSource = 100
        }
        defer { Task { await hub.stopAndRemove() } }
        var browser = ConsoleBrowser(port: hub.apiPort)
        for _ in 0..<3 {
            let status = try await browser.signIn("alice", "guess guess").status
            XCTAssertEqual(status, 401)
        }
        // Now even the right password is refused for alice, before any password check…
        let locked = try await browser.signIn("alice", Self.password)
        XCTAssertEqual(locked.status, 429, locked.body)
        XCTAssertNotNil(locked.header("Retry-After"))
        XCTAssertTrue(locked.body.contains("Too many failed sign-ins"), locked.body)
        XCTAssertNil(browser.cookie)
        // …from any address, while another operator from the same address still signs in.
        var elsewhere = ConsoleBrowser(port: hub.apiPort, source: "127.0.0.2")
        let status2 = try await elsewhere.signIn("alice", Self.password).status
        XCTAssertEqual(status2, 429)
        let status3 = try await browser.signIn("victor", Self.password).status
        XCTAssertEqual(status3, 303)
    }

    func testConcurrentGuessesDoNotOutrunTheLimit() async throws {
        let hub = try await startHub {
            $0.console.maxFailuresPerUser = 3
            $0.console.maxFailuresPerSource = 100
        }
        defer { Task { await hub.stopAndRemove() } }
        let port = hub.apiPort
        // Ten guesses at once: an attempt counts from its start, so no more than three reach the password check.
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<10 {
                group.addTask {
                    var browser = ConsoleBrowser(port: port)
                    return try await browser.signIn("alice", "guess \(index) guess").status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        XCTAssertEqual(statuses.filter { $0 == 401 }.count, 3, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 429 }.count, 7, "\(statuses)")
    }

    func testFailedSignInsLockTheSourceAddress() async throws {
        let hub = try await startHub {
            $0.console.maxFailuresPerUser = 100
            $0.console.maxFailuresPerSource = 3
        }
        defer { Task { await hub.stopAndRemove() } }
        var attacker = ConsoleBrowser(port: hub.apiPort, source: "127.0.0.3")
        for name in ["root", "admin", "operator"] {
            let status = try await attacker.signIn(name, "guess guess").status
            XCTAssertEqual(status, 401)
        }
        let status2 = try await attacker.signIn("alice", Self.password).status
        XCTAssertEqual(status2, 429)
        var colleague = ConsoleBrowser(port: hub.apiPort, source: "127.0.0.1")
        let status3 = try await colleague.signIn("alice", Self.password).status
        XCTAssertEqual(status3, 303)
    }

    func testIdleSessionEnds() async throws {
        let hub = try await startHub { $0.console.sessionIdleSeconds = 1 }
        defer { Task { await hub.stopAndRemove() } }
        let browser = try await signedIn(hub)
        let page = try await browser.get("/console/products")
        XCTAssertEqual(page.status, 200)
        let token = try XCTUnwrap(page.csrf)
        try await Task.sleep(for: .milliseconds(2200))
        let expired = try await browser.get("/console/products")
        XCTAssertEqual(expired.status, 303)
        XCTAssertEqual(expired.header("Location"), "/console/signin")
        let post = try await browser.post("/console/products", [("_csrf", token), ("name", "late"), ("auth", "psk")])
        XCTAssertEqual(post.status, 403)
        let count = await hub.hub.registry.products(offset: 0, limit: 10).total
        XCTAssertEqual(count, 0)
    }

    func testRemovedOperatorOrChangedPasswordEndsTheSession() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let alice = try await signedIn(hub, "alice")
        let victor = try await signedIn(hub, "victor")
        let accounts = OperatorAccounts(store: hub.hub.operatorStore)
        try await accounts.changePassword(name: "alice", password: "another long password")
        try await accounts.remove(name: "victor")
        let status = try await alice.get("/console/products").status
        XCTAssertEqual(status, 303)
        let status2 = try await victor.get("/console/products").status
        XCTAssertEqual(status2, 303)
    }

    func testPostsWithoutTheSessionsCSRFTokenAreRefusedAndChangeNothing() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let browser = try await signedIn(hub)
        let token = try await browser.csrf()
        let other = try await signedIn(hub, "alice").csrf()
        XCTAssertNotEqual(token, other, "a token per session")
        for fields in [[("name", "forged"), ("auth", "psk")], [("_csrf", "x"), ("name", "forged"), ("auth", "psk")], [("_csrf", other), ("name", "forged"), ("auth", "psk")]] {
            let refused = try await browser.post("/console/products", fields)
            XCTAssertEqual(refused.status, 403, refused.body)
        }
        let count = await hub.hub.registry.products(offset: 0, limit: 10).total
        XCTAssertEqual(count, 0)
        // The dynamic-registration card too.
        let created = try await hub.api.call("CreateProduct", [("ProductName", .string("kept"))])
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        let before = try await hub.hub.registry.product(id)
        let refused = try await browser.post("/console/products/\(id)/registration", [("enabled", "on"), ("autocreate", "on"), ("limit", "7")])
        XCTAssertEqual(refused.status, 403)
        let value = try await hub.hub.registry.product(id)
        XCTAssertEqual(value, before)
        // A cross-site sign-in post is refused too (login CSRF).
        var fresh = ConsoleBrowser(port: hub.apiPort)
        let crossSite = try await fresh.post("/console/signin", [("name", "alice"), ("password", Self.password)], headers: [("Origin", "http://evil.example")])
        XCTAssertEqual(crossSite.status, 403)
        XCTAssertNil(crossSite.header("Set-Cookie"))
        fresh.cookie = nil
    }

    func testViewerSeesButCannotChange() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let created = try await hub.api.call("CreateProduct", [("ProductName", .string("seen"))])
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        let before = try await hub.hub.registry.product(id)
        let viewer = try await signedIn(hub, "victor")
        let list = try await viewer.get("/console/products")
        XCTAssertEqual(list.status, 200)
        XCTAssertTrue(list.body.contains("seen"))
        XCTAssertFalse(list.body.contains("Create product"), "no create form for a viewer")
        let details = try await viewer.get("/console/products/\(id)")
        XCTAssertEqual(details.status, 200)
        XCTAssertFalse(details.body.contains(#"<button type="submit">Save</button>"#))
        let token = try XCTUnwrap(list.csrf)
        let create = try await viewer.post("/console/products", [("_csrf", token), ("name", "nope"), ("auth", "psk")])
        XCTAssertEqual(create.status, 403)
        let card = try await viewer.post("/console/products/\(id)/registration", [("_csrf", token), ("enabled", "on"), ("limit", "5")])
        XCTAssertEqual(card.status, 403)
        let device = try await viewer.post("/console/products/\(id)/devices", [("_csrf", token), ("name", "d1")])
        XCTAssertEqual(device.status, 403)
        let count = await hub.hub.registry.products(offset: 0, limit: 10).total
        XCTAssertEqual(count, 1)
        let value = try await hub.hub.registry.product(id)
        XCTAssertEqual(value, before)
        let count2 = try await hub.hub.registry.devices(productId: id, filter: DeviceFilter(), offset: 0, limit: 10).total
        XCTAssertEqual(count2, 0)
        // A viewer may still sign out.
        let status = try await viewer.post("/console/signout", [("_csrf", token)]).status
        XCTAssertEqual(status, 303)
    }

    func testProductCreatedThroughTheFormIsInTheRegistry() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let browser = try await signedIn(hub)
        let token = try await browser.csrf()
        let created = try await browser.post(
            "/console/products", [("_csrf", token), ("name", "meter"), ("auth", "certificate"), ("description", "line 2 meters")]
        )
        XCTAssertEqual(created.status, 303, created.body)
        let location = try XCTUnwrap(created.header("Location"))
        let page = await hub.hub.registry.products(offset: 0, limit: 10)
        let product = try XCTUnwrap(page.products.first)
        XCTAssertEqual(page.total, 1)
        XCTAssertEqual(product.name, "meter")
        XCTAssertEqual(product.encryptionType, .certificate)
        XCTAssertEqual(product.description, "line 2 meters")
        XCTAssertTrue(location.hasPrefix("/console/products/\(product.id)"), location)
        let details = try await browser.get(location)
        XCTAssertEqual(details.status, 200)
        XCTAssertTrue(details.body.contains("Product created."))
        // The same rule as the API: a duplicate name is refused with the action's message, nothing created.
        let duplicate = try await browser.post("/console/products", [("_csrf", token), ("name", "meter"), ("auth", "psk")])
        XCTAssertEqual(duplicate.status, 400)
        XCTAssertTrue(duplicate.body.contains(#"class="error""#), duplicate.body)
        let count = await hub.hub.registry.products(offset: 0, limit: 10).total
        XCTAssertEqual(count, 1)
    }

    func testDynamicRegistrationCardChangesTheProduct() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let created = try await hub.api.call("CreateProduct", [("ProductName", .string("thermo"))])
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        let browser = try await signedIn(hub)
        let token = try await browser.csrf()

        let saved = try await browser.post("/console/products/\(id)/registration", [("_csrf", token), ("enabled", "on"), ("autocreate", "on"), ("limit", "2"), ("replay", "on")])
        XCTAssertEqual(saved.status, 303, saved.body)
        var product = try await hub.hub.registry.product(id)
        XCTAssertEqual(product.registerType, .autoCreate)
        XCTAssertEqual(product.registerLimit, 2)
        XCTAssertTrue(product.replayProtection)
        XCTAssertFalse(product.productSecret.isEmpty)

        let card = try await browser.get("/console/products/\(id)")
        XCTAssertTrue(card.body.contains(#"Created so far: <strong class="created">0</strong> of <strong class="limit">2</strong>"#), card.body)
        XCTAssertTrue(card.body.contains("Set a limit"), "the recommendation")
        XCTAssertTrue(card.body.contains("firmware bug"), "and why")
        XCTAssertFalse(card.body.contains(product.productSecret), "the secret stays hidden until revealed")
        let revealed = try await browser.get("/console/products/\(id)?reveal=secret")
        XCTAssertTrue(revealed.body.contains(#"<code id="product-secret">\#(product.productSecret)</code>"#), revealed.body)

        // Auto-create off: only pre-created names; replay protection off.
        let status = try await browser.post("/console/products/\(id)/registration", [("_csrf", token), ("enabled", "on"), ("limit", "2")]).status
        XCTAssertEqual(status, 303)
        product = try await hub.hub.registry.product(id)
        XCTAssertEqual(product.registerType, .preCreated)
        XCTAssertFalse(product.replayProtection)

        // Bad input: a clear message, nothing changed.
        for limit in ["many", "-1"] {
            let refused = try await browser.post("/console/products/\(id)/registration", [("_csrf", token), ("limit", limit)])
            XCTAssertEqual(refused.status, 400, refused.body)
            XCTAssertTrue(refused.body.contains(#"class="error""#), refused.body)
            let value = try await hub.hub.registry.product(id)
            XCTAssertEqual(value, product)
        }
    }

    func testProductDisableEnableAndDeleteAfterConfirmation() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let created = try await hub.api.call("CreateProduct", [("ProductName", .string("lamps")), ("ProductProperties", .object(["EncryptionType": .string("2")]))])
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        let browser = try await signedIn(hub)
        let token = try await browser.csrf()
        // The confirmation page changes nothing by itself; its form does.
        let confirm = try await browser.get("/console/products/\(id)/confirm?do=disable")
        XCTAssertEqual(confirm.status, 200)
        XCTAssertTrue(confirm.body.contains(#"action="/console/products/\#(id)/disable""#), confirm.body)
        var forbidden = try await hub.hub.registry.product(id).forbidden
        XCTAssertFalse(forbidden)
        let disabled = try await browser.post("/console/products/\(id)/disable", [("_csrf", token)]).status
        XCTAssertEqual(disabled, 303)
        forbidden = try await hub.hub.registry.product(id).forbidden
        XCTAssertTrue(forbidden)
        let details = try await browser.get("/console/products/\(id)").body
        XCTAssertTrue(details.contains("confirm?do=enable"))
        let enabled = try await browser.post("/console/products/\(id)/enable", [("_csrf", token)]).status
        XCTAssertEqual(enabled, 303)
        forbidden = try await hub.hub.registry.product(id).forbidden
        XCTAssertFalse(forbidden)

        // The API's rule: a product with devices cannot be deleted; the page says so and nothing changes.
        _ = try await hub.api.call("CreateDevice", [("ProductId", .string(id)), ("DeviceName", .string("lamp-1"))])
        let refused = try await browser.post("/console/products/\(id)/delete", [("_csrf", token)])
        XCTAssertEqual(refused.status, 400, refused.body)
        XCTAssertTrue(refused.body.contains(#"class="error""#))
        _ = try await hub.hub.registry.product(id)
        _ = try await hub.api.call("DeleteDevice", [("ProductId", .string(id)), ("DeviceName", .string("lamp-1"))])
        let deleted = try await browser.post("/console/products/\(id)/delete", [("_csrf", token)])
        XCTAssertEqual(deleted.status, 200, deleted.body)
        XCTAssertTrue(deleted.body.contains("Product \(id) deleted."))
        let count = await hub.hub.registry.products(offset: 0, limit: 10).total
        XCTAssertEqual(count, 0)
        let actions = try await hub.hub.operatorStore.operatorAudit(offset: 0, limit: 10).entries.map(\.action)
        XCTAssertEqual(Array(actions.prefix(4)), ["DeleteProduct", "DeleteProduct", "SetProductsForbiddenStatus", "SetProductsForbiddenStatus"])
    }

    func testRegistrationAuditPageFiltersAndEscapes() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let created = try await hub.api.call(
            "CreateProduct", [("ProductName", .string("units")), ("ProductProperties", .object(["EncryptionType": .string("2"), "RegisterType": .int(2), "RegisterLimit": .int(1)]))]
        )
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        let secret = try XCTUnwrap(created["ProductProperties"]?["ProductSecret"]?.stringValue)
        func register(_ name: String, nonce: Int) async throws {
            let body = RegistrationWire.legacyRequestBody(productId: id, deviceName: name, nonce: nonce, timestamp: Int64(Date().timeIntervalSince1970), productSecret: secret)
            _ = try await RawHTTP.exchange(
                port: hub.httpPort,
                request: RawHTTP.request(path: "/register/dev", headers: [("Host", "h"), ("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
            )
        }
        try await register("SN-1", nonce: 1)
        try await register("SN-2", nonce: 2)
        // A name a device made up, with markup in it: refused as invalid, and audited as sent.
        let xss = "<script>alert(1)</script>"
        let forged = #"{"deviceName":"\#(xss)","nonce":1,"productId":"\#(id)","timestamp":1,"signature":"x"}"#
        _ = try await RawHTTP.exchange(port: hub.httpPort, request: RawHTTP.request(path: "/register/dev", headers: [("Host", "h")], body: Array(forged.utf8)))

        let browser = try await signedIn(hub)
        let all = try await browser.get("/console/registrations?product=\(id)")
        XCTAssertEqual(all.status, 200)
        XCTAssertTrue(all.body.contains(#"<td class="attempt-device">SN-1</td>"#), all.body)
        XCTAssertTrue(all.body.contains(#"<td class="attempt-device">SN-2</td>"#))
        XCTAssertFalse(all.body.contains(xss))
        let refused = try await browser.get("/console/registrations?product=\(id)&result=failure")
        XCTAssertFalse(refused.body.contains(#"<td class="attempt-device">SN-1</td>"#), "the filter reaches the action")
        XCTAssertTrue(refused.body.contains(#"<td class="attempt-device">SN-2</td>"#), refused.body)
        let attempts = try await hub.hub.registry.auditLog(AuditQuery(productId: id, deviceName: "SN-2", limit: 1)).attempts
        let limitReason = try XCTUnwrap(attempts.first?.reason)
        XCTAssertTrue(refused.body.contains(#"<td class="attempt-reason">\#(limitReason)</td>"#), refused.body)
        let invalid = try await browser.get("/console/registrations?reason=invalid_request")
        XCTAssertTrue(invalid.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), invalid.body)
        XCTAssertFalse(invalid.body.contains(xss))
        let badTime = try await browser.get("/console/registrations?from=yesterday")
        XCTAssertEqual(badTime.status, 400)
        XCTAssertTrue(badTime.body.contains("Times are written as"), badTime.body)
    }

    func testUserAndDeviceSuppliedTextIsEscaped() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let xss = "<script>alert(1)</script>"
        let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
        let created = try await hub.api.call(
            "CreateProduct", [("ProductName", .string("xss")), ("ProductProperties", .object(["ProductDescription": .string(xss)]))]
        )
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        _ = try await hub.api.call("CreateDevice", [("ProductId", .string(id)), ("DeviceName", .string("d1"))])
        try await hub.hub.registry.recordFirmwareVersion(DeviceKey(productId: id, name: "d1"), version: xss)
        var browser = try await signedIn(hub)
        let token = try await browser.csrf()
        var pages = [
            try await browser.get("/console/products/\(id)"),
            try await browser.get("/console/products/\(id)/devices"),
            // A device name the registry refuses is shown back in the form.
            try await browser.post("/console/products/\(id)/devices", [("_csrf", token), ("name", xss)]),
        ]
        browser.cookie = nil
        pages.append(try await browser.signIn(xss, "whatever"))
        for page in pages {
            XCTAssertFalse(page.body.contains(xss), page.body)
            XCTAssertTrue(page.body.contains(escaped), page.body)
        }
    }

    func testAddedDeviceIsInTheRegistryAndItsCredentialShownOnce() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let created = try await hub.api.call("CreateProduct", [("ProductName", .string("bulbs")), ("ProductProperties", .object(["EncryptionType": .string("2")]))])
        let id = try XCTUnwrap(created["ProductId"]?.stringValue)
        let browser = try await signedIn(hub)
        let token = try await browser.csrf()
        let added = try await browser.post("/console/products/\(id)/devices", [("_csrf", token), ("name", "bulb-1")])
        XCTAssertEqual(added.status, 201, added.body)
        let device = try await hub.hub.registry.device(productId: id, name: "bulb-1")
        let psk = try XCTUnwrap(device.psk)
        XCTAssertTrue(added.body.contains(psk))
        // And as the SDKs' device_info.json, for download.
        let marker = #"download="device_info.json" href="data:application/json;base64,"#
        let encoded = try XCTUnwrap(added.body.range(of: marker).map { String(added.body[$0.upperBound...].prefix { $0 != "\"" }) })
        let file = try JSONSerialization.jsonObject(with: try XCTUnwrap(Data(base64Encoded: encoded))) as? [String: Any]
        XCTAssertEqual(file?["auth_mode"] as? String, "KEY")
        XCTAssertEqual(file?["productId"] as? String, id)
        XCTAssertEqual(file?["deviceName"] as? String, "bulb-1")
        XCTAssertEqual((file?["key_deviceinfo"] as? [String: Any])?["deviceSecret"] as? String, psk)
        // The device SDK reads it as the device's identity, for a PSK device and a certificate device.
        let certProduct = try await hub.api.call("CreateProduct", [("ProductName", .string("cams")), ("ProductProperties", .object(["EncryptionType": .string("1")]))])
        let certId = try XCTUnwrap(certProduct["ProductId"]?.stringValue)
        let certPage = try await browser.post("/console/products/\(certId)/devices", [("_csrf", token), ("name", "cam-1")])
        XCTAssertEqual(certPage.status, 201, certPage.body)
        for (page, productId, name) in [(added, id, "bulb-1"), (certPage, certId, "cam-1")] {
            let text = try XCTUnwrap(page.body.range(of: marker).map { String(page.body[$0.upperBound...].prefix { $0 != "\"" }) })
            let path = NSTemporaryDirectory() + "device_info-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try XCTUnwrap(Data(base64Encoded: text)).write(to: URL(fileURLWithPath: path))
            let identity = try FileIdentityStore(path: path).load()
            XCTAssertEqual(identity.productId, productId)
            XCTAssertEqual(identity.deviceName, name)
            switch identity.credential {
            case .psk(let key)?: XCTAssertEqual(key, psk)
            case .certificate(certificatePEM: let certificate, privateKeyPEM: let key)?:
                XCTAssertTrue(certificate.contains("BEGIN CERTIFICATE"))
                XCTAssertTrue(key.contains("PRIVATE KEY"))
            case nil: XCTFail("no credential in the file")
            }
        }
        let list = try await browser.get("/console/products/\(id)/devices")
        XCTAssertTrue(list.body.contains(#"<td class="device-name"><a href="/console/products/\#(id)/devices/bulb-1">bulb-1</a></td>"#), list.body)
        XCTAssertFalse(list.body.contains(psk))
    }

    func testConsoleChangesAreInTheOperatorAudit() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let browser = try await signedIn(hub)
        let token = try await browser.csrf()
        let created = try await browser.post("/console/products", [("_csrf", token), ("name", "audited"), ("auth", "psk")])
        let id = try XCTUnwrap(created.header("Location")?.split(separator: "/").last?.split(separator: "?").first.map(String.init))
        _ = try await browser.post("/console/products/\(id)/registration", [("_csrf", token), ("enabled", "on"), ("autocreate", "on"), ("limit", "9")])
        _ = try await browser.post("/console/products", [("_csrf", token), ("name", "bad name!"), ("auth", "psk")])
        let viewer = try await signedIn(hub, "victor")
        _ = try await viewer.post("/console/products", [("_csrf", try await viewer.csrf()), ("name", "refused"), ("auth", "psk")])

        let rows = try await hub.hub.operatorStore.operatorAudit(offset: 0, limit: 100).entries.reversed().filter { $0.source != "cli" }
        let summary = rows.map { "\($0.operatorName) \($0.action) \($0.target) \($0.result)" }
        XCTAssertEqual(
            summary,
            [
                "alice SignIn alice ok", "alice CreateProduct audited ok", "alice UpdateProductDynamicRegister \(id) ok",
                "alice CreateProduct bad name! InvalidParameterValue", "victor SignIn victor ok",
            ]
        )
        guard rows.count == 5 else { return }
        XCTAssertEqual(rows[2].detail, "RegisterType=2 RegisterLimit=9")
        XCTAssertEqual(rows[1].source, "127.0.0.1")
        let page = try await browser.get("/console/audit")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains(#"<td class="audit-action">UpdateProductDynamicRegister</td>"#), page.body)
        XCTAssertTrue(page.body.contains(#"<td class="audit-operator">alice</td>"#))
        XCTAssertTrue(page.body.contains(#"<td class="audit-operator">cli</td>"#), "the account changes made with the CLI")
    }

    func testConsoleUserCommands() async throws {
        let directory = NSTemporaryDirectory() + "iothub-console-cli-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = ["--data-dir", directory]
        let added = try await HubProcess.runTool("iothub", ["console", "user", "add", "ops", "--role", "viewer"] + data, input: "a long enough password\n")
        XCTAssertEqual(added.status, 0, added.stderr)
        let short = try await HubProcess.runTool("iothub", ["console", "user", "add", "other"] + data, input: "short\n")
        XCTAssertNotEqual(short.status, 0)
        XCTAssertTrue(short.stderr.contains("at least 8"), short.stderr)
        let listed = try await HubProcess.runTool("iothub", ["console", "user", "list"] + data)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(listed.stdout.contains("ops   viewer"), listed.stdout)
        XCTAssertFalse(listed.stdout.contains("other"))
        let status = try await HubProcess.runTool("iothub", ["console", "user", "passwd", "ops"] + data, input: "another long password\n").status
        XCTAssertEqual(status, 0)

        // The hub on that directory signs the operator in with the new password.
        let hub = try await TestHub.start(dataDirectory: directory)
        var browser = ConsoleBrowser(port: hub.apiPort)
        let status2 = try await browser.signIn("ops", "a long enough password").status
        XCTAssertEqual(status2, 401)
        let status3 = try await browser.signIn("ops", "another long password").status
        XCTAssertEqual(status3, 303)
        let stored = try await hub.hub.operatorStore.operatorAccount(named: "ops")
        XCTAssertTrue(stored?.passwordHash.hasPrefix("$2b$10$") ?? false, "bcrypt, cost 10")
        await hub.stop()

        let status4 = try await HubProcess.runTool("iothub", ["console", "user", "remove", "ops"] + data).status
        XCTAssertEqual(status4, 0)
        let audit = try await HubProcess.runTool("iothub", ["console", "audit"] + data)
        XCTAssertEqual(audit.status, 0, audit.stderr)
        let actions = audit.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().dropFirst().first }
        XCTAssertEqual(actions.prefix(4), ["DeleteOperator", "SignIn", "ChangeOperatorPassword", "CreateOperator"], audit.stdout)
        let empty = try await HubProcess.runTool("iothub", ["console", "user", "list"] + data)
        XCTAssertFalse(empty.stdout.contains("ops"))
        let status5 = try await HubProcess.runTool("iothub", ["console", "user", "remove", "ops"] + data).status
        XCTAssertNotEqual(status5, 0)
    }
}
