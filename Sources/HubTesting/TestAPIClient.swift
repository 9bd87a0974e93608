import CloudAPI
import Foundation
import HubServer
public import JSONCore

/// Calls the management API the way the official SDK does (TC3-HMAC-SHA256, POST JSON), over a raw
/// connection so tests can also look at the exact response.
public struct TestAPIClient: Sendable {
    public var port: Int
    public var secretId: String
    public var secretKey: String
    public var version: String
    /// Sign `x-tc-action`/`x-tc-version` as well (as the `iothub` CLI does), so that tests calling two
    /// actions with the same body in the same second are not refused as replays. False: only
    /// `content-type;host`, exactly as the official SDKs sign.
    public var signsActionHeaders = true

    public init(port: Int, secretId: String, secretKey: String, version: String = "2021-04-08") {
        self.port = port
        self.secretId = secretId
        self.secretKey = secretKey
        self.version = version
    }

    public struct Failure: Error, CustomStringConvertible {
        public var code: String
        public var message: String
        public var description: String { "\(code): \(message)" }
    }

    /// The raw HTTP response to one signed call.
    public func rawCall(_ action: String, body: [UInt8], timestamp: Int64? = nil, secretKey: String? = nil) async throws -> [UInt8] {
        let host = "127.0.0.1:\(port)"
        let signer = TC3Signer(secretId: secretId, secretKey: secretKey ?? self.secretKey)
        let headers = signer.postJSONHeaders(
            action: action, version: version, host: host, body: body,
            timestamp: timestamp ?? Int64(Date().timeIntervalSince1970), signsActionHeaders: signsActionHeaders
        )
        let request = RawHTTP.request(path: "/", headers: headers.map { ($0.name, $0.value) }, body: body)
        return try await RawHTTP.exchange(port: port, request: request)
    }

    /// Calls an action; throws `Failure` with the API error code.
    @discardableResult
    public func call(_ action: String, _ parameters: [(String, JSONValue)] = []) async throws -> JSONValue {
        let raw = try await rawCall(action, body: JSONValue.object(JSONObject(parameters)).serialized())
        guard let response = RawHTTP.parse(raw) else { throw Failure(code: "Malformed", message: "unparseable HTTP response") }
        switch try APIResponse.parse(response.body) {
        case .success(let value): return value
        case .failure(let error): throw Failure(code: error.code, message: error.message)
        }
    }
}

extension TestHub {
    public var api: TestAPIClient {
        TestAPIClient(port: apiPort, secretId: credentials.secretId, secretKey: credentials.secretKey)
    }
}
