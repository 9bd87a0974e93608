import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import Registry

/// Renders the templates into responses with the console's headers (no caching, no framing, a content
/// security policy that allows only the hub's own style sheet and script).
struct ConsolePages: Sendable {
    let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        for (name, text) in [
            ("layout", ConsoleTemplates.layout), ("signin", ConsoleTemplates.signIn), ("products", ConsoleTemplates.products),
            ("product", ConsoleTemplates.product), ("devices", ConsoleTemplates.devices), ("device-created", ConsoleTemplates.deviceCreated),
            ("audit", ConsoleTemplates.audit), ("message", ConsoleTemplates.message), ("confirm", ConsoleTemplates.confirm), ("registrations", ConsoleTemplates.registrations),
            ("registration-rows", ConsoleTemplates.registrationRows), ("registration-rows-poll", ConsoleTemplates.registrationRowsPoll),
            ("firmware-overview", ConsoleTemplates.firmwareOverview), ("firmware", ConsoleTemplates.firmware), ("firmware-task", ConsoleTemplates.firmwareTask),
            ("firmware-task-progress", ConsoleTemplates.firmwareTaskProgress),
            ("device", ConsoleTemplates.device), ("device-confirm", ConsoleTemplates.deviceConfirm), ("devices-imported", ConsoleTemplates.devicesImported),
        ] + ConsoleTemplates.overviewTemplates {
            try library.register(text, named: name)
        }
        self.library = library
    }

    static func headers(contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return headers
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = headers(contentType: type)
        headers[.cacheControl] = "max-age=300"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// One template rendered with `data` (no layout).
    func fragment(_ template: String, _ data: [String: Any]) -> String {
        library.render(data, withTemplate: template) ?? ""
    }

    /// A whole page: `template` rendered with `data`, inside the layout.
    func render(
        _ template: String, title: String, data: [String: Any], visit: Console.Visit?, status: HTTPResponse.Status = .ok,
        error: String? = nil, notice: String? = nil, extraHeaders: HTTPFields = [:]
    ) -> Response {
        var data = data
        if let visit {
            data["signedIn"] = true
            data["operatorName"] = visit.account.name
            data["role"] = visit.account.role.rawValue
            data["csrf"] = visit.session.csrfToken
            data["canChange"] = visit.canChange
        }
        let body = fragment(template, data)
        var page: [String: Any] = ["title": title, "body": body]
        for key in ["signedIn", "operatorName", "role", "csrf"] { page[key] = data[key] }
        if let error { page["error"] = error }
        if let notice { page["notice"] = notice }
        let html = fragment("layout", page)
        var headers = Self.headers(contentType: "text/html; charset=utf-8")
        headers.append(contentsOf: extraHeaders)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// An HTML fragment a section of a page refreshes itself with (`data-poll` in the console's script).
    func poll(_ template: String, data: [String: Any]) -> Response {
        Response(status: .ok, headers: Self.headers(contentType: "text/html; charset=utf-8"), body: ResponseBody(byteBuffer: ByteBuffer(string: fragment(template, data))))
    }

    func message(status: HTTPResponse.Status, title: String, message: String, back: String?, visit: Console.Visit?) -> Response {
        var data: [String: Any] = ["message": message]
        if let back { data["back"] = back }
        return render("message", title: title, data: data, visit: visit, status: status)
    }

    /// Unix milliseconds (or seconds, below 10^11) as `2026-12-07 10:15:02`; 0 as "-".
    static func time(_ value: Int64) -> String {
        guard value > 0 else { return "-" }
        let seconds = value < 100_000_000_000 ? Double(value) : Double(value) / 1000
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
