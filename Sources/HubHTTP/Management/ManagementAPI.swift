import CloudAPI
import Foundation
import HTTPTypes
public import Hummingbird
public import JSONCore
public import Logging
import Metrics
public import Registry

/// The management API (TencentCloud API 3.0, service `iotcloud`) on its own listener.
///
/// Every answer is HTTP 200 with `Content-Type: application/json` exactly and a `RequestId`, errors
/// included (the official clients need all three). Signatures are verified over the raw request.
public struct ManagementAPI: Sendable {
    let actions: ManagementActions
    let credentials: [String: String]
    let decoder: APIRequestDecoder
    let fieldMapper = ResponseFieldMapper()
    let logger: Logger
    /// Largest accepted request body.
    let maxBodySize: Int

    /// `credentials`: SecretId → SecretKey. `replayCacheEntries`: signatures remembered to refuse replays
    /// (`APIReplayCache`; 0 turns the check off); `replayStrict`: refuse a known signature with any other
    /// request; `replayGrace`: seconds after a signature's first use in which another request with it passes.
    public init(
        registry: RegistryEngine,
        credentials: [String: String],
        messaging: (any DeviceMessaging)? = nil,
        firmware: FirmwareRepository? = nil,
        webhooks: (any WebhookStatusSource)? = nil,
        abuse: AbuseGuard? = nil,
        deviceLogs: (any DeviceLogStore)? = nil,
        deviceLogRetention: DeviceLogRetention = DeviceLogRetention(),
        resources: ResourceRepository? = nil,
        activity: (any MessageActivitySource)? = nil,
        logger: Logger,
        maxBodySize: Int = 1 << 20,
        replayCacheEntries: Int = 100_000,
        replayStrict: Bool = false,
        replayGrace: Int = 2
    ) {
        var actions = ManagementActions(registry: registry, messaging: messaging, firmware: firmware)
        actions.webhooks = webhooks
        actions.abuse = abuse
        actions.deviceLogs = deviceLogs
        actions.deviceLogRetention = deviceLogRetention
        actions.resources = resources
        actions.activity = activity
        self.actions = actions
        self.credentials = credentials
        self.logger = logger
        self.maxBodySize = maxBodySize
        var decoder = APIRequestDecoder(catalog: .standard)
        if replayCacheEntries > 0 {
            // Counters made once: a swift-metrics factory lookup per event would take its lock each time.
            let expired = Counter(label: "iothub_api_replay_cache_expired_total")
            let refusedFull = Counter(label: "iothub_api_replay_refused_total", dimensions: [("reason", "full")])
            let refusedConflict = Counter(label: "iothub_api_replay_refused_total", dimensions: [("reason", "conflict")])
            decoder.replayCache = APIReplayCache(
                maxEntries: replayCacheEntries, window: decoder.tc3Verifier.allowedSkew, allowsVariants: !replayStrict,
                variantGrace: Int64(replayGrace)
            ) { event in
                switch event {
                case .expired(let count):
                    expired.increment(by: count)
                case .refused(let outcome):
                    (outcome == .full ? refusedFull : refusedConflict).increment()
                }
            }
        }
        self.decoder = decoder
    }

    public func addRoutes(to router: Router<HubRequestContext>) {
        // Other methods are routed too, so that they get the `UnsupportedProtocol` envelope (HTTP 200)
        // instead of a bare 404 (cloud-api.md §1 item 1, §2.1).
        for method: HTTPRequest.Method in [.post, .get, .put, .delete, .patch, .options] {
            router.on("/", method: method) { request, context in await self.respond(request, context) }
        }
    }

    func respond(_ request: Request, _ context: HubRequestContext) async -> Response {
        var headers: [(name: String, value: String)] = []
        if let authority = request.head.authority { headers.append(("Host", authority)) }
        for field in request.headers { headers.append((field.name.rawName, field.value)) }
        let body: [UInt8]
        do {
            body = Array(try await request.body.collect(upTo: maxBodySize).readableBytesView)
        } catch {
            logger.info("management request body refused: over the size limit", metadata: ["hub.limit": "\(maxBodySize)", "hub.source": "\(context.sourceDescription)"])
            let error = APIError.invalidParameter("The request body is larger than \(maxBodySize) bytes.")
            return Response.json(APIResponse.error(error, requestId: APIResponse.newRequestId()))
        }
        // The peer's ip:port names the TCP connection (for the replay check); unknown or Unix-socket peers have none.
        let source = context.sourceDescription
        let connection = source == "unknown" || source == "unix" ? nil : source
        let raw = APIHTTPRequest(
            method: request.method.rawValue, rawQuery: request.uri.query ?? "", headers: HTTPHeaderList(headers), body: body, connection: connection
        )
        return Response.json(await handle(raw, source: source))
    }

