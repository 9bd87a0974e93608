public import DeviceAuth
public import Foundation
#if canImport(FoundationNetworking)
public import FoundationNetworking
#endif

/// Dynamic registration from the device side: signs the request with the ProductSecret, posts it to the
/// hub, decrypts the credential in the reply (device-protocol.md §3).
public struct RegistrationClient: Sendable {
    /// Which registration endpoint to use.
    public enum Endpoint: Sendable, Hashable {
        /// `POST /register/dev` (C SDK 3.2.x, Explorer SDKs).
        case legacy
        /// `POST /device/register` with `hmacsha256` (default; Python and Java SDKs) or `hmacsha1` (C 3.3.0).
        case v2(V2RegistrationSignature.Algorithm)
    }

    /// Base URL of the hub's device HTTP port, e.g. `http://127.0.0.1:8080`.
    public var baseURL: URL
    public var endpoint: Endpoint
    public var timeout: TimeInterval = 10
    private let session: URLSession

    /// - Parameter session: the URLSession to post with (e.g. one allowing many connections per host for a
    ///   fleet); `URLSession.shared` by default.
    public init(baseURL: URL, endpoint: Endpoint = .v2(.hmacSHA256), session: URLSession = .shared) {
        self.baseURL = baseURL
        self.endpoint = endpoint
        self.session = session
    }

    /// Registers the identity's device with its ProductSecret, stores the credential in `store`, and
    /// returns it.
    @discardableResult
    public func register(_ store: some DeviceIdentityStore) async throws(RegistrationError) -> RegistrationCredential {
        let identity: DeviceIdentity
        do {
            identity = try store.load()
        } catch {
            throw RegistrationError(.invalidResponse, message: "cannot read the identity: \(error)")
        }
        guard let secret = identity.productSecret else {
            throw RegistrationError(.missingProductSecret, message: "the identity of \(identity.deviceName) holds no ProductSecret")
        }
        let credential = try await register(productId: identity.productId, productSecret: secret, deviceName: identity.deviceName)
        do {
            try store.storeCredential(credential)
        } catch {
            throw RegistrationError(.invalidResponse, message: "the credential could not be stored: \(error)")
        }
        return credential
    }

    /// Registers `deviceName` and returns its credential. `nonce` and `timestamp` default to a random
    /// nonce and the current time (give them only to reproduce a request).
    public func register(
        productId: String,
        productSecret: String,
        deviceName: String,
        nonce: UInt32? = nil,
        timestamp: UInt64? = nil
    ) async throws(RegistrationError) -> RegistrationCredential {
        var generator = SystemRandomNumberGenerator()
        let nonce = nonce ?? UInt32.random(in: 1..<UInt32(Int32.max), using: &generator)
        let timestamp = timestamp ?? UInt64(Date().timeIntervalSince1970)
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
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw RegistrationError(.transport, message: "\(baseURL): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw RegistrationError(.invalidResponse, message: "not an HTTP response")
        }
        guard http.statusCode == 200 else { throw RegistrationError(.httpStatus(http.statusCode), message: "HTTP \(http.statusCode)") }
        let parsed: Result<EncryptedCredential, RegistrationServerError>
        do {
            switch endpoint {
            case .legacy: parsed = try RegistrationWire.parseLegacyResponse(Array(data))
            case .v2: parsed = try RegistrationWire.parseV2Response(Array(data))
            }
        } catch {
            throw RegistrationError(.invalidResponse, message: "\(error)")
        }
        switch parsed {
        case .success(let encrypted):
            do {
                return try encrypted.decrypt(productSecret: productSecret)
            } catch {
                throw RegistrationError(.invalidResponse, message: "the credential cannot be decrypted: \(error)")
            }
        case .failure(let error):
            throw RegistrationError(serverError: error)
        }
    }
}
