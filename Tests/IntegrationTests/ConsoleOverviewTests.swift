import DeviceAuth
import Foundation
import HubConsole
import HubServer
import HubTesting
import JSONCore
import MQTTCore
import Registry
import XCTest

/// The console's overview (charts fed by DescribeHubStatistics), applications page and the product page's
/// remote-configuration and webhook cards, over HTTP against an in-process hub with real registrations,
/// MQTT clients and a webhook endpoint.
final class ConsoleOverviewTests: XCTestCase {
    static let password = "correct horse battery"

    func startHub() async throws -> TestHub {
        let hub = try await TestHub.start()
        try await hub.addConsoleOperators(password: Self.password)
        return hub
    }

    func signedIn(_ hub: TestHub, _ name: String = "alice") async throws -> ConsoleBrowser {
        var browser = ConsoleBrowser(port: hub.apiPort)
        let answer = try await browser.signIn(name, Self.password)
        XCTAssertEqual(answer.status, 303, answer.body)
        XCTAssertEqual(answer.header("Location"), "/console/overview", "the overview is the home")
        return browser
    }

    func createProduct(_ hub: TestHub, _ name: String, registerLimit: Int? = nil) async throws -> (id: String, secret: String) {
        var properties: [String: JSONValue] = ["EncryptionType": .string("2")]
        if let registerLimit {
            properties["RegisterType"] = .int(2)
            properties["RegisterLimit"] = .int(Int64(registerLimit))
        }
        let created = try await hub.api.call("CreateProduct", [("ProductName", .string(name)), ("ProductProperties", JSONValue.object(JSONObject(properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })))])
        return (try XCTUnwrap(created["ProductId"]?.stringValue), created["ProductProperties"]?["ProductSecret"]?.stringValue ?? "")
    }

    /// One dynamic registration over HTTP (the legacy endpoint), signed with `secret`; the hub's answer code.
    func register(_ hub: TestHub, productId: String, name: String, secret: String, nonce: Int) async throws -> Int {
        let body = RegistrationWire.legacyRequestBody(productId: productId, deviceName: name, nonce: nonce, timestamp: Int64(Date().timeIntervalSince1970), productSecret: secret)
        let raw = try await RawHTTP.exchange(
            port: hub.httpPort,
            request: RawHTTP.request(path: "/register/dev", headers: [("Host", "h"), ("Content-Type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
        )
        let answer = try JSONValue(parsing: try XCTUnwrap(RawHTTP.parse(raw)).body)
        return answer["code"]?.intValue ?? -1
    }

    /// Waits (a bound for a hung hub, not a measurement) until `condition` holds.
    func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTFail("never happened: \(what)")
    }

    // MARK: reading the charts

    /// The `<figure>` of one chart.
    static func figure(_ page: String, _ id: String) -> String {
        guard let start = page.range(of: #"<figure class="chart" id="\#(id)">"#) else { return "" }
        let rest = page[start.lowerBound...]
        guard let end = rest.range(of: "</figure>") else { return "" }
        return String(rest[..<end.upperBound])
    }

    /// The legend's total of a series in a chart.
    static func legendTotal(_ page: String, _ chart: String, _ series: String) -> Int? {
        let figure = figure(page, chart)
        guard let range = figure.range(of: #"<li data-series="\#(series)" data-total=""#) else { return nil }
        return Int(figure[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The sum of the bars' counts of a series in a chart.
    static func barTotal(_ page: String, _ chart: String, _ series: String) -> Int {
        let figure = figure(page, chart)
        var total = 0
        var rest = Substring(figure)
        while let range = rest.range(of: #"data-series="\#(series)" data-count=""#) {
            total += Int(rest[range.upperBound...].prefix { $0 != "\"" }) ?? 0
            rest = rest[range.upperBound...]
        }
        return total
    }

    static func stat(_ page: String, _ id: String) -> String? {
        guard let range = page.range(of: #"<span class="stat-value" id="\#(id)">"#) else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "<" })
    }

    // MARK: overview

    func testOverviewChartCarriesTheRegistrationsAndRefusalsPerReason() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let (id, secret) = try await createProduct(hub, "meters", registerLimit: 2)
        var codes: [Int] = []
        // Two accepted, one refused for the limit, three refused for a wrong signature.
        for (index, name) in ["m-1", "m-2", "m-3"].enumerated() {
            codes.append(try await register(hub, productId: id, name: name, secret: secret, nonce: index + 1))
        }
        for index in 0..<3 {
            codes.append(try await register(hub, productId: id, name: "forged-\(index)", secret: "WrongSecretWrongSecret", nonce: 100 + index))
        }
        XCTAssertEqual(codes, [0, 0, 1025, 1010, 1010, 1010], "the hub's own answers")

        let browser = try await signedIn(hub)
        let page = try await browser.get("/console/overview")
        XCTAssertEqual(page.status, 200, page.body)
        let body = page.body
        XCTAssertTrue(body.contains(#"<nav><a href="/console/overview">Overview</a>"#), "first in the navigation")
        let chart = "chart-registrations"
        XCTAssertTrue(body.contains(#"<svg role="img" aria-labelledby="\#(chart)-title \#(chart)-desc""#), body)
        XCTAssertEqual(Self.legendTotal(body, chart, "accepted"), 2, body)
        XCTAssertEqual(Self.legendTotal(body, chart, "refused:register_limit_reached"), 1, body)
        XCTAssertEqual(Self.legendTotal(body, chart, "refused:signature_mismatch"), 3, body)
        XCTAssertEqual(Self.barTotal(body, chart, "accepted"), 2)
        XCTAssertEqual(Self.barTotal(body, chart, "refused:register_limit_reached"), 1)
        XCTAssertEqual(Self.barTotal(body, chart, "refused:signature_mismatch"), 3)
        XCTAssertEqual(Self.stat(body, "accepted-hour"), "2")
        XCTAssertEqual(Self.stat(body, "refused-hour"), "4")
        XCTAssertTrue(body.contains(#"<desc id="chart-registrations-desc">In this period: accepted 2, refused: signature_mismatch 3, refused: register_limit_reached 1.</desc>"#), body)
        // Every bar segment says what it is (tooltip and screen readers).
        XCTAssertTrue(body.contains(" refused: signature_mismatch</title></rect>"), body)
        XCTAssertTrue(body.contains(#"<li data-series="refused:signature_mismatch" data-total="3"><svg class="swatch""#), "a legend entry with its colour")
        XCTAssertFalse(body.contains("style="), "no inline style: the content security policy would block it")
        XCTAssertFalse(body.contains("<script>"), "no inline script")

        // The same figures through the management API, signed.
        let statistics = try await hub.api.call("DescribeHubStatistics")
        let minutes = try XCTUnwrap(statistics["Registrations"]?.arrayValue)
        XCTAssertEqual(minutes.count, 60)
        XCTAssertEqual(minutes.reduce(0) { $0 + ($1["Accepted"]?.intValue ?? 0) }, 2)
        XCTAssertEqual(minutes.reduce(0) { $0 + ($1["Refused"]?.intValue ?? 0) }, 4)
        let reasons = minutes.flatMap { $0["RefusedByReason"]?.arrayValue ?? [] }
        XCTAssertEqual(reasons.filter { $0["Reason"] == .string("signature_mismatch") }.reduce(0) { $0 + ($1["Count"]?.intValue ?? 0) }, 3)
    }

    func testOnlineCountAndMessagesFollowAConnectedDevice() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let (id, _) = try await createProduct(hub, "lamps")
        let created = try await hub.api.call("CreateDevice", [("ProductId", .string(id)), ("DeviceName", .string("lamp-1"))])
        let psk = try XCTUnwrap(created["DevicePsk"]?.stringValue)
        let browser = try await signedIn(hub)
        let before = try await browser.get("/console/overview").body
        XCTAssertEqual(Self.stat(before, "online-total"), "0")
        XCTAssertTrue(before.contains("No device is connected."))

        let (device, ack) = try await TestMQTTClient.device(port: await hub.port(.mqtt), productId: id, deviceName: "lamp-1", psk: psk)
        XCTAssertEqual(ack?.returnCode, 0)
        for index in 0..<5 { try await device.publish("\(id)/lamp-1/event", "m\(index)") }
        var page = ""
        try await eventually("the overview shows the device online and its 5 messages") {
            page = try await browser.get("/console/overview").body
            return Self.stat(page, "online-total") == "1" && Self.legendTotal(page, "chart-messages-seconds", "messages") == 5
        }
        XCTAssertTrue(page.contains(#"data-product="\#(id)" data-online="1""#), page)
        XCTAssertTrue(page.contains(#"<title>lamps (\#(id)): 1 online</title>"#), page)
        XCTAssertEqual(Self.legendTotal(page, "chart-messages-minutes", "messages"), 5)
        XCTAssertEqual(Self.barTotal(page, "chart-messages-seconds", "messages"), 5)

        await device.close()
        try await eventually("the overview shows the device offline") {
            let body = try await browser.get("/console/overview").body
            return Self.stat(body, "online-total") == "0" && !body.contains("data-product=\"\(id)\"")
        }
    }

    // MARK: applications

    func testApplicationCreatedShowsItsSecretOnceConnectsAndIsDeleted() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let (id, _) = try await createProduct(hub, "fleet")
        let browser = try await signedIn(hub)
        let list = try await browser.get("/console/applications")
        XCTAssertEqual(list.status, 200)
        XCTAssertTrue(list.body.contains(#"<input type="checkbox" name="products" value="\#(id)""#), list.body)
        let token = try XCTUnwrap(list.csrf)

        // No product: the action's rule, shown on the page; nothing created.
        let refused = try await browser.post("/console/applications", [("_csrf", token), ("name", "backend")])
        XCTAssertEqual(refused.status, 400, refused.body)
        XCTAssertTrue(refused.body.contains(#"class="error""#))
        let none = await hub.hub.registry.applications(offset: 0, limit: 10).total
        XCTAssertEqual(none, 0)

        let created = try await browser.post("/console/applications", [("_csrf", token), ("name", "backend"), ("products", id)])
        XCTAssertEqual(created.status, 201, created.body)
        func code(_ id: String) -> String? {
            guard let range = created.body.range(of: #"<code id="\#(id)">"#) else { return nil }
            return String(created.body[range.upperBound...].prefix { $0 != "<" })
        }
        let appId = try XCTUnwrap(code("app-id"))
        let secret = try XCTUnwrap(code("app-secret"))
        XCTAssertTrue(created.body.contains(#"data-copy="app-secret""#), "with a copy button")
        let stored = await hub.hub.registry.applications(offset: 0, limit: 10).applications
        XCTAssertEqual(stored.map(\.id), [appId])
        XCTAssertEqual(stored.first?.productIds, [id])

        // Shown once: the list has the application but not its secret.
        let listed = try await browser.get("/console/applications")
        XCTAssertTrue(listed.body.contains(#"<code class="app-id">\#(appId)</code>"#), listed.body)
        XCTAssertFalse(listed.body.contains(secret))

        // The credential works: the application connects to the broker (and a wrong secret does not).
        let port = await hub.port(.mqtt)
        let (app, ack) = try await TestMQTTClient.plain(port: port, clientId: "backend-1", username: appId, password: secret)
        XCTAssertEqual(ack?.returnCode, 0)
        let (_, wrong) = try await TestMQTTClient.plain(port: port, clientId: "backend-2", username: appId, password: secret + "x")
        XCTAssertNotEqual(wrong?.returnCode, 0)
        await app.close()

        // Delete after a confirmation page.
        let confirm = try await browser.get("/console/applications/\(appId)/confirm")
        XCTAssertEqual(confirm.status, 200)
        XCTAssertTrue(confirm.body.contains(#"action="/console/applications/\#(appId)/delete""#), confirm.body)
        let deleted = try await browser.post("/console/applications/\(appId)/delete", [("_csrf", token)])
        XCTAssertEqual(deleted.status, 303, deleted.body)
        let after = try await browser.get(try XCTUnwrap(deleted.header("Location")))
        XCTAssertTrue(after.body.contains("Application \(appId) deleted."), after.body)
        XCTAssertFalse(after.body.contains(#"<code class="app-id">"#))
        let remaining = await hub.hub.registry.applications(offset: 0, limit: 10).total
        XCTAssertEqual(remaining, 0)
        let (_, gone) = try await TestMQTTClient.plain(port: port, clientId: "backend-3", username: appId, password: secret)
        XCTAssertNotEqual(gone?.returnCode, 0, "the deleted application's credential no longer connects")

        let actions = try await hub.hub.operatorStore.operatorAudit(offset: 0, limit: 10).entries.map { "\($0.action) \($0.result)" }
        XCTAssertEqual(Array(actions.prefix(3)), ["DeleteApplication ok", "CreateApplication ok", "CreateApplication MissingParameter"])
    }

    // MARK: product page: remote configuration and webhook

    func testRemoteConfigCardSetsAndRefusesInvalidJSON() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let (id, _) = try await createProduct(hub, "thermo")
        let browser = try await signedIn(hub)
        let token = try await browser.csrf()
        let initial = try await browser.get("/console/products/\(id)")
        XCTAssertTrue(initial.body.contains(#"<textarea name="config" rows="6" class="code">{}</textarea>"#), initial.body)

        let saved = try await browser.post("/console/products/\(id)/remote-config", [("_csrf", token), ("config", #"{"interval":30,"label":"<i>hall</i>"}"#)])
        XCTAssertEqual(saved.status, 303, saved.body)
        let config = try await hub.hub.registry.product(id).remoteConfig
        XCTAssertEqual(config, #"{"interval":30,"label":"<i>hall</i>"}"#)
        let shown = try await browser.get("/console/products/\(id)")
        XCTAssertTrue(shown.body.contains("&lt;i&gt;hall&lt;/i&gt;"), shown.body)
        XCTAssertFalse(shown.body.contains("<i>hall</i>"))

        for text in [#"{"interval":"#, "[1,2]", "not json"] {
            let refused = try await browser.post("/console/products/\(id)/remote-config", [("_csrf", token), ("config", text)])
            XCTAssertEqual(refused.status, 400, refused.body)
            XCTAssertTrue(refused.body.contains(#"<p class="error" role="alert">Config must be a JSON object</p>"#), refused.body)
            XCTAssertTrue(refused.body.contains(">\(text.replacingOccurrences(of: "\"", with: "&quot;"))</textarea>"), "the text is kept: \(refused.body)")
            let unchanged = try await hub.hub.registry.product(id).remoteConfig
            XCTAssertEqual(unchanged, config)
        }
        let actions = try await hub.hub.operatorStore.operatorAudit(offset: 0, limit: 10).entries.map { "\($0.action) \($0.result)" }
        XCTAssertEqual(actions.first, "UpdateProductRemoteConfig InvalidParameterValue.InvalidJSON")
        XCTAssertTrue(actions.contains("UpdateProductRemoteConfig ok"))
    }

    func testWebhookCardSetsTheURLShowsTheCountersAndClearsIt() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        let hub = try await startHub()
        defer {
            Task {
                await hub.stopAndRemove()
                await receiver.stop()
            }
        }
        let (id, _) = try await createProduct(hub, "hooked")
        let created = try await hub.api.call("CreateDevice", [("ProductId", .string(id)), ("DeviceName", .string("d1"))])
        let psk = try XCTUnwrap(created["DevicePsk"]?.stringValue)
        let browser = try await signedIn(hub)
        let token = try await browser.csrf()
        let off = try await browser.get("/console/products/\(id)")
        XCTAssertTrue(off.body.contains(#"<dd class="webhook-url">none: the webhook is off</dd>"#), off.body)

        let bad = try await browser.post("/console/products/\(id)/webhook", [("_csrf", token), ("url", "ftp://127.0.0.1/x")])
        XCTAssertEqual(bad.status, 400, bad.body)
        XCTAssertTrue(bad.body.contains(#"class="error""#))
        let none = try await hub.hub.registry.product(id).webhookURL
        XCTAssertNil(none)

        let url = "http://127.0.0.1:\(receiver.port)/hook"
        let saved = try await browser.post("/console/products/\(id)/webhook", [("_csrf", token), ("url", url)])
        XCTAssertEqual(saved.status, 303, saved.body)
        let stored = try await hub.hub.registry.product(id).webhookURL
        XCTAssertEqual(stored, url)

        // Events reach the endpoint (the URL table is read once a second: connect until one arrives).
        let port = await hub.port(.mqtt)
        try await eventually("an event delivered") {
            let (device, _) = try await TestMQTTClient.device(port: port, productId: id, deviceName: "d1", psk: psk)
            await device.close()
            try await Task.sleep(for: .milliseconds(300))
            return !receiver.received.isEmpty
        }
        var page = ""
        try await eventually("the card shows what the action counts as delivered") {
            let delivered = try await hub.api.call("DescribeProductWebhook", [("ProductId", .string(id))])["Delivered"]?.intValue ?? 0
            page = try await browser.get("/console/products/\(id)").body
            let again = try await hub.api.call("DescribeProductWebhook", [("ProductId", .string(id))])["Delivered"]?.intValue ?? 0
            return delivered > 0 && delivered == again && page.contains(#"<dd class="webhook-delivered">\#(delivered)</dd>"#)
        }
        XCTAssertTrue(page.contains(#"<dd class="webhook-url"><code>\#(url)</code></dd>"#), page)
        XCTAssertTrue(page.contains(#"<dd class="webhook-failed">0</dd>"#), page)

        // The endpoint fails: the failed attempts and the queue show on the card.
        receiver.setFailing(true)
        let (device, _) = try await TestMQTTClient.device(port: port, productId: id, deviceName: "d1", psk: psk)
        await device.close()
        try await eventually("a failed attempt counted and shown") {
            let counts = try await hub.api.call("DescribeProductWebhook", [("ProductId", .string(id))])
            guard let failed = counts["Failed"]?.intValue, failed > 0 else { return false }
            page = try await browser.get("/console/products/\(id)").body
            return !page.contains(#"<dd class="webhook-failed">0</dd>"#) && !page.contains(#"<dd class="webhook-queued">0</dd>"#)
        }

        // Cleared: the webhook is off.
        XCTAssertTrue(page.contains(#"<form method="post" action="/console/products/\#(id)/webhook" class="clear-webhook">"#), page)
        let cleared = try await browser.post("/console/products/\(id)/webhook", [("_csrf", token), ("url", "")])
        XCTAssertEqual(cleared.status, 303)
        let after = try await hub.hub.registry.product(id).webhookURL
        XCTAssertNil(after)
        let actions = try await hub.hub.operatorStore.operatorAudit(offset: 0, limit: 10).entries.map { "\($0.action) \($0.result) \($0.detail)" }
        XCTAssertEqual(Array(actions.prefix(2)), ["UpdateProductWebhook ok Url=", "UpdateProductWebhook ok Url=\(url)"])
    }

    // MARK: roles and CSRF

    func testViewerSeesTheNewPagesButEveryChangeIsRefused() async throws {
        let hub = try await startHub()
        defer { Task { await hub.stopAndRemove() } }
        let (id, _) = try await createProduct(hub, "watched")
        let app = try await hub.api.call("CreateApplication", [("Name", .string("existing")), ("ProductIds", .array([.string(id)]))])
        let appId = try XCTUnwrap(app["AppId"]?.stringValue)
        _ = try await hub.api.call("UpdateProductRemoteConfig", [("ProductId", .string(id)), ("Config", .string(#"{"a":1}"#))])
        let before = try await hub.hub.registry.product(id)

        let viewer = try await signedIn(hub, "victor")
        let overview = try await viewer.get("/console/overview")
        XCTAssertEqual(overview.status, 200)
        XCTAssertTrue(overview.body.contains(#"id="chart-registrations""#))
        let apps = try await viewer.get("/console/applications")
        XCTAssertEqual(apps.status, 200)
        XCTAssertTrue(apps.body.contains(appId))
        XCTAssertFalse(apps.body.contains(#"action="/console/applications""#), "no create form")
        XCTAssertFalse(apps.body.contains("/confirm"), "no delete link")
        let product = try await viewer.get("/console/products/\(id)")
        XCTAssertTrue(product.body.contains(#"<pre id="remote-config-value">{&quot;a&quot;:1}</pre>"#), product.body)
        XCTAssertFalse(product.body.contains("/remote-config\""), "no remote-config form")
        XCTAssertFalse(product.body.contains("/webhook\""), "no webhook form")
        XCTAssertTrue(product.body.contains(#"<dd class="webhook-delivered">0</dd>"#), "the counters are shown")
        let confirm = try await viewer.get("/console/applications/\(appId)/confirm")
        XCTAssertEqual(confirm.status, 403)

        let token = try XCTUnwrap(apps.csrf)
        for (path, fields) in [
            ("/console/applications", [("name", "nope"), ("products", id)]),
            ("/console/applications/\(appId)/delete", []),
            ("/console/products/\(id)/remote-config", [("config", #"{"b":2}"#)]),
            ("/console/products/\(id)/webhook", [("url", "http://127.0.0.1:9/x")]),
        ] {
            let refused = try await viewer.post(path, [("_csrf", token)] + fields)
            XCTAssertEqual(refused.status, 403, path)
        }
        // An admin's post without the session's CSRF token is refused too.
        let admin = try await signedIn(hub)
        for path in ["/console/applications/\(appId)/delete", "/console/products/\(id)/remote-config", "/console/products/\(id)/webhook"] {
            let refused = try await admin.post(path, [("_csrf", "forged"), ("config", "{}"), ("url", "")])
            XCTAssertEqual(refused.status, 403, path)
        }
        let after = try await hub.hub.registry.product(id)
        XCTAssertEqual(after, before)
        let count = await hub.hub.registry.applications(offset: 0, limit: 10).total
        XCTAssertEqual(count, 1)
    }
}