    /// Handles one raw request and returns the response body (always an API 3.0 envelope).
    public func handle(_ raw: APIHTTPRequest, source: String, now: Date = Date()) async -> [UInt8] {
        let requestId = APIResponse.newRequestId()
        let decoded: APIRequest
        do {
            decoded = try decoder.decode(raw, now: now) { secretId in credentials[secretId] }
        } catch {
            logger.notice(
                "management request rejected",
                metadata: [
                    "hub.error_code": "\(error.code)", "hub.reason": "\(error.message)", "hub.source": "\(source)",
                    "hub.trace_id": "\(raw.headers["X-TC-TraceId"] ?? "")",
                ]
            )
            return APIResponse.error(error, requestId: requestId)
        }
        let outcome = await ManagementActions.$requestHost.withValue(raw.headers["Host"]) { await run(decoded) }
        let fields: [(String, JSONValue)]
        switch outcome {
        case .success(let result):
            fields = result.map { (fieldMapper.wireName(internal: $0.0, action: decoded.action, version: decoded.version), Self.json($0.1)) }
        case .failure(let error):
            Self.count(decoded.action, result: error.code)
            logger.info(
                "management action failed",
                metadata: ["hub.action": "\(decoded.action)", "hub.error_code": "\(error.code)", "hub.request_id": "\(requestId)"]
            )
            return APIResponse.error(error, requestId: requestId)
        }
        Self.count(decoded.action, result: "ok")
        logger.debug("management action", metadata: ["hub.action": "\(decoded.action)", "hub.request_id": "\(requestId)"])
        return APIResponse.success(fields, requestId: requestId)
    }

    /// Runs `body` with `host` (a `Host` header value) as the host the operator reached the hub by, which URLs
    /// handed to devices use when no public host is configured: what an API request's own `Host` header does.
    /// For in-process callers of ``perform(_:_:)`` (the web console).
    public static func withOperatorHost<T: Sendable>(_ host: String?, _ body: () async -> T) async -> T {
        await ManagementActions.$requestHost.withValue(host) { await body() }
    }

    /// Runs one action in process, without a signature: what the web console calls, so that a page and an
    /// API request go through the same handler and the same rules. `parameters` is a JSON object under the
    /// internal (2021-04-08) names; the answer is the action's fields as an object, or its error.
    /// Counted in `iothub_api_requests_total` like a signed request.
    public func perform(_ action: String, _ parameters: JSONValue) async -> Result<JSONValue, ManagementError> {
        guard let handler = ManagementActions.handlers[action] else {
            Self.count(action, result: "UnsupportedOperation")
            return .failure(ManagementError("UnsupportedOperation", "The action \(action) is not implemented by this hub."))
        }
        do {
            let fields = try await handler(actions, Self.parameters(parameters), .v20210408)
            Self.count(action, result: "ok")
            return .success(Self.json(.object(fields)))
        } catch let error as ManagementError {
            Self.count(action, result: error.code)
            return .failure(error)
        } catch {
            Self.count(action, result: "InternalError")
            logger.error("management action crashed", metadata: ["hub.action": "\(action)", "error": "\(error)"])
            return .failure(ManagementError("InternalError", "internal error"))
        }
    }

    /// `iothub_api_requests_total{action, result}`: actions run, by outcome (an error code or `ok`). Names
    /// the hub does not know are counted as `unknown`, so that a caller cannot grow the metric without end.
    static func count(_ action: String, result: String) {
        let name = ManagementActions.handlers[action] == nil ? "unknown" : action
        Counter(label: "iothub_api_requests_total", dimensions: [("action", name), ("result", result)]).increment()
    }

    private func run(_ request: APIRequest) async -> Result<ManagementActions.Fields, APIError> {
        guard let handler = ManagementActions.handlers[request.action] else {
            return .failure(.unsupportedOperation("The action \(request.action) is not implemented by this hub."))
        }
        let version: APIVersionTag = request.version == .v20180614 ? .v20180614 : .v20210408
        do {
            return .success(try await handler(actions, Self.parameters(request.parameters), version))
        } catch let error as ManagementError {
            return .failure(APIError(code: error.code, message: error.message))
        } catch {
            logger.error("management action crashed", metadata: ["hub.action": "\(request.action)", "error": "\(error)"])
            return .failure(.internalError())
        }
    }

    // MARK: conversions between the wire JSON and the handlers' values

    static func parameters(_ value: JSONValue) -> ActionParameters {
        guard case .object(let object) = value else { return ActionParameters(fields: [:]) }
        var fields: [String: ActionParameters.Value] = [:]
        for (key, member) in object.entries { fields[key] = parameter(member) }
        return ActionParameters(fields: fields)
    }

    private static func parameter(_ value: JSONValue) -> ActionParameters.Value {
        switch value {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return Int64(exactly: d).map(ActionParameters.Value.int) ?? .string(String(d))
        case .string(let s): return .string(s)
        case .array(let items): return .list(items.map(parameter))
        case .object: return .object(parameters(value))
        }
    }

    static func json(_ value: ActionValue) -> JSONValue {
        switch value {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .array(let items): return .array(items.map(json))
        case .object(let pairs): return .object(JSONObject(pairs.map { ($0.0, json($0.1)) }))
        }
    }
}
