import DeviceAuth
import Foundation
public import HubHTTP
public import Hummingbird
public import JSONCore
public import Logging
public import Registry

/// The operator web console under `/console` on the management listener: server-rendered pages that call
/// the management actions in process (the same handlers and rules as the API), for signed-in operators.
public struct Console: Sendable {
    /// Runs one management action (`ManagementAPI.perform`).
    public typealias Perform = @Sendable (String, JSONValue) async -> Result<JSONValue, ManagementError>

    static let cookieName = "iothub_console"
    /// Where a signed-in operator lands.
    static let homePath = "/console/overview"
    static let csrfField = "_csrf"
    static let maxFormBytes = 64 * 1024

    let perform: Perform
    let store: any OperatorStore
    let configuration: ConsoleConfiguration
    let sessions: ConsoleSessions
    let throttle: SignInThrottle
    let pages: ConsolePages
    /// Where uploaded firmware is staged (the GetCOSURL slots); nil: the console takes no firmware uploads.
    let firmware: FirmwareRepository?
    let downloads = ConsoleDownloads()
    let logger: Logger

    public init(
        perform: @escaping Perform, store: any OperatorStore, configuration: ConsoleConfiguration, firmware: FirmwareRepository? = nil, logger: Logger
    ) throws {
        self.perform = perform
        self.firmware = firmware
        self.store = store
        self.configuration = configuration
        self.sessions = ConsoleSessions(idleSeconds: configuration.sessionIdleSeconds, capacity: configuration.maxSessions)
        self.throttle = SignInThrottle(
            maxPerUser: configuration.maxFailuresPerUser, maxPerSource: configuration.maxFailuresPerSource, windowSeconds: configuration.lockoutSeconds
        )
        self.pages = try ConsolePages()
        self.logger = logger
    }

    /// Sessions held now.
    public var sessionCount: Int { sessions.count }

    public func addRoutes(to router: Router<HubRequestContext>) {
        router.get("/console") { request, context in await self.home(request, context) }
        router.get("/console/assets/console.css") { _, _ in ConsolePages.asset(ConsoleAssets.css + ConsoleAssets.overviewCSS, type: "text/css; charset=utf-8") }
        router.get("/console/assets/console.js") { _, _ in ConsolePages.asset(ConsoleAssets.javaScript, type: "text/javascript; charset=utf-8") }
        router.get("/console/signin") { request, context in await self.signInPage(request, context) }
        router.post("/console/signin") { request, context in await self.signIn(request, context) }
        router.post("/console/signout") { request, context in await self.signOut(request, context) }
        router.get("/console/products") { request, context in await self.productsPage(request, context) }
        router.post("/console/products") { request, context in await self.createProduct(request, context) }
        router.get("/console/products/:product") { request, context in await self.productPage(request, context) }
        router.post("/console/products/:product/registration") { request, context in await self.updateRegistration(request, context) }
        router.get("/console/products/:product/confirm") { request, context in await self.confirmPage(request, context) }
        router.post("/console/products/:product/enable") { request, context in await self.setProductForbidden(request, context, false) }
        router.post("/console/products/:product/disable") { request, context in await self.setProductForbidden(request, context, true) }
        router.post("/console/products/:product/delete") { request, context in await self.deleteProduct(request, context) }
        router.get("/console/products/:product/devices") { request, context in await self.devicesPage(request, context) }
        router.post("/console/products/:product/devices") { request, context in await self.createDevice(request, context) }
        router.get("/console/overview") { request, context in await self.overviewPage(request, context) }
        router.get("/console/applications") { request, context in await self.applicationsPage(request, context) }
        router.post("/console/applications") { request, context in await self.createApplication(request, context) }
        router.get("/console/applications/:application/confirm") { request, context in await self.applicationConfirmPage(request, context) }
        router.post("/console/applications/:application/delete") { request, context in await self.deleteApplication(request, context) }
        router.post("/console/products/:product/remote-config") { request, context in await self.updateRemoteConfig(request, context) }
        router.post("/console/products/:product/webhook") { request, context in await self.updateWebhook(request, context) }
        router.post("/console/products/:product/devices/import") { request, context in await self.importDevices(request, context) }
        router.get("/console/products/:product/devices/:device") { request, context in await self.devicePage(request, context) }
        router.get("/console/products/:product/devices/:device/confirm") { request, context in await self.deviceConfirmPage(request, context) }
        router.post("/console/products/:product/devices/:device/enable") { request, context in await self.setDeviceEnabled(request, context, true) }
        router.post("/console/products/:product/devices/:device/disable") { request, context in await self.setDeviceEnabled(request, context, false) }
        router.post("/console/products/:product/devices/:device/reset") { request, context in await self.resetDeviceRegistration(request, context) }
        router.post("/console/products/:product/devices/:device/delete") { request, context in await self.deleteDevice(request, context) }
        router.post("/console/products/:product/devices/:device/shadow") { request, context in await self.updateDesired(request, context) }
        router.post("/console/products/:product/devices/:device/message") { request, context in await self.sendMessage(request, context) }
        router.get("/console/downloads/:token") { request, context in await self.download(request, context) }
        router.get("/console/registrations") { request, context in await self.registrationsPage(request, context) }
        router.get("/console/registrations/rows") { request, context in await self.registrationRowsFragment(request, context) }
        router.get("/console/audit") { request, context in await self.auditPage(request, context) }
        addFirmwareRoutes(to: router)
    }

