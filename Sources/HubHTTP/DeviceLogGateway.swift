import DeviceAuth
import HTTPTypes
public import Hummingbird
public import Logging
import Metrics
public import Registry
import Synchronization

/// Device log upload over HTTP (device-protocol.md §7.5): `POST /cgi-bin/report-log` (classic, C SDK 3.2)
/// and `POST /device/reportlog` (v2, C SDK 3.3.0 and Java), on the device HTTP listeners, routed on the path only.
///
/// Every answer is at once, HTTP 200 (413 for a body over `maxBodySize`) with the format's own reply body
/// under 256 bytes, `Content-Type: application/json`, an exact `Content-Length` and `Connection: close` (the C
/// SDK reads the reply into a 256-byte buffer within 1 s, then closes). Accepted entries are stored per device,
/// the oldest beyond `retention.maxEntriesPerDevice` deleted at once.
public struct DeviceLogGateway: Sendable {
    public struct Configuration: Sendable {
        /// Largest body accepted (§7.5.3: 64 KiB; a C body is at most about 3,000 bytes).
        public var maxBodySize: Int
        /// Public host names of the hub, tried as v2 CanonicalHost (after the Host header).
        public var publicHostNames: [String]
        public var retention: DeviceLogRetention

        public init(maxBodySize: Int = 64 * 1024, publicHostNames: [String] = [], retention: DeviceLogRetention = DeviceLogRetention()) {
            self.maxBodySize = maxBodySize
            self.publicHostNames = publicHostNames
            self.retention = retention
        }
    }

    /// The two formats, as named in logs and metrics.
    enum Endpoint: String, Sendable {
        case classic
        case v2
    }

    let registry: RegistryEngine
    let store: any DeviceLogStore
    let configuration: Configuration
    /// Per-source rate limit and bans; wrong signatures count towards a ban like any failed authentication.
    let abuse: AbuseGuard?
    let logger: Logger

    public init(registry: RegistryEngine, store: any DeviceLogStore, configuration: Configuration, abuse: AbuseGuard? = nil, logger: Logger) {
        self.registry = registry
        self.store = store
        self.configuration = configuration
        self.abuse = abuse
        self.logger = logger
    }

    /// The refusal for a source that is banned or over its rate, before the body is parsed.
    func admit(address: String?, endpoint: Endpoint, source: String) -> LogUploadRefusal? {
        switch abuse?.admit(.logUpload, source: address) {
        case .banned?: return refuse(.sourceBanned, endpoint, productId: "", deviceName: "", source: source, detail: "source address banned", log: false)
        case .rateLimited?: return refuse(.rateLimited, endpoint, productId: "", deviceName: "", source: source, detail: "over the per-source rate", log: false)
        case .allowed?, nil: return nil
        }
    }

    public func addRoutes(to router: Router<HubRequestContext>) {
        router.post("/cgi-bin/report-log") { request, context in
            if let refused = self.admit(address: context.remoteAddress?.ipAddress, endpoint: .classic, source: context.sourceDescription) {
                return Response.json(Array(LogUploadReply.classicError(refused).utf8), closing: true)
            }
            guard let body = await self.collectBody(request) else {
                return self.tooLarge(.classic, Array(LogUploadReply.classicError(.badRequest).utf8), source: context.sourceDescription)
            }
            return Response.json(await self.uploadClassic(body: body, source: context.sourceDescription), closing: true)
        }
        router.post("/device/reportlog") { request, context in
            if let refused = self.admit(address: context.remoteAddress?.ipAddress, endpoint: .v2, source: context.sourceDescription) {
                return Response.json(Array(LogUploadReply.v2Error(refused, requestId: RequestID.make()).utf8), closing: true)
            }
            guard let body = await self.collectBody(request) else {
                let reply = LogUploadReply.v2Error(.badRequest, requestId: RequestID.make())
                return self.tooLarge(.v2, Array(reply.utf8), source: context.sourceDescription)
            }
            let headers = V2Headers(request.headers)
            return Response.json(
                await self.uploadV2(body: body, headers: headers, hostHeader: request.head.authority, source: context.sourceDescription),
                closing: true
            )
        }
    }

    /// Classic `POST /cgi-bin/report-log`. Returns the exact reply body.
    func uploadClassic(body: [UInt8], source: String) async -> [UInt8] {
        guard let upload = ClassicLogUpload(parsing: body) else {
            let refusal = refuse(.badRequest, .classic, productId: "", deviceName: "", source: source, detail: "shorter than the 112-byte header or no P/C marker")
            return Array(LogUploadReply.classicError(refusal).utf8)
        }
        let outcome = await accept(
            productId: upload.productId, deviceName: upload.deviceName, entries: upload.entries, endpoint: .classic, source: source,
            verify: { keys in upload.verify(keys: keys) }
        )
        switch outcome {
        case .success: return Array(LogUploadReply.classicSuccess.utf8)
        case .failure(let refusal): return Array(LogUploadReply.classicError(refusal).utf8)
        }
    }

