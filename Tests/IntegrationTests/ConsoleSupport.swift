import Foundation
import HubConsole
import HubServer
import HubTesting
import JSONCore
import Registry

/// A minimal browser for the console's HTTP tests: one cookie jar, form posts, raw responses.
struct ConsoleBrowser {
    struct Page {
        var status: Int
        var headerLines: [String]
        var body: String

        func header(_ name: String) -> String? {
            headerLines.first { $0.lowercased().hasPrefix(name.lowercased() + ":") }.map {
                String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
            }
        }

        /// The first form's CSRF token.
        var csrf: String? {
            guard let range = body.range(of: #"name="_csrf" value=""#) else { return nil }
            return String(body[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    let port: Int
    /// Loopback address the requests come from (127.0.0.2, … act as other sources).
    var source: String?
    var cookie: String?

    init(port: Int, source: String? = nil) {
        self.port = port
        self.source = source
    }

    func get(_ path: String) async throws -> Page {
        try await send("GET", path, body: [])
    }

    func post(_ path: String, _ fields: [(String, String)], headers: [(String, String)] = []) async throws -> Page {
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send("POST", path, body: Array(body.utf8), headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers)
    }

    func send(_ method: String, _ path: String, body: [UInt8], headers: [(String, String)] = []) async throws -> Page {
        var all = [("Host", "127.0.0.1:\(port)")] + headers
        if let cookie { all.append(("Cookie", "iothub_console=\(cookie)")) }
        let raw = try await RawHTTP.exchange(port: port, from: source, request: RawHTTP.request(method: method, path: path, headers: all, body: body))
        guard let parsed = RawHTTP.parse(raw) else { throw ConsoleTestFailure(description: "unparsable response to \(method) \(path)") }
        return Page(status: parsed.status, headerLines: parsed.headerLines, body: String(decoding: parsed.body, as: UTF8.self))
    }

    /// Signs in; keeps the session cookie. Returns the answer to the sign-in post.
    @discardableResult
    mutating func signIn(_ name: String, _ password: String) async throws -> Page {
        let page = try await post("/console/signin", [("name", name), ("password", password)])
        if let setCookie = page.header("Set-Cookie"), let value = setCookie.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last {
            cookie = String(value)
        }
        return page
    }

    /// The CSRF token of the session (read from a page's sign-out form).
    func csrf() async throws -> String {
        guard let token = try await get("/console/products").csrf else { throw ConsoleTestFailure(description: "no CSRF token on the page") }
        return token
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }
}

struct ConsoleTestFailure: Error, CustomStringConvertible {
    var description: String
}

extension TestHub {
    /// The console tests' operators: alice (admin) and victor (viewer), both with `password`.
    func addConsoleOperators(password: String) async throws {
        let accounts = OperatorAccounts(store: hub.operatorStore)
        try await accounts.add(name: "alice", role: .admin, password: password)
        try await accounts.add(name: "victor", role: .viewer, password: password)
    }

    /// A key (PSK) product named `product` with devices dev1…dev3: its ProductId and each device's PSK.
    func productWithThreeDevices(_ product: String) async throws -> (productId: String, psks: [String: String]) {
        let created = try await api.call("CreateProduct", [("ProductName", .string(product)), ("ProductProperties", .object(["EncryptionType": .string("2")]))])
        guard let productId = created["ProductId"]?.stringValue else { throw ConsoleTestFailure(description: "CreateProduct answered no ProductId") }
        var psks: [String: String] = [:]
        for name in ["dev1", "dev2", "dev3"] {
            let device = try await api.call("CreateDevice", [("ProductId", .string(productId)), ("DeviceName", .string(name))])
            guard let psk = device["DevicePsk"]?.stringValue else { throw ConsoleTestFailure(description: "CreateDevice answered no DevicePsk") }
            psks[name] = psk
        }
        return (productId, psks)
    }
}