    func home(_ request: Request, _ context: HubRequestContext) async -> Response {
        await visit(request, context) == nil ? .redirect(to: "/console/signin") : .redirect(to: Self.homePath)
    }

    // MARK: who is asking

    /// A signed-in operator's request.
    struct Visit: Sendable {
        let session: ConsoleSessions.Session
        let account: ConsoleOperator
        let source: String

        var canChange: Bool { account.role == .admin }
    }

    /// The peer's address without the port (what sign-in limits and the audit key on).
    static func sourceAddress(_ context: HubRequestContext) -> String {
        context.remoteAddress?.ipAddress ?? "unknown"
    }

    static func sessionId(_ request: Request) -> String? {
        request.cookies[cookieName]?.value
    }

    /// The request's live session and its operator, re-read from the store: a removed operator, or one
    /// whose password changed after the sign-in, is signed out.
    func visit(_ request: Request, _ context: HubRequestContext) async -> Visit? {
        guard let id = Self.sessionId(request), let session = sessions.touch(id) else { return nil }
        let account: ConsoleOperator?
        do {
            account = try await store.operatorAccount(named: session.operatorName)
        } catch {
            logger.error("console: operator store failed", metadata: ["error": "\(error)"])
            return nil
        }
        guard let account, account.passwordChanged <= session.signedInMillis else {
            sessions.end(id)
            return nil
        }
        return Visit(session: session, account: account, source: Self.sourceAddress(context))
    }

    /// A page for a signed-in operator, or the redirect to the sign-in page.
    func viewing(_ request: Request, _ context: HubRequestContext, _ body: (Visit) async -> Response) async -> Response {
        guard let visit = await visit(request, context) else { return .redirect(to: "/console/signin") }
        return await body(visit)
    }

    /// A state-changing request: signed in, the form's CSRF token matches the session's, the operator is
    /// an admin (a viewer may only sign out). Anything else is refused with 403 before the action runs.
    /// `maxBytes` bounds the body (a form with a file may be given more than the default); `tooLarge` is what
    /// the page says beyond it.
    func changing(
        _ request: Request, _ context: HubRequestContext, maxBytes: Int = maxFormBytes, tooLarge: String? = nil,
        _ body: (Visit, FormBody) async -> Response
    ) async -> Response {
        guard let visit = await visit(request, context) else { return signedOut() }
        let form: FormBody
        switch await Self.readForm(request, maxBytes: maxBytes) {
        case .tooLarge:
            let message = tooLarge ?? "The form is larger than the console accepts (at most \(maxBytes / 1024) KiB)."
            return pages.message(status: .contentTooLarge, title: "Too large", message: message, back: nil, visit: visit)
        case .malformed:
            return pages.message(status: .badRequest, title: "Refused", message: "The form could not be read.", back: nil, visit: visit)
        case .read(let fields): form = fields
        }
        if let refused = refusal(request, visit, csrfToken: form[Self.csrfField]) { return refused }
        return await body(visit, form)
    }