    /// v2 `POST /device/reportlog`. Returns the exact reply body.
    func uploadV2(body: [UInt8], headers: V2Headers, hostHeader: String?, source: String) async -> [UInt8] {
        let requestId = RequestID.make()
        guard let parsed = V2LogUploadBody(parsing: body) else {
            _ = refuse(.badRequest, .v2, productId: "", deviceName: "", source: source, detail: "body is not the JSON object")
            return Array(LogUploadReply.v2Error(.badRequest, requestId: requestId).utf8)
        }
        guard let algorithm = headers.algorithm, let timestamp = headers.timestamp, let nonce = headers.nonce, let signature = headers.signature,
            !algorithm.isEmpty, !timestamp.isEmpty, !nonce.isEmpty, !signature.isEmpty
        else {
            _ = refuse(.badRequest, .v2, productId: parsed.productId, deviceName: parsed.deviceName, source: source, detail: "X-TC-* header missing")
            return Array(LogUploadReply.v2Error(.badRequest, requestId: requestId).utf8)
        }
        let hosts = V2LogUploadSignature.candidateHosts(hostHeader: hostHeader, configuredHosts: configuration.publicHostNames)
        let outcome = await accept(
            productId: parsed.productId, deviceName: parsed.deviceName, entries: parsed.entries, endpoint: .v2, source: source,
            verify: { keys in
                V2LogUploadSignature.verify(
                    signature: signature, keys: keys, candidateHosts: hosts, algorithmHeader: algorithm, timestamp: timestamp, nonce: nonce, body: body
                )
            }
        )
        switch outcome {
        case .success: return Array(LogUploadReply.v2Success(requestId: requestId).utf8)
        case .failure(let refusal): return Array(LogUploadReply.v2Error(refusal, requestId: requestId).utf8)
        }
    }

    /// Finds the device, verifies the upload with its key candidates, stores the entries.
    private func accept(
        productId: String, deviceName: String, entries: [String], endpoint: Endpoint, source: String, verify: ([String]) -> Bool
    ) async -> Result<Void, LogUploadRefusal> {
        let credential: DeviceCredential
        switch await registry.logUploadDevice(productId: productId, deviceName: deviceName) {
        case .notFound:
            return .failure(refuse(.deviceNotFound, endpoint, productId: productId, deviceName: deviceName, source: source, detail: "no such device"))
        case .found(let found, let enabled):
            guard enabled else {
                return .failure(refuse(.deviceDisabled, endpoint, productId: productId, deviceName: deviceName, source: source, detail: "device or product disabled"))
            }
            credential = found
        }
        let keys: [String]
        switch credential {
        case .psk(let psk): keys = LogUploadKeys.candidates(psk: psk)
        case .certificate(let pem, _, _): keys = LogUploadKeys.candidates(certificatePEM: pem)
        }
        guard verify(keys) else {
            abuse?.authenticationFailed(source: AbuseGuard.address(fromSource: source))
            return .failure(refuse(.signatureMismatch, endpoint, productId: productId, deviceName: deviceName, source: source, detail: "no key, host or body hash verifies"))
        }
        let now = RegistryEngine.systemMillis()
        let rows = entries.map { entry in
            let line = DeviceLogLine(parsing: entry)
            return DeviceLogEntry(productId: productId, deviceName: deviceName, receivedAt: now, level: line.level, dateTime: line.dateTime, content: line.content)
        }
        do {
            try await store.appendDeviceLogs(
                rows, device: DeviceKey(productId: productId, name: deviceName), keepNewest: configuration.retention.maxEntriesPerDevice,
                keepBytes: configuration.retention.maxBytesPerDevice
            )
        } catch {
            logger.error("device log upload not stored", metadata: ["hub.product_id": "\(productId)", "hub.device_name": "\(deviceName)", "error": "\(error)"])
            return .failure(refuse(.internalError, endpoint, productId: productId, deviceName: deviceName, source: source, detail: "storage failed", log: false))
        }
        DeviceLogMetrics.count(endpoint: endpoint, result: "accepted")
        logger.debug(
            "device log upload stored",
            metadata: ["hub.product_id": "\(productId)", "hub.device_name": "\(deviceName)", "hub.entries": "\(rows.count)", "hub.endpoint": "\(endpoint.rawValue)"]
        )
        return .success(())
    }

    /// Logs and counts a refusal; returns it.
    private func refuse(
        _ refusal: LogUploadRefusal, _ endpoint: Endpoint, productId: String, deviceName: String, source: String, detail: String, log: Bool = true
    ) -> LogUploadRefusal {
        if log {
            logger.info(
                "device log upload refused",
                metadata: [
                    "hub.reason": "\(refusal.reasonCode)", "hub.endpoint": "\(endpoint.rawValue)", "hub.product_id": "\(productId)",
                    "hub.device_name": "\(deviceName)", "hub.source": "\(source)", "hub.detail": "\(detail)",
                ]
            )
        }
        DeviceLogMetrics.count(endpoint: endpoint, result: refusal.reasonCode)
        return refusal
    }

    private func tooLarge(_ endpoint: Endpoint, _ reply: [UInt8], source: String) -> Response {
        logger.info(
            "device log upload refused",
            metadata: ["hub.reason": "body_too_large", "hub.endpoint": "\(endpoint.rawValue)", "hub.source": "\(source)", "hub.limit": "\(configuration.maxBodySize)"]
        )
        DeviceLogMetrics.count(endpoint: endpoint, result: "body_too_large")
        return Response.json(reply, status: .contentTooLarge, closing: true)
    }

    /// `nil` when the body is larger than the limit.
    private func collectBody(_ request: Request) async -> [UInt8]? {
        do {
            return Array(try await request.body.collect(upTo: configuration.maxBodySize).readableBytesView)
        } catch {
            return nil
        }
    }
}

/// `iothub_device_log_uploads_total{endpoint,result}`: `accepted` or the refusal's reason code.
enum DeviceLogMetrics {
    private static let counters = Mutex<[String: Counter]>([:])

    static func count(endpoint: DeviceLogGateway.Endpoint, result: String) {
        let key = endpoint.rawValue + "/" + result
        let counter = counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "iothub_device_log_uploads_total", dimensions: [("endpoint", endpoint.rawValue), ("result", result)])
            counters[key] = counter
            return counter
        }
        counter.increment()
    }
}
