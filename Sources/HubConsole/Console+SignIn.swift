import Foundation
import HTTPTypes
import HubHTTP
import Hummingbird
import Logging
import Registry

extension Console {
    func signInPage(_ request: Request, _ context: HubRequestContext) async -> Response {
        if await visit(request, context) != nil { return .redirect(to: Self.homePath) }
        return pages.render("signin", title: "Sign in", data: [:], visit: nil)
    }

    /// Checks the limits (counting the attempt) before any password work, then the password (a decoy hash for unknown names, so
    /// that both cost the same), then starts a session.
    func signIn(_ request: Request, _ context: HubRequestContext) async -> Response {
        let source = Self.sourceAddress(context)
        guard Self.sameOrigin(request) else {
            return pages.message(status: .forbidden, title: "Refused", message: "Sign-in from another site is refused.", back: "/console/signin", visit: nil)
        }
        guard let form = await Self.form(request) else {
            return pages.message(status: .contentTooLarge, title: "Too large", message: "The form is larger than the console accepts.", back: "/console/signin", visit: nil)
        }
        let name = form["name"] ?? ""
        let password = form["password"] ?? ""
        if let seconds = throttle.begin(user: name, source: source) {
            logger.notice("console sign-in refused: locked", metadata: ["hub.operator": "\(name)", "hub.source": "\(source)"])
            var headers = HTTPFields()
            headers[.retryAfter] = "\(seconds)"
            return pages.render(
                "signin", title: "Sign in", data: ["name": name], visit: nil, status: .tooManyRequests,
                error: "Too many failed sign-ins. Try again in \((seconds + 59) / 60) minute(s).", extraHeaders: headers
            )
        }
        let account: ConsoleOperator?
        do {
            account = try await store.operatorAccount(named: name)
        } catch {
            logger.error("console: operator store failed", metadata: ["error": "\(error)"])
            return pages.message(status: .internalServerError, title: "Error", message: "The hub could not read its operators.", back: "/console/signin", visit: nil)
        }
        let verified: Bool
        do {
            verified = try await PasswordHasher.verify(password, hash: account?.passwordHash ?? PasswordHasher.decoy) && account != nil
        } catch {
            verified = false
        }
        guard verified, let account else {
            logger.notice("console sign-in failed", metadata: ["hub.operator": "\(name)", "hub.source": "\(source)"])
            return pages.render("signin", title: "Sign in", data: ["name": name], visit: nil, status: .unauthorized, error: "Wrong operator name or password.")
        }
        throttle.succeeded(user: name, source: source)
        let session = sessions.create(operatorName: account.name, signedInMillis: Int64(Date().timeIntervalSince1970 * 1000))
        logger.info("console sign-in", metadata: ["hub.operator": "\(account.name)", "hub.source": "\(source)"])
        await record(account.name, "SignIn", target: account.name, result: "ok", detail: "role=\(account.role.rawValue)", source: source)
        var response = Response.redirect(to: Self.homePath)
        response.headers[.setCookie] = cookie(value: session.id)
        return response
    }

    func signOut(_ request: Request, _ context: HubRequestContext) async -> Response {
        await changing(request, context) { visit, _ in
            sessions.end(visit.session.id)
            downloads.remove(session: visit.session.id)
            await record(visit.account.name, "SignOut", target: visit.account.name, result: "ok", detail: "", source: visit.source)
            var response = Response.redirect(to: "/console/signin")
            response.headers[.setCookie] = cookie(value: "", expire: true)
            return response
        }
    }

    /// `HttpOnly; SameSite=Strict`, `Secure` when configured, path `/console`; no expiry (the session's idle
    /// timeout is kept by the hub).
    func cookie(value: String, expire: Bool = false) -> String {
        var text = "\(Self.cookieName)=\(value); Path=/console; HttpOnly; SameSite=Strict"
        if configuration.cookieIsSecure { text += "; Secure" }
        if expire { text += "; Max-Age=0" }
        return text
    }

    /// A browser's cross-site form post carries an `Origin` of the other site: refused. Requests without
    /// `Origin` (older browsers, tools) pass; the session-bound CSRF token protects every other form.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }
}