    /// The checks of a state-changing request once its form's token is read: the session's CSRF token, then
    /// the admin role (a viewer may only sign out). Nil when the request may go ahead.
    func refusal(_ request: Request, _ visit: Visit, csrfToken token: String?) -> Response? {
        guard let token, ConstantTime.equals(token, visit.session.csrfToken) else {
            logger.notice("console: request without a valid CSRF token refused", metadata: ["hub.operator": "\(visit.account.name)", "hub.source": "\(visit.source)"])
            return pages.message(status: .forbidden, title: "Refused", message: "The form's security token is missing or wrong. Reload the page and try again.", back: nil, visit: visit)
        }
        guard visit.canChange || request.uri.path == "/console/signout" else {
            return pages.message(status: .forbidden, title: "Not allowed", message: "A viewer can see everything and change nothing.", back: nil, visit: visit)
        }
        return nil
    }

    /// The answer to a change whose session has ended.
    func signedOut() -> Response {
        pages.message(status: .forbidden, title: "Signed out", message: "Your session has ended. Sign in again.", back: "/console/signin", visit: nil)
    }

    enum FormRead {
        case read(FormBody)
        case tooLarge
        case malformed
    }

    /// The body as a form: URL-encoded, or multipart when the request says so (its fields, the CSRF token
    /// among them, and its files).
    static func readForm(_ request: Request, maxBytes: Int = maxFormBytes) async -> FormRead {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: maxBytes) else { return .tooLarge }
        let bytes = Array(buffer.readableBytesView)
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/") else { return .read(FormBody(bytes)) }
        guard let boundary = MultipartForm.boundary(contentType: type), let multipart = MultipartForm(bytes, boundary: boundary) else {
            return .malformed
        }
        return .read(FormBody(multipart))
    }

    /// A form of at most `maxFormBytes`, nil when it cannot be read.
    static func form(_ request: Request) async -> FormBody? {
        guard case .read(let form) = await readForm(request) else { return nil }
        return form
    }

    // MARK: calling the management actions

    /// Runs a changing action and records it in the operator audit trail, whatever its outcome.
    func change(_ visit: Visit, _ action: String, _ parameters: JSONValue, target: String, detail: String) async -> Result<JSONValue, ManagementError> {
        let result = await perform(action, parameters)
        let outcome: String
        switch result {
        case .success: outcome = "ok"
        case .failure(let error): outcome = error.code
        }
        await record(visit.account.name, action, target: target, result: outcome, detail: detail, source: visit.source)
        return result
    }

    func record(_ operatorName: String, _ action: String, target: String, result: String, detail: String, source: String) async {
        let entry = OperatorAuditEntry(
            time: Int64(Date().timeIntervalSince1970 * 1000), operatorName: operatorName, action: action, target: target, result: result, detail: detail, source: source
        )
        do {
            try await store.appendOperatorAudit(entry)
        } catch {
            logger.error("console: operator audit not written", metadata: ["hub.action": "\(action)", "hub.operator": "\(operatorName)", "error": "\(error)"])
        }
    }

    /// The HTTP status a page shows an action's error with.
    static func status(of error: ManagementError) -> HTTPResponse.Status {
        if error.code.hasPrefix("ResourceNotFound") { return .notFound }
        if error.code == "InternalError" { return .internalServerError }
        return .badRequest
    }
}
