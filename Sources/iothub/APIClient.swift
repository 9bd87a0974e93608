import ArgumentParser
import CloudAPI
import Foundation
import JSONCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where and as whom the CLI calls the management API.
struct APIOptions: ParsableArguments {
    @Option(name: .customLong("endpoint"), help: "Management API host:port (env IOTHUB_API_ENDPOINT). Default 127.0.0.1:9080.")
    var endpoint: String?
    @Option(name: .customLong("data-dir"), help: "Data directory holding credentials.json (env IOTHUB_DATA_DIR). Default ./iothub-data.")
    var dataDir: String?
    @Option(name: .customLong("api-version"), help: "API version: 2021-04-08 (default) or 2018-06-14.")
    var apiVersion = "2021-04-08"
    @Flag(help: "Print the raw JSON response.") var json = false

    func client() throws -> APIClient {
        let environment = ProcessInfo.processInfo.environment
        let endpoint = endpoint ?? environment["IOTHUB_API_ENDPOINT"] ?? "127.0.0.1:9080"
        if let id = environment["TENCENTCLOUD_SECRET_ID"], let key = environment["TENCENTCLOUD_SECRET_KEY"] {
            return APIClient(endpoint: endpoint, secretId: id, secretKey: key, version: apiVersion)
        }
        let directory = dataDir ?? environment["IOTHUB_DATA_DIR"] ?? "./iothub-data"
        let path = (directory as NSString).appendingPathComponent("credentials.json")
        guard let data = FileManager.default.contents(atPath: path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
            let id = object["SecretId"], let key = object["SecretKey"]
        else {
            throw ValidationError(
                "no management credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or point --data-dir at the hub's data directory (\(path) not readable)"
            )
        }
        return APIClient(endpoint: endpoint, secretId: id, secretKey: key, version: apiVersion)
    }
}

/// A failed API call: the hub's error code and message.
struct APICallError: Error, CustomStringConvertible {
    var code: String
    var message: String
    var description: String { "\(code): \(message)" }
}

/// A TencentCloud API 3.0 client (TC3-HMAC-SHA256 over POST JSON).
struct APIClient {
    var endpoint: String
    var secretId: String
    var secretKey: String
    var version: String

    func call(_ action: String, _ parameters: [(String, JSONValue)]) async throws -> JSONValue {
        let body = JSONValue.object(JSONObject(parameters)).serialized()
        let timestamp = Int64(Date().timeIntervalSince1970)
        let signer = TC3Signer(secretId: secretId, secretKey: secretKey)
        let headers = signer.postJSONHeaders(
            action: action, version: version, host: endpoint, body: body, timestamp: timestamp, requestClient: "IOTHUB_CLI",
            signsActionHeaders: true
        )
        guard let url = URL(string: "http://\(endpoint)/") else { throw ValidationError("invalid endpoint \(endpoint)") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.timeoutInterval = 30
        for header in headers where header.name != "Host" { request.setValue(header.value, forHTTPHeaderField: header.name) }
        let data: Data
        do {
            (data, _) = try await URLSession.shared.data(for: request)
        } catch {
            throw APICallError(code: "ConnectionFailed", message: "cannot reach the management API at \(endpoint): \(error.localizedDescription)")
        }
        switch try APIResponse.parse(Array(data)) {
        case .success(let response): return response
        case .failure(let error): throw APICallError(code: error.code, message: error.message)
        }
    }
}
