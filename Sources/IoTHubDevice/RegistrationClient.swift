public import DeviceAuth
public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Dynamic registration from the device side: signs the request with the ProductSecret, posts it to the
/// hub, decrypts the credential in the reply.
public struct RegistrationClient: Sendable {
    /// Which registration endpoint to use.
    public enum Endpoint: Sendable, Hashable {
        /// `POST /register/dev` (C SDK 3.2.x, Explorer SDKs).
        case legacy
        /// `POST /device/register` with `hmacsha256` (default; Python and Java SDKs) or `hmacsha1` (C 3.3.0).
        case v2(V2RegistrationSignature.Algorithm)
    }

    /// A registration the hub refused, or an answer that could not be read.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The hub's refusal, if it answered with one of the known codes.
        public var refusal: RegistrationRefusal?
        public var description: String
    }

    /// Base URL of the hub's device HTTP port, e.g. `http://127.0.0.1:8080`.
    public var baseURL: URL
    public var timeout: TimeInterval = 10

    public init(baseURL: URL) {
        self.baseURL = baseURL
    }

    public func register(
        productId: String,
        productSecret: String,
        deviceName: String,
        endpoint: Endpoint = .v2(.hmacSHA256)
    ) async throws -> RegistrationCredential {
        var nonceGenerator = SystemRandomNumberGenerator()
        let nonce = UInt32.random(in: 1..<UInt32(Int32.max), using: &nonceGenerator)
        let timestamp = UInt64(Date().timeIntervalSince1970)
        var request: URLRequest
        switch endpoint {
        case .legacy:
            request = URLRequest(url: baseURL.appendingPathComponent("register/dev"))
            let body = RegistrationWire.legacyRequestBody(
                productId: productId, deviceName: deviceName, nonce: nonce, timestamp: timestamp, productSecret: productSecret
            )
            request.httpBody = Data(body.utf8)
            // What the C SDK sends (the body is JSON regardless).
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        case .v2(let algorithm):
            request = URLRequest(url: baseURL.appendingPathComponent("device/register"))
            let body = Array(RegistrationWire.v2RequestBody(productId: productId, deviceName: deviceName).utf8)
            let headers = V2RegistrationHeaders(
                signing: body,
                host: (baseURL.host ?? "").lowercased(),
                algorithm: algorithm,
                timestamp: String(timestamp),
                nonce: String(nonce),
                productSecret: productSecret
            )
            for field in headers.fields { request.setValue(field.value, forHTTPHeaderField: field.name) }
            request.setValue("application/json; charset=utf-8", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body)
        }
        request.httpMethod = "POST"
        request.timeoutInterval = timeout
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
            throw Failure(refusal: nil, description: "unexpected HTTP status \((response as? HTTPURLResponse)?.statusCode ?? 0)")
        }
        let parsed: Result<EncryptedCredential, RegistrationServerError>
        switch endpoint {
        case .legacy: parsed = try RegistrationWire.parseLegacyResponse(Array(data))
        case .v2: parsed = try RegistrationWire.parseV2Response(Array(data))
        }
        switch parsed {
        case .success(let encrypted):
            return try encrypted.decrypt(productSecret: productSecret)
        case .failure(let error):
            throw Failure(refusal: error.refusal, description: error.description)
        }
    }
}
