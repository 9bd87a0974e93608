import DeviceAuth
import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import Metrics
public import Registry

/// The device HTTP endpoints: dynamic registration in both generations (`device-protocol.md` §3).
///
/// Every answer is HTTP 200 with the protocol's own envelope, `Content-Type: application/json` and an exact
/// `Content-Length`; every attempt is audited with its reason.
public struct DeviceGateway: Sendable {
    public struct Configuration: Sendable {
        /// Largest request body accepted (default 16 KiB; real requests are under 200 bytes, certificate
        /// devices of private CAs add a PEM).
        public var maxBodySize: Int = 16 * 1024
        /// Public host names of the hub, tried as v2 CanonicalHost (after the Host header).
        public var publicHostNames: [String] = []

        public init(maxBodySize: Int = 16 * 1024, publicHostNames: [String] = []) {
            self.maxBodySize = maxBodySize
            self.publicHostNames = publicHostNames
        }
    }

    let registry: RegistryEngine
    let configuration: Configuration
    /// Per-source rate limits and bans, checked before a request is parsed.
    let abuse: AbuseGuard?
    let logger: Logger

    public init(registry: RegistryEngine, configuration: Configuration, abuse: AbuseGuard? = nil, logger: Logger) {
        self.registry = registry
        self.configuration = configuration
        self.abuse = abuse
        self.logger = logger
    }

    /// Adds the device routes to a router. The body (at most `maxBodySize`) is read before the source is
    /// admitted, so that a refused request leaves its keep-alive connection usable; the check itself parses
    /// nothing of the request.
    public func addRoutes(to router: Router<HubRequestContext>) {
        router.post("/register/dev") { request, context in
            let body = await collectBody(request)
            let closing = Self.closesAfterReply(request)
            if let refused = await self.admit(.legacy, address: context.remoteAddress?.ipAddress, source: context.sourceDescription) {
                return Response.json(refused, closing: closing)
            }
            return Response.json(await self.registerLegacy(body: body, source: context.sourceDescription), closing: closing)
        }
        router.post("/device/register") { request, context in
            let body = await collectBody(request)
            let closing = Self.closesAfterReply(request)
            if let refused = await self.admit(.v2, address: context.remoteAddress?.ipAddress, source: context.sourceDescription) {
                return Response.json(refused, closing: closing)
            }
            let headers = V2Headers(request.headers)
            let host = request.head.authority
            return Response.json(
                await self.registerV2(body: body, headers: headers, hostHeader: host, source: context.sourceDescription), closing: closing
            )
        }
        // The HTTP floor for benchmarks and a liveness probe for operators.
        router.get("/health") { _, _ in Response.json(Array(#"{"status":"ok"}"#.utf8)) }
        router.post("/health") { _, _ in Response.json(Array(#"{"status":"ok"}"#.utf8)) }
    }

    /// Whether a registration reply ends its connection: unless the client asked for keep-alive explicitly.
    /// Tencent's C SDKs read the reply until the server closes (or their 1 KiB buffer fills, or 2 s pass),
    /// so an HTTP/1.1 reply that keeps the connection open costs each PSK registration 2 s.
    static func closesAfterReply(_ request: Request) -> Bool {
        !(request.headers[.connection]?.lowercased().contains("keep-alive") ?? false)
    }

    /// `nil` when the body is larger than the limit.
    private func collectBody(_ request: Request) async -> [UInt8]? {
        do {
            let buffer = try await request.body.collect(upTo: configuration.maxBodySize)
            return Array(buffer.readableBytesView)
        } catch {
            return nil
        }
    }
}

/// The four `X-TC-*` headers of a v2 registration, read case-insensitively.
public struct V2Headers: Sendable {
    public var algorithm: String?
    public var timestamp: String?
    public var nonce: String?
    public var signature: String?

    public init(algorithm: String?, timestamp: String?, nonce: String?, signature: String?) {
        self.algorithm = algorithm
        self.timestamp = timestamp
        self.nonce = nonce
        self.signature = signature
    }

    /// One pass over the fields; like `fields[name]`, repeated fields are joined with ", ".
    init(_ fields: HTTPFields) {
        var values: [String?] = [nil, nil, nil, nil]
        for field in fields {
            let index: Int
            switch field.name {
            case Self.algorithmName: index = 0
            case Self.timestampName: index = 1
            case Self.nonceName: index = 2
            case Self.signatureName: index = 3
            default: continue
            }
            values[index] = values[index].map { $0 + ", " + field.value } ?? field.value
        }
        self.init(algorithm: values[0], timestamp: values[1], nonce: values[2], signature: values[3])
    }

    // Built once: `HTTPField.Name(_:)` validates and lower-cases its argument on every call.
    private static let algorithmName = HTTPField.Name(V2RegistrationHeaders.algorithmName)!
    private static let timestampName = HTTPField.Name(V2RegistrationHeaders.timestampName)!
    private static let nonceName = HTTPField.Name(V2RegistrationHeaders.nonceName)!
    private static let signatureName = HTTPField.Name(V2RegistrationHeaders.signatureName)!
}
